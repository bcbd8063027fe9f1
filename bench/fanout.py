"""Benchmark: live seat maps fanned out to N subscribers while holds arrive (the on-sale issue).

    .venv/bin/python -m bench.fanout --mode postgres --subscribers 1000
    .venv/bin/python -m bench.fanout --mode postgres --subscribers 5000
    .venv/bin/python -m bench.fanout --mode embedded --subscribers 1000   # reference

    options: [--rate 20] [--duration 30] [--seats 1000] [--concurrency 200]
             [--router-env NAME=VALUE ...]   e.g. TICKETFLOW_ROUTER_PASSTHROUGH=false
             [--hive-cli]                     the router is hive-gateway's CLI (the baseline)
             [--cpu-prof DIR]                 the router runs under node --cpu-prof

Starts the real deployment (uvicorn subgraph processes and the router) on free ports with
databases of its own and publishes one show of ``--seats`` seats (1,000 by default, for
1,000 and 5,000 subscribers alike: 600 holds of one seat fit). Then:

1. opens ``--subscribers`` graphql-transport-ws connections to the router, ``--concurrency``
   at a time, each with one ``seatAvailability`` subscription, and waits for every snapshot:
   subscriptions opened per second = N / (first connect .. last snapshot);
2. reads RSS of the router and of booking (all subgraphs, embedded) before and after that:
   memory per idle subscriber (the snapshots are sent by then);
3. holds one seat at a time from a separate client (this process, over HTTP through the
   router) at a steady ``--rate`` per second for ``--duration`` seconds, whatever the answers'
   latency, and waits until every subscriber has the last version;
4. reports, per hold and subscriber, the time from the hold request's send to the delivery
   of the delta carrying that hold's seat (the commit lies between send and answer, so this
   is an upper bound of commit -> delivery) and from the answer; messages per subscriber;
   gaps (a delta that does not follow the version before it: ``fromVersion`` when the event
   has it, so a coalesced delta that jumps several versions is no gap; a snapshot in the
   middle of the stream, booking's answer to a subscriber that fell behind, is no gap
   either: it is counted, and carries every change since the last version); CPU of the router,
   booking and the subscribers' own process during the holds, per delta and per
   subscriber-delivery, from /proc.

The subscribers are one Node process (bench/fanout_client.mjs, the router's pinned ``ws``)
that reads versions out of the raw frames and JSON-parses only one subscriber's messages, so
it stays a small share of the two cores; its CPU is reported too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.common import CpuMeter, group_pids, rss_kib, show_on_sale
from bench.env import bench_env
from subgraphs.dev import node_command
from tests.flows import HOLD, User, new_user
from tests.harness import ROOT, GraphQL, Stack, client_address, process_stack

CLIENT = Path(__file__).with_name("fanout_client.mjs")
EVENT_FIELDS = "{ __type(name: \"SeatAvailabilityEvent\") { fields { name } } }"
IDLE_SECONDS = 3.0
SETTLE_SECONDS = 2.0
DRAIN_SECONDS = 180.0  # at most this long after the last hold for the last deliveries


def watch_query(fields: set[str]) -> str:
    """The subscribers' document; ``fromVersion`` once booking has it (coalesced deltas)."""
    from_version = " fromVersion" if "fromVersion" in fields else ""
    return ("subscription($show: ID!) { seatAvailability(showId: $show) {\n"
            f"  kind version{from_version} seats {{ seatId state }}\n"
            "  availability { total available held sold } } }")


