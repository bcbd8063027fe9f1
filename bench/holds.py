"""Benchmark: seat-hold throughput through the router, next to pgbench's raw SQL limit (issue 5).

    .venv/bin/python -m bench.holds [--mode postgres|embedded] [--clients 16 64]
        [--seconds 15] [--warmup 3] [--seats 5000] [--no-direct] [--no-pgbench]

Starts the real deployment (uvicorn subgraph processes and Hive Gateway) on free ports with
databases of its own and signs in one customer per client. For each number of clients it
publishes a new show of ``--seats`` seats (blocks of 20 rows of 50, no standing floor) and
gives each client its own slice of that show's seats; every client then sends holdSeats for
the next 1 or 2 seats of its slice, one request after another over its own HTTP/1.1
keep-alive connection, through the router (and, unless ``--no-direct``, straight to the
booking subgraph on another new show). Holds completed in the ``--seconds`` after a
``--warmup`` count.

In postgres mode it then stops the deployment's processes (the databases stay until the
end) and runs pgbench against the deployment's booking database, on a show of its own, with
two scripts:

* ``minimal``: what the brief of issue 5 calls the hold at SQL level — BEGIN; the show row
  lock (SELECT ... FOR UPDATE, UPDATE shows SET version = version + 1); INSERT the hold;
  the conditional UPDATE of show_seats compiled from ``inventory.take_seats``; COMMIT.
* ``full``: every statement one real hold transaction sends, captured from
  ``booking.service.hold_seats`` run once in this process (1 seat and 2 seats) and
  replayed with pgbench variables for the hold, seats and customer.

Seats: each pgbench transaction picks a random seat (and its neighbour for a 2-seat hold)
of the 5,000, through a scratch table ``bench_seat(n, seat_id)`` read before BEGIN. The
take_seats UPDATE is the service's statement, except that the expiry it writes is an hour
in the past: the seat is free again for the next transaction (the statement's ``HELD and
expired`` branch), so the show never fills up and nothing else has to release it. Each
pgbench run starts from a show without holds (seats reset, holds deleted, VACUUM ANALYZE),
as each router run starts on a new show. pgbench runs in simple-query mode (every statement
parsed and planned each time; the service's asyncpg driver reuses prepared statements).

Prints holds/s, latency percentiles, outcomes, CPU used per hold by each process, and the
ratio of router to pgbench throughput; everything it made is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event, insert, select, text, update
from sqlalchemy.dialects import postgresql

from bench.common import CpuMeter, group_pids, percentile, show_on_sale
from subgraphs.booking import service as booking_service
from subgraphs.booking.models import BookableShow, Hold
from subgraphs.booking.outcomes import Held
from subgraphs.booking.seats import take_statement
from subgraphs.kernel.auth import Caller
from subgraphs.kernel.service import Runtime, Service
from subgraphs.kernel.settings import Settings
from subgraphs.registry import spec
from tests.flows import HOLD, User, new_user
from tests.harness import (
    POSTGRES_DSN,
    Processes,
    Stack,
    client_address,
    process_stack,
    test_env,
    wait_http,
)

PGBENCH = shutil.which("pgbench") or "/usr/bin/pgbench"
NOW_SQL = "(now() AT TIME ZONE 'UTC')"
PAST_SQL = f"({NOW_SQL} - interval '1 hour')"  # a hold that has already lapsed: seat free again


# ---------------------------------------------------------------------------------------------
# holdSeats over HTTP


@dataclass
class Tally:
    """What the clients of one run saw inside the measured window."""

    latencies: list[float] = field(default_factory=list)  # ms, successful holds
    held: int = 0
    seats: int = 0
    unavailable: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    exhausted: int = 0  # clients whose slice ran out before the end


def outcome(response: httpx.Response) -> str:
    """``SeatHold``, ``SeatsUnavailable``, or an error code."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if body.get("errors"):
        return str(body["errors"][0].get("extensions", {}).get("code", "ERROR"))
    return str(((body.get("data") or {}).get("holdSeats") or {}).get("__typename", "EMPTY"))