class Subscribers:
    """The Node process holding every subscriber; one JSON line per command and answer."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, url: str, show_id: str, n: int, concurrency: int,
                    query_file: Path, reconnect: bool = False) -> Subscribers:
        """``reconnect``: a subscriber whose connection drops connects again (bench.storm)."""
        proc = await asyncio.create_subprocess_exec(
            *node_command(str(CLIENT)), "--url", url.replace("http://", "ws://"), "--show", show_id,
            "--subscribers", str(n), "--concurrency", str(concurrency),
            "--query-file", str(query_file), "--reconnect", str(reconnect).lower(),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**24)
        return cls(proc)

    async def answer(self, within: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), within)
        if not line:
            raise AssertionError(f"the subscribers' process exited ({self.proc.returncode})")
        return json.loads(line)  # type: ignore[no-any-return]

    async def ask(self, command: dict[str, Any], within: float = 60) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(command) + "\n").encode())
        await self.proc.stdin.drain()
        return await self.answer(within)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            assert self.proc.stdin is not None
            self.proc.stdin.write(b'{"cmd":"close"}\n')
            await self.proc.stdin.drain()
        try:
            await asyncio.wait_for(self.proc.wait(), 30)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


async def send_holds(router_url: str, customer: User, show_id: str, seats: list[str],
                     rate: float) -> list[dict[str, Any]]:
    """One hold of one seat every 1/rate seconds, each on its own, however long they take."""
    headers = {"authorization": f"Bearer {customer.token}", "x-forwarded-for": client_address()}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    records: list[dict[str, Any]] = []
    async with httpx.AsyncClient(timeout=120, headers=headers, limits=limits) as client:
        async def one(seat: str) -> None:
            record: dict[str, Any] = {"seat": seat, "sent": time.monotonic() * 1000}
            records.append(record)
            try:
                response = await client.post(router_url, json={"query": HOLD, "variables": {
                    "show": show_id, "seats": [seat]}})
                body = response.json()
            except (httpx.HTTPError, ValueError) as exc:  # an overloaded booking times out
                record.update(ok=False, body=repr(exc))
                return
            record["answered"] = time.monotonic() * 1000
            held = (body.get("data") or {}).get("holdSeats") or {}
            record["ok"] = held.get("__typename") == "SeatHold"
            if not record["ok"]:
                record["body"] = str(body)[:300]

        # a warm connection and a planned operation before the clock starts
        await client.post(router_url, json={"query": HOLD, "variables": {
            "show": show_id, "seats": [seats[0]]}})
        tasks = []
        start = time.monotonic()
        for i, seat in enumerate(seats[1:]):
            await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
            tasks.append(asyncio.create_task(one(seat)))
        await asyncio.gather(*tasks)
    return records


def hive_cli_router() -> None:
    """Start Hive Gateway's own CLI as the router (what ran before router/server.mjs): the
    baseline the pass-through is measured against."""
    import subgraphs.dev

    def hive_cli(_settings: Any) -> list[str]:
        router = subgraphs.dev.ROUTER_DIR
        return [str(router / "node_modules" / ".bin" / "hive-gateway"), "--config-path",
                str(router / "gateway.config.mjs"), "supergraph"]

    subgraphs.dev.router_command = hive_cli  # type: ignore[assignment]


def node_flags(flags: list[str], cpu_prof: Path | None) -> None:
    """Start the router's node with ``flags`` (and under --cpu-prof into ``cpu_prof``):
    ``--expose-gc`` lets /debug/passthrough?gc collect garbage before a memory reading."""
    import subgraphs.dev

    if cpu_prof:
        flags = [*flags, "--cpu-prof", f"--cpu-prof-dir={cpu_prof}"]  # refused in NODE_OPTIONS
    if not flags:
        return
    command = subgraphs.dev.router_command

    def with_flags(settings: Any) -> list[str]:
        argv = command(settings)  # the project's node, then the script
        return [argv[0], *flags, *argv[1:]]

    subgraphs.dev.router_command = with_flags  # type: ignore[assignment]


def raise_fd_limit(wanted: int) -> str:
    """Raise this process's open-file limit (children inherit it) toward ``wanted``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    now = resource.getrlimit(resource.RLIMIT_NOFILE)
    return f"open files {now[0]}/{now[1]}"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def ms(stats: dict[str, float] | None) -> str:
    if not stats:
        return "-"
    return f"{stats['p50']:.0f} / {stats['p99']:.0f} / {stats['max']:.0f} ms"