async def client_loop(url: str, user: User, show_id: str, seats: list[str], rng: random.Random,
                      window: tuple[float, float], tally: Tally) -> None:
    """Hold the next 1-2 seats of ``seats`` again and again until the window closes."""
    start, stop = window
    headers = {"authorization": f"Bearer {user.token}", "x-forwarded-for": client_address()}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(timeout=60, limits=limits, headers=headers) as client:
        i = 0
        while time.perf_counter() < stop:
            k = rng.choice((1, 2))
            if i + k > len(seats):
                tally.exhausted += 1
                return
            wanted, i = seats[i:i + k], i + k
            sent = time.perf_counter()
            try:
                response = await client.post(url, json={
                    "query": HOLD, "variables": {"show": show_id, "seats": wanted}})
                result = outcome(response)
            except httpx.HTTPError as error:
                result = type(error).__name__
            done = time.perf_counter()
            if not start <= done <= stop:
                continue
            if result == "SeatHold":
                tally.held += 1
                tally.seats += k
                tally.latencies.append((done - sent) * 1000)
            elif result == "SeatsUnavailable":
                tally.unavailable += 1
            else:
                tally.errors[result] += 1


@dataclass
class Row:
    """One line of the results table."""

    what: str
    clients: int
    rate: float  # holds per second
    p50: float | None = None
    p99: float | None = None
    note: str = ""


async def hold_run(stack: Stack, url: str, label: str, users: list[User], organizer: User,
                   seats: int, seconds: float, warmup: float,
                   cpu_groups: dict[str, Callable[[], list[int]]], idle: dict[str, float]
                   ) -> Row:
    """``len(users)`` clients holding seats of a new show at ``url`` for the window."""
    show = await show_on_sale(stack, organizer, seats, f"{label} {len(users)}")
    per = len(show.seat_ids) // len(users)
    tally = Tally()
    meter = CpuMeter(cpu_groups)
    begin = time.perf_counter()
    window = (begin + warmup, begin + warmup + seconds)

    async def measure() -> None:
        await asyncio.sleep(warmup)
        meter.start()
        await asyncio.sleep(seconds)
        meter.stop()

    await asyncio.gather(measure(), *(
        client_loop(url, user, show.id, show.seat_ids[n * per:(n + 1) * per],
                    random.Random(n), window, tally)
        for n, user in enumerate(users)))
    rate = tally.held / seconds
    errors = ", ".join(f"{k} {v}" for k, v in tally.errors.most_common()) or "0"
    note = (f"{tally.held} holds ({tally.seats} seats), SeatsUnavailable {tally.unavailable}, "
            f"errors {errors}" + (f", slices used up {tally.exhausted}" if tally.exhausted else ""))
    sys.stdout.write(f"  {label} c={len(users)}: {rate:.0f} holds/s; {note}\n"
                     f"    {meter.line(tally.held, 'hold', idle)}\n")
    lat = tally.latencies
    return Row(label, len(users), rate, percentile(lat, 50) if lat else None,
               percentile(lat, 99) if lat else None, note)


# ---------------------------------------------------------------------------------------------
# pgbench


def pg_literal(value: Any) -> str:
    """``value`` as an SQL literal (text quoted, None as NULL)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "ARRAY[" + ", ".join(pg_literal(v) for v in value) + "]"
    return "'" + str(value).replace("'", "''") + "'"


UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass
class Captured:
    """The statements of one real hold transaction, as the driver received them."""

    statements: list[tuple[str, Any, bool]]
    hold_id: str
    seat_ids: list[str]
    user_id: str
    at: datetime  # naive UTC, when it ran


async def capture_hold(settings: Settings, show_id: str, seat_ids: list[str]) -> Captured:
    """Run booking's hold_seats once in this process and record every statement it sends."""
    runtime = Runtime(settings)
    booking = Service(spec("booking"), runtime)
    statements: list[tuple[str, Any, bool]] = []
    user_id = f"capture-{os.getpid()}-{len(seat_ids)}"
    try:
        async with booking.db.engine.connect() as conn:  # the dialect's first-connect queries
            await conn.exec_driver_sql("SELECT 1")

        def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
                   executemany: bool) -> None:
            statements.append((statement, parameters, executemany))

        at = datetime.now(UTC).replace(tzinfo=None)
        event.listen(booking.db.engine.sync_engine, "before_cursor_execute", record)
        try:
            held = await booking_service.hold_seats(
                booking, Caller(user_id=user_id, roles=frozenset({"CUSTOMER"})), show_id,
                seat_ids)
        finally:
            event.remove(booking.db.engine.sync_engine, "before_cursor_execute", record)
        assert isinstance(held, Held), held
        hold = held.hold
        # Give the seats back, so pgbench finds every seat free.
        async with booking.uow() as uow:
            await uow.session.execute(text(
                "UPDATE show_seats SET state = 'AVAILABLE', hold_id = NULL, "
                "hold_expires_at = NULL WHERE hold_id = :hold"), {"hold": hold.id})
            await uow.commit()
    finally:
        await booking.db.dispose()
        await runtime.close()
    return Captured(statements, hold.id, seat_ids, user_id, at)


def replay(captured: Captured, show_id: str) -> list[str]:
    """The captured statements with literals, and pgbench variables for what must vary.

    The hold id becomes ``h<client>-<random>``, the seats ``:s1``/``:s2``, the customer
    ``bench-user-<client>``; other fresh UUIDs (an event id) get the hold's suffix; times
    near the capture become ``now()``, later ones (an expiry) ``now()`` plus the same
    interval, except the expiry take_seats writes, which becomes an hour ago. The show's
    new version (a number the ORM computed) becomes ``version + 1``.
    """
    subs = [(captured.hold_id, "h:client_id-:h"), (captured.user_id, "bench-user-:client_id")]
    subs += [(seat, f":s{i + 1}") for i, seat in enumerate(captured.seat_ids)]
    fresh: dict[str, str] = {}

    def literal(value: Any, statement: str) -> str:
        if isinstance(value, datetime):
            value = value.replace(tzinfo=None)
            ahead = (value - captured.at).total_seconds()
            if ahead < 60:
                return NOW_SQL
            if statement.startswith("UPDATE show_seats SET state"):
                return PAST_SQL
            return f"({NOW_SQL} + interval '{round(ahead / 60) * 60} seconds')"
        if isinstance(value, str):
            for old, new in subs:
                value = value.replace(old, new)
            if UUID.match(value) and value != show_id:
                value = fresh.setdefault(value, f"x{len(fresh)}-:client_id-:h")
        return pg_literal(value)

    def render(statement: str, row: Any) -> str:
        def one(m: re.Match[str]) -> str:
            return literal(row[int(m.group(1)) - 1], statement)

        if statement.startswith("UPDATE shows SET version="):  # the ORM writes the new number
            statement = re.sub(r"version=\$\d+", "version=(shows.version + 1)", statement)
        return re.sub(r"\$(\d+)", one, statement).strip() + ";"

    return [render(statement, row) for statement, parameters, many in captured.statements
            for row in (parameters if many else [parameters])]


def compiled(statement: Any) -> str:
    return str(statement.compile(dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
                                 compile_kwargs={"literal_binds": True})).strip() + ";"


def minimal(show_id: str, seats: int, lock_first: bool = True) -> list[str]:
    """The hold at SQL level, from the service's own expressions.

    ``lock_first`` (issue 5's brief): lock the show's row and advance its version, insert
    the hold, take the seats. Otherwise the order of today's design: take the seats, insert
    the hold, then advance the version (the show's row is locked only for the commit).
    """
    expires = datetime(2000, 1, 1, tzinfo=UTC)  # stand-ins, replaced below
    now = datetime(2001, 1, 1, tzinfo=UTC)

    def times(sql: str, expiry: str) -> str:
        return (sql.replace("'2000-01-01 00:00:00'", expiry)
                .replace("'2001-01-01 00:00:00'", NOW_SQL))

    lock = compiled(select(BookableShow).where(BookableShow.id == show_id).with_for_update())
    bump = compiled(update(BookableShow).where(BookableShow.id == show_id)
                    .values(version=BookableShow.version + 1))
    new_hold = times(compiled(insert(Hold).values(
        id="h:client_id-:h", show_id=show_id, user_id="bench-user-:client_id", status="ACTIVE",
        leg_from=0, leg_to=1, expires_at=expires, created_at=now, places=1)),
        f"({NOW_SQL} + interval '600 seconds')")
    branches = []
    for wanted in ([":s1"], [":s1", ":s2"]):
        take = times(compiled(take_statement(show_id, wanted, None, "h:client_id-:h",
                                             expires, now)), PAST_SQL)
        branches.append(["BEGIN;", lock, bump, new_hold, take, "COMMIT;"] if lock_first
                        else ["BEGIN;", take, new_hold, bump, "COMMIT;"])
    return script(seats, branches[0], branches[1])