async def drain(subscribers: Subscribers, version: int) -> float:
    """Seconds until every subscriber has ``version`` (or DRAIN_SECONDS)."""
    started = time.monotonic()
    while time.monotonic() - started < DRAIN_SECONDS:
        progress = await subscribers.ask({"cmd": "progress", "version": version})
        if progress["behind"] == 0:
            break
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def run(args: argparse.Namespace) -> None:
    holds = int(args.rate * args.duration)
    limit = raise_fd_limit(4 * args.subscribers + 4096)
    with tempfile.TemporaryDirectory() as tmp:
        env = bench_env(args.mode, Path(tmp) / "data") | {
            "TICKETFLOW_MAX_SEATS_PER_CUSTOMER": str(holds + 10),
            "TICKETFLOW_DB_POOL_SIZE": "10",
            "TICKETFLOW_ROUTER_LOG_LEVEL": "warn",
        }
        env |= dict(pair.split("=", 1) for pair in args.router_env)
        if args.hive_cli:
            hive_cli_router()
        else:
            env["TICKETFLOW_ROUTER_DEBUG"] = "true"
        node_flags(["--expose-gc"] if not args.hive_cli else [], args.cpu_prof)
        logs = Path(tmp) / "logs"
        logs.mkdir()
        async with process_stack(env, logs) as (stack, procs):
            await measure(args, stack, procs, holds, limit, Path(tmp))