def script(seats: int, one: list[str], two: list[str]) -> list[str]:
    """A pgbench script: a random seat (and its neighbour), then a 1- or 2-seat hold."""
    return [
        f"\\set a random(0, {seats - 1})",
        "\\set k random(1, 2)",
        f"\\set b (:a + :k - 1) % {seats}",
        "\\set h random(1, 9000000000000000000)",
        "SELECT (SELECT seat_id FROM bench_seat WHERE n = :a) AS s1, "
        "(SELECT seat_id FROM bench_seat WHERE n = :b) AS s2 \\gset",
        "\\if :k = 1", *one, "\\else", *two, "\\endif",
    ]


def full(one: Captured, two: Captured, show_id: str, seats: int) -> list[str]:
    return script(seats, ["BEGIN;", *replay(one, show_id), "COMMIT;"],
                  ["BEGIN;", *replay(two, show_id), "COMMIT;"])


@dataclass
class Pgbench:
    tps: float
    p50: float
    p99: float
    failed: str
    output: str


def logged_latencies(log_dir: Path, prefix: str) -> list[float]:
    """Transaction latencies (ms) from pgbench's per-transaction logs (-l)."""
    return [int(line.split()[2]) / 1000 for log in log_dir.glob(f"{prefix}.*")
            for line in log.read_text().splitlines()]


async def pgbench(db: str, script_file: Path, clients: int, seconds: int, log_dir: Path,
                  per_statement: bool = False) -> Pgbench:
    """Run pgbench once (retrying once if the server has no connection slot left)."""
    for attempt in (1, 2):
        prefix = log_dir / f"{script_file.stem}-c{clients}-{attempt}"
        argv = [PGBENCH, "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-n",
                "-c", str(clients), "-j", "2", "-T", str(seconds), "-f", str(script_file),
                "-l", f"--log-prefix={prefix}", *(["-r"] if per_statement else []), db]
        proc = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out = (await proc.communicate())[0].decode(errors="replace")
        if "too many clients" in out and attempt == 1:
            sys.stdout.write(f"  pgbench -c {clients}: 'too many clients'; retrying once in 5 s\n")
            await asyncio.sleep(5)
            continue
        found = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
        if proc.returncode != 0 or found is None:
            raise RuntimeError(f"pgbench failed ({proc.returncode}):\n{out}")
        latencies = logged_latencies(log_dir, prefix.name)
        failed = re.search(r"number of failed transactions: (\d+)", out)
        return Pgbench(float(found.group(1)), percentile(latencies, 50),
                       percentile(latencies, 99), failed.group(1) if failed else "?", out)
    raise AssertionError("unreachable")