async def measure(args: argparse.Namespace, stack: Stack, procs: Any, holds: int,
                  limit: str, tmp: Path) -> None:
    out = sys.stdout.write
    organizer = await new_user(stack, stack.url("auth"), "ORGANIZER")
    customer = await new_user(stack, stack.url("auth"))
    show = await show_on_sale(stack, organizer, args.seats, "fan-out")
    assert holds + 1 <= len(show.seat_ids), "more holds than seats: lower --rate or --duration"
    fields = (await GraphQL(stack.router_url).data(EVENT_FIELDS))["__type"]["fields"]
    query = watch_query({f["name"] for f in fields})
    query_file = tmp / "watch.graphql"
    query_file.write_text(query)

    booking = "subgraphs" if stack.settings.embedded else "booking"
    pid = {name: p.pid for name, p in procs.procs.items()}
    router_pids: Callable[[], list[int]] = lambda: group_pids(pid["router"])  # noqa: E731
    groups: dict[str, Callable[[], list[int]]] = {"router": router_pids,
                                                  booking: lambda: [pid[booking]]}

    async def rss() -> dict[str, int]:
        """KiB of RSS (and of the router's heap in use), garbage collected first where we can."""
        found = {}
        if not args.hive_cli:
            async with httpx.AsyncClient(timeout=60) as client:
                debug = await client.get(stack.router_url.replace("/graphql",
                                                                  "/debug/passthrough?gc"))
            found["router heap"] = debug.json()["memory"]["heapUsed"] // 1024
            await asyncio.sleep(SETTLE_SECONDS)  # V8 hands freed pages back a moment later
        return {"router": sum(rss_kib(p) for p in router_pids()), booking: rss_kib(pid[booking]),
                **found}

    router = "hive-gateway CLI" if args.hive_cli else "server.mjs"
    out(f"mode={args.mode} subscribers={args.subscribers} seats={args.seats} holds={holds} "
        f"at {args.rate}/s for {args.duration} s; router {router}, env {args.router_env or '-'}; "
        f"{limit}; {load()}\n")
    before = await rss()
    subscribers = await Subscribers.start(stack.router_url, show.id, args.subscribers,
                                          args.concurrency, query_file)
    groups["subscribers (bench client)"] = lambda: [subscribers.proc.pid]
    try:
        opened = await subscribers.answer(within=1800)
        assert not opened["failures"], opened
        assert len(opened["snapshotVersions"]) == 1, opened
        base = opened["snapshotVersions"][0]
        out(f"  opened {args.subscribers} subscriptions (every snapshot received) in "
            f"{opened['seconds']:.1f} s: {args.subscribers / opened['seconds']:.0f} per second "
            f"({opened['retried']} connections tried again); {load()}\n")
        idle = CpuMeter(groups)
        idle.start()
        await asyncio.sleep(IDLE_SECONDS)
        idle.stop()
        subscribed = await rss()
        for name in subscribed:
            what = name if name.endswith("heap") else f"{name} RSS"
            out(f"  {what} {before[name] / 1024:.0f} MiB before, "
                f"{subscribed[name] / 1024:.0f} MiB with every subscriber idle: "
                f"{(subscribed[name] - before[name]) / args.subscribers:.0f} KiB per subscriber\n")

        meter = CpuMeter(groups)
        meter.start()
        records = await send_holds(stack.router_url, customer, show.id,
                                   show.seat_ids[:holds + 1], args.rate)
        sent_for = records[-1]["sent"] - records[0]["sent"]
        failed = [r for r in records if not r["ok"]]
        # the warm-up hold is base + 1; a hold that timed out may have committed too: not waited for
        final = base + 1 + len(records) - len(failed)
        drained = await drain(subscribers, final)
        meter.stop()
        holds_file = tmp / "holds.json"
        holds_file.write_text(json.dumps(records))
        result = await subscribers.ask({"cmd": "report", "holds": str(holds_file)}, within=300)
    finally:
        await subscribers.close()

    answered = sorted(r["answered"] - r["sent"] for r in records if "answered" in r) or [0.0]
    deltas = max(result["deltas"], 1)
    deliveries = deltas * args.subscribers
    out(f"  {len(records)} holds sent over {sent_for / 1000:.1f} s ({len(failed)} failed"
        f"{', e.g. ' + failed[0]['body'] if failed else ''}); holdSeats p50 / p99 "
        f"{answered[len(answered) // 2]:.0f} / {answered[int(len(answered) * 0.99) - 1]:.0f} ms;"
        f" the last deliveries came {drained:.1f} s after the last answer; {load()}\n")
    out(f"  deltas {result['deltas']} carrying {result['holdsSeen']} of {len(records)} holds; "
        f"messages per subscriber {result['messagesPerSubscriber']['min']}.."
        f"{result['messagesPerSubscriber']['max']} (snapshot included); deliveries missing "
        f"{result['missing']}; gaps {result['gaps']}, brought up to date by a snapshot "
        f"{result['restarts']}, resubscribed {result['resubscribes']}, "
        f"ended by the server {result['ended']}, errors {result['errors']}, connections lost "
        f"{result['closed']}\n")
    if result["problems"]:
        out(f"    e.g. {result['problems'][:3]}\n")
    out(f"  hold -> delivery p50 / p99 / max: from the hold's send {ms(result['fromSent'])}; "
        f"from its answer {ms(result['fromAnswered'])} ({result['holdDeliveries']} deliveries)\n")
    idle_rates = idle.rates()
    for name, used in meter.used.items():
        busy = used - idle_rates.get(name, 0.0) * meter.wall
        out(f"  CPU {name}: {used:.1f} s in {meter.wall:.1f} s "
            f"({used / meter.wall * 100 / (os.cpu_count() or 1):.0f} % of all cores); above "
            f"idle {busy * 1000 / deltas:.1f} ms per delta, "
            f"{busy * 1e6 / deliveries:.0f} µs per subscriber-delivery\n")
    out(f"  {load()}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", default="postgres", choices=["postgres", "embedded"])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="holds per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of holds")
    parser.add_argument("--seats", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=200,
                        help="subscriptions being opened at once")
    parser.add_argument("--router-env", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for the deployment (e.g. the router's)")
    parser.add_argument("--hive-cli", action="store_true",
                        help="run Hive Gateway's CLI as the router instead of router/server.mjs")
    parser.add_argument("--cpu-prof", metavar="DIR",
                        help="run the router under node --cpu-prof, profiles into DIR")
    args = parser.parse_args()
    if args.cpu_prof:
        args.cpu_prof = Path(args.cpu_prof).resolve()
        args.cpu_prof.mkdir(parents=True, exist_ok=True)
    os.chdir(ROOT)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