async def pgbench_runs(stack: Stack, procs: Processes, organizer: User, seats: int,
                       clients: list[int], seconds: int, tmp: Path) -> list[Row]:
    settings = stack.settings
    show = await show_on_sale(stack, organizer, seats, "pgbench")
    # The deployment is not needed any more: stop its processes (their pools close), so
    # pgbench has the database and the machine to itself. The databases stay until the end.
    procs.stop_all()
    one = await capture_hold(settings, show.id, [show.seat_ids[0]])
    two = await capture_hold(settings, show.id, show.seat_ids[1:3])
    db = f"{settings.db_prefix}_booking"
    conn = await asyncpg.connect(f"{POSTGRES_DSN}/{db}")
    try:
        await conn.execute("CREATE TABLE bench_seat (n integer PRIMARY KEY, seat_id varchar(36))")
        await conn.executemany("INSERT INTO bench_seat VALUES ($1, $2)",
                               list(enumerate(show.seat_ids)))
        await conn.execute("ANALYZE")
        scripts = {"minimal": minimal(show.id, seats),
                   "minimal-lock-last": minimal(show.id, seats, lock_first=False),
                   "full": full(one, two, show.id, seats)}
        files = {}
        for name, lines in scripts.items():
            files[name] = tmp / f"{name}.sql"
            files[name].write_text("\n".join(lines) + "\n")
        sys.stdout.write(f"  a hold transaction sends {len(one.statements)} statements (1 seat)"
                         f" / {len(two.statements)} (2 seats) besides BEGIN and COMMIT; "
                         f"scripts in {tmp}\n")
        rows = []

        async def reset() -> None:
            """Every run starts from a show without holds, as each router run does."""
            await conn.execute("UPDATE show_seats SET state = 'AVAILABLE', hold_id = NULL, "
                               "hold_expires_at = NULL WHERE show_id = $1", show.id)
            await conn.execute("DELETE FROM holds WHERE show_id = $1", show.id)
            await conn.execute("DELETE FROM customer_places WHERE show_id = $1", show.id)
            await conn.execute("UPDATE show_counts SET held = 0, sold = 0 WHERE show_id = $1",
                               show.id)
            await conn.execute("VACUUM ANALYZE show_seats, holds, shows, outbox, show_counts, "
                               "customer_places")

        for name in ("minimal", "minimal-lock-last", "full"):
            for c in clients:
                await reset()
                result = await pgbench(db, files[name], c, seconds, tmp)
                sys.stdout.write(f"  pgbench {name} -c {c}: {result.tps:.0f} tps, "
                                 f"failed {result.failed}\n")
                rows.append(Row(f"pgbench {name}", c, result.tps, result.p50, result.p99,
                                f"failed transactions {result.failed}"))
        await reset()
        breakdown = await pgbench(db, files["full"], 1, max(5, seconds // 2), tmp, True)
        sys.stdout.write("  full script, one client, average latency per statement (ms):\n")
        report = breakdown.output[breakdown.output.find("statement latencies"):]
        sys.stdout.write("".join(f"    {line[:150]}\n" for line in report.splitlines()[1:]))
        rows.append(Row("pgbench full -r", 1, breakdown.tps, breakdown.p50, breakdown.p99,
                        "one client, per-statement report"))
        sys.stdout.write(await explain_slow(conn, replay(one, show.id), show.seat_ids[10]))
    finally:
        await conn.execute("DROP TABLE IF EXISTS bench_seat")
        await conn.close()
    return rows


async def explain_slow(conn: asyncpg.Connection, statements: list[str], seat: str,
                       slower_than_ms: float = 1.0) -> str:
    """EXPLAIN ANALYZE every statement of one hold (rolled back); the plans of slow ones."""
    out = []
    transaction = conn.transaction()
    await transaction.start()
    try:
        for sql in statements:
            sql = (sql.replace(":s1", seat).replace(":client_id", "0").replace(":h", "1")
                   .rstrip(";"))
            plan = [r[0] for r in await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")]
            took = float(plan[-1].split(":")[1].split()[0])  # "Execution Time: x ms"
            if took >= slower_than_ms:
                out.append(f"  {took:.2f} ms: {' '.join(sql.split())[:400]}\n"
                           + "".join(f"      {line}\n" for line in plan))
    finally:
        await transaction.rollback()
    return "  statements of one hold slower than 1 ms (EXPLAIN ANALYZE, rolled back):\n" + (
        "".join(out) or "  none\n")


# ---------------------------------------------------------------------------------------------


async def our_backends(prefix: str) -> list[int]:
    conn = await asyncpg.connect(f"{POSTGRES_DSN}/postgres")
    try:
        rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname LIKE $1",
                                f"{prefix}%")
    finally:
        await conn.close()
    return [int(r["pid"]) for r in rows]


async def restart_booking(stack: Stack, procs: Processes, processes: int) -> None:
    """Serve booking from ``processes`` worker processes sharing its port."""
    procs.stop("booking")
    procs.start("booking", [sys.executable, "-m", "subgraphs.cli", "serve", "booking",
                            "--processes", str(processes)], stack.env)
    await wait_http(f"http://127.0.0.1:{stack.settings.port_of('booking')}/readyz",
                    procs=procs)


async def main(mode: str, clients: list[int], seats: int, seconds: int, warmup: float,
               direct: bool, run_pgbench: bool, booking_processes: list[int]) -> None:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = test_env(mode, tmp / "data") | {
            "TICKETFLOW_LOGIN_LIMIT_PER_EMAIL": "50",
            "TICKETFLOW_LOGIN_LIMIT_PER_ADDRESS": "1000",
            "TICKETFLOW_REGISTER_LIMIT_PER_ADDRESS": "1000",
            "TICKETFLOW_MAX_SEATS_PER_CUSTOMER": str(seats),
            "TICKETFLOW_DB_POOL_SIZE": "10",
        }
        logs = tmp / "logs"
        logs.mkdir()
        async with process_stack(env, logs) as (stack, procs):
            organizer = await new_user(stack, stack.url("auth"), "ORGANIZER")
            users = [await new_user(stack, stack.url("auth")) for _ in range(max(clients))]
            booking = "subgraphs" if stack.settings.embedded else "booking"
            pid = {name: p.pid for name, p in procs.procs.items()}
            backends: list[int] = []
            groups: dict[str, Callable[[], list[int]]] = {
                "router": lambda: group_pids(pid["router"]),
                booking: lambda: [pid[booking]],
            }
            if not stack.settings.embedded:
                groups["auth+venue+payment"] = lambda: [pid["auth"], pid["venue"],
                                                        pid["payment"]]
                groups["postgres"] = lambda: backends
            groups["this client"] = lambda: [os.getpid()]
            # py-spy record -p <pid> profiles one of them while the run goes on
            sys.stdout.write(f"pids: {pid}\n")
            sys.stdout.write(f"mode={mode} seats={seats} window={seconds} s after "
                             f"{warmup} s warm-up; load average before: "
                             f"{os.getloadavg()[0]:.2f}\n")
            if not stack.settings.embedded:
                backends[:] = await our_backends(stack.settings.db_prefix)
            idle_meter = CpuMeter(groups)
            idle_meter.start()
            await asyncio.sleep(3)
            idle_meter.stop()
            idle = idle_meter.rates()
            sys.stdout.write("CPU when idle: " + ", ".join(
                f"{k} {v * 1000:.0f} ms/s" for k, v in idle.items()) + "\n")
            targets = [("router", stack.router_url)]
            if direct:
                targets.append(("booking directly", stack.url("booking")))
            for label, url in targets:
                for c in clients:
                    if not stack.settings.embedded:
                        backends[:] = await our_backends(stack.settings.db_prefix)
                    rows.append(await hold_run(stack, url, label, users[:c], organizer, seats,
                                               seconds, warmup, groups, idle))
            for n in [] if stack.settings.embedded else [b for b in booking_processes if b > 1]:
                await restart_booking(stack, procs, n)
                # Booking's workers are the supervisor's children, in its process group.
                pid["booking"] = procs.procs["booking"].pid
                groups["booking"] = lambda: group_pids(pid["booking"])
                for c in clients:
                    backends[:] = await our_backends(stack.settings.db_prefix)
                    rows.append(await hold_run(stack, stack.router_url,
                                               f"router, booking x{n}", users[:c], organizer,
                                               seats, seconds, warmup, groups, idle))
            if run_pgbench and not stack.settings.embedded:
                rows += await pgbench_runs(stack, procs, organizer, seats, clients, seconds, tmp)
    lines = ["", "| run | clients | holds/s | p50 | p99 |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.what} | {r.clients} | {r.rate:.0f} | "
                     f"{'-' if r.p50 is None else f'{r.p50:.1f} ms'} | "
                     f"{'-' if r.p99 is None else f'{r.p99:.1f} ms'} |")
    for r in rows:
        lines.append(f"{r.what} c={r.clients}: {r.note}")
    by = {(r.what, r.clients): r.rate for r in rows}
    for c in clients:
        for name in ("pgbench minimal", "pgbench minimal-lock-last", "pgbench full"):
            if (name, c) in by and ("router", c) in by:
                lines.append(f"router / {name} at {c} clients: "
                             f"{by['router', c] / by[name, c] * 100:.1f} %")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", default="postgres", choices=["postgres", "embedded"])
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--seats", type=int, default=5000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--no-direct", dest="direct", action="store_false",
                        help="skip the runs straight to the booking subgraph")
    parser.add_argument("--no-pgbench", dest="pgbench", action="store_false")
    parser.add_argument("--booking-processes", type=int, nargs="+", default=[1, 2],
                        help="also run through the router with booking served by this many "
                             "processes (postgres mode)")
    args = parser.parse_args()
    asyncio.run(main(args.mode, args.clients, args.seats, args.seconds, args.warmup,
                     args.direct, args.pgbench, args.booking_processes))
