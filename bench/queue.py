"""Benchmark: a waiting room with many waiting clients polling while holds run at the
admitted rate (docs/waiting-room.md, docs/benchmarks.md "Waiting room").

    .venv/bin/python -m bench.queue [--clients 100000] [--api-joins 200] [--pollers 64]
        [--seconds 30] [--rate-per-minute 600] [--seats 5000]

PostgreSQL + Redis only (the simulated crowd is written into the deployment's Redis). Starts
the real deployment (uvicorn subgraph processes and the router) with databases of its own.

1. A show of ``--seats`` seats goes behind a waiting room opening a few seconds later at
   ``--rate-per-minute``; a second show stays without one (the baseline).
2. ``--api-joins`` customers join through the router (``queueChallenge`` + ``joinQueue``,
   proof of work solved by the SDK's solver); the rest of ``--clients`` are joined straight
   into the queue store, as joinQueue would (one ``joinQueue`` Lua call each), with access
   tokens signed by auth's own key for made-up accounts, so that 100,000 accounts cost
   seconds. Redis memory and booking's RSS are read before and after: memory per waiting
   client.
3. Baseline: holds through the router on the show without a queue, one every
   ``60 / rate`` seconds, for ``--seconds``; their latency.
4. The same holds on the queued show, each with a queue pass (signed with the deployment's
   secret, one per hold: a pass admits one purchase session), while ``--pollers``
   connections poll ``queueStatus`` of the waiting clients round-robin through the router,
   as fast as they can (each client at most once per its ``pollAfterSeconds``; ``--direct``:
   straight to booking; ``--plain``: ``GET /queue/status/<ticket>``, the SDK's poll, instead of
   the ``queueStatus`` query). CPU of the
   router, booking and Redis per poll; hold latency beside the baseline.

Prints the numbers; everything it made is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis
from ticketflow_sdk.queue import solve_proof_of_work

from bench.common import CpuMeter, group_pids, percentile, rss_kib, show_on_sale
from subgraphs.auth.models import User as AuthUser
from subgraphs.auth.tokens import active_key, issue_access_token
from subgraphs.booking.queue_security import TicketId, issue_pass
from subgraphs.booking.queue_store import RedisQueueStore
from subgraphs.booking.waiting_room import poll_after
from subgraphs.kernel.db import Database
from tests.flows import User, new_user
from tests.harness import ROOT, GraphQL, Stack, process_stack, test_env

CONFIGURE = """mutation($show: ID!, $i: QueueInput!) { configureQueue(showId: $show, input: $i) {
  opened } }"""
SHOW_QUEUE = """query($id: ID!) { show(id: $id) { queue { waiting admitted opened } } }"""
CHALLENGE = "query($show: ID!) { queueChallenge(showId: $show) { kind nonce difficulty } }"
JOIN = """mutation($show: ID!, $nonce: String, $solution: String) {
  joinQueue(showId: $show, nonce: $nonce, solution: $solution) { id } }"""
STATUS = "query($t: ID!) { queueStatus(ticketId: $t) { state position pollAfterSeconds } }"
HOLD = """mutation($show: ID!, $seats: [ID!]!) { holdSeats(showId: $show, seatIds: $seats) {
  __typename } }"""


async def minted_tokens(stack: Stack, n: int, sign: bool = True) -> list[tuple[str, str]]:
    """``n`` (user id, access token) pairs for made-up customers, signed by auth's key
    (``sign=False``: no token, for clients that only use the plain poll)."""
    db = Database(stack.settings.database_url("auth"))
    try:
        async with db.writer() as session, session.begin():
            key = await active_key(session)
    finally:
        await db.dispose()
    out = []
    for _ in range(n):
        user = AuthUser(id=str(uuid.uuid4()), role="CUSTOMER")
        out.append((user.id, issue_access_token(user, key, stack.settings,
                                                str(uuid.uuid4())).token if sign else ""))
    return out


def redis_pid() -> list[int]:
    """The Redis server's pid (its CPU is shared with whatever else uses it)."""
    found = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "redis-server":
                found.append(int(comm.parent.name))
        except OSError:
            continue
    return found


async def hold_loop(url: str, buyers: list[tuple[str, str]], show_id: str, seats: list[str],
                    per_second: float, seconds: float, secret: str | None, first: int = 0
                    ) -> tuple[list[float], dict[str, int]]:
    """Holds one seat each at ``per_second`` (each with a fresh pass when ``secret``)."""
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    tasks = []
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=32)) as http:
        async def one(i: int) -> None:
            user_id, token = buyers[i % len(buyers)]
            headers = {"authorization": f"Bearer {token}"}
            if secret:
                headers["ticketflow-queue-pass"] = issue_pass(
                    secret, user_id, show_id, 10_000_000 + first + i, time.time() + 600)
            t0 = time.perf_counter()
            r = await http.post(url, json={"query": HOLD, "variables": {
                "show": show_id, "seats": [seats[i]]}}, headers=headers)
            latencies.append((time.perf_counter() - t0) * 1000)
            body = r.json()
            kind = (body.get("errors") or [{}])[0].get("extensions", {}).get("code") \
                if body.get("errors") else body["data"]["holdSeats"]["__typename"]
            outcomes[kind] = outcomes.get(kind, 0) + 1

        start = time.perf_counter()
        n = int(per_second * seconds)
        for i in range(min(n, len(seats))):
            delay = start + i / per_second - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    return latencies, outcomes


class PlainHttp:
    """A bare HTTP/1.1 keep-alive connection for GET requests: the crowd's polls cost the
    bench a tenth of httpx's CPU, so that one process can ask as often as the crowd's
    intervals say (the servers' cost is what is measured, not the client's)."""

    def __init__(self, url: str) -> None:
        parsed = httpx.URL(url)
        self.host, self.port = parsed.host, parsed.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        try:
            return await self._get(path)
        except (OSError, asyncio.IncompleteReadError):  # the server closed an idle connection
            self.reader = self.writer = None
            return await self._get(path)

    async def _get(self, path: str) -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        lengths = [int(line.split(":", 1)[1]) for line in lines
                   if line.lower().startswith("content-length:")]
        if lengths:
            body = await self.reader.readexactly(lengths[0])
        else:  # chunked
            body = b""
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                body += await self.reader.readexactly(size)
                await self.reader.readuntil(b"\r\n")
            await self.reader.readuntil(b"\r\n")
        if any(line.lower() == "connection: close" for line in lines):
            self.writer.close()
            self.reader = self.writer = None
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def poll_loop(url: str, clients: list[tuple[str, str, float]], stop: asyncio.Event,
                    counts: dict[str, int], latencies: list[float], late: list[float],
                    plain: bool) -> None:
    """One connection polling its share of the crowd, each client when its last answer's
    ``pollAfterSeconds`` says, until admitted (the SDK's loop); a client's first poll is at
    the given moment (spread over its first interval: a crowd that has been waiting a
    while)."""
    due = [(first, i) for i, (_, _, first) in enumerate(clients)]
    heapq.heapify(due)
    plain_http = PlainHttp(url)
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=1)) as http:
        while not stop.is_set() and due:
            at, i = due[0]
            now = time.monotonic()
            if at > now:
                await asyncio.sleep(min(0.2, at - now))
                continue
            heapq.heappop(due)
            late.append(now - at)
            token, ticket, _ = clients[i]
            t0 = time.perf_counter()
            body: dict[str, Any]
            if plain:
                code, raw = await plain_http.get(f"/queue/status/{ticket}")
                body = {"data": {"queueStatus": json.loads(raw)}} if code == 200 else {
                    "errors": [raw.decode()]}
            else:
                r = await http.post(url, json={"query": STATUS, "variables": {"t": ticket}},
                                    headers={"authorization": f"Bearer {token}"})
                body = r.json()
            latencies.append((time.perf_counter() - t0) * 1000)
            after = 30.0
            if body.get("errors"):
                counts["errors"] = counts.get("errors", 0) + 1
            else:
                seen = body["data"]["queueStatus"]
                counts[seen["state"]] = counts.get(seen["state"], 0) + 1
                after = seen["pollAfterSeconds"]
            counts["polls"] = counts.get("polls", 0) + 1
            if not body.get("errors") and seen["state"] != "WAITING":
                continue  # admitted (or expired): the SDK stops polling
            heapq.heappush(due, (time.monotonic() + after, i))
    await plain_http.close()


def stats(values: list[float]) -> str:
    if not values:
        return "-"
    return (f"p50 {percentile(values, 50):.1f} ms, p95 {percentile(values, 95):.1f} ms, "
            f"p99 {percentile(values, 99):.1f} ms")


async def measure(args: argparse.Namespace, stack: Stack, procs: Any) -> None:
    out = sys.stdout.write
    router = GraphQL(stack.router_url)
    organizer = await new_user(stack, stack.url("auth"), "ORGANIZER")
    seats_needed = int(args.rate_per_minute / 60 * args.seconds) + 10
    queued = await show_on_sale(stack, organizer, max(args.seats, seats_needed), "queued")
    plain = await show_on_sale(stack, organizer, max(args.seats, seats_needed), "plain")
    opens = datetime.now(UTC) + timedelta(seconds=args.open_after)
    await router.data(CONFIGURE, {"show": queued.id, "i": {
        "opensAt": opens.isoformat(), "ratePerMinute": args.rate_per_minute}},
        organizer.token)
    secret = stack.settings.queue_pass_secret
    pid = {name: p.pid for name, p in procs.procs.items()}
    assert stack.settings.redis_url, "postgres mode only"
    redis = aioredis.from_url(stack.settings.redis_url)
    mem0 = int((await redis.info("memory"))["used_memory"])
    rss0 = rss_kib(pid["booking"])

    # the crowd: some through the API, the rest straight into the store
    t0 = time.perf_counter()
    api_users: list[User] = [await new_user(stack, stack.url("auth"))
                             for _ in range(args.api_joins)]
    crowd: list[tuple[str, str]] = []

    async def api_join(u: User) -> None:
        challenge = (await router.data(CHALLENGE, {"show": queued.id}, u.token))["queueChallenge"]
        answer = {}
        if challenge:
            answer = {"nonce": challenge["nonce"], "solution": await asyncio.to_thread(
                solve_proof_of_work, challenge["kind"], challenge["nonce"],
                challenge["difficulty"])}
        joined = await router.data(JOIN, {"show": queued.id, **answer}, u.token)
        crowd.append((u.token, joined["joinQueue"]["id"]))

    t_api = time.perf_counter()
    for chunk in range(0, len(api_users), 32):
        await asyncio.gather(*(api_join(u) for u in api_users[chunk:chunk + 32]))
    api_seconds = time.perf_counter() - t_api
    minted = await minted_tokens(stack, args.clients - args.api_joins, sign=not args.plain)
    store = RedisQueueStore(stack.settings.redis_url, stack.settings.redis_prefix)
    for chunk in range(0, len(minted), 2000):
        part = minted[chunk:chunk + 2000]
        indexes = await asyncio.gather(*(store.join(queued.id, uid) for uid, _ in part))
        crowd += [(token, TicketId(queued.id, index, uid).sign(secret))
                  for (uid, token), (index, _) in zip(part, indexes, strict=True)]
    await store.close()
    mem1 = int((await redis.info("memory"))["used_memory"])
    rss1 = rss_kib(pid["booking"])
    out(f"crowd: {len(crowd):,} waiting clients in {time.perf_counter() - t0:.1f} s "
        f"({args.api_joins} through the router's joinQueue in {api_seconds:.1f} s)\n")
    out(f"memory per waiting client: Redis {(mem1 - mem0) / len(crowd):.0f} B, "
        f"booking RSS {(rss1 - rss0) * 1024 / len(crowd):.1f} B\n")

    await asyncio.sleep(max(0.0, (opens - datetime.now(UTC)).total_seconds() + 2))
    buyers = await minted_tokens(stack, 50)
    per_second = args.rate_per_minute / 60
    groups: dict[str, Callable[[], list[int]]] = {
        "router": lambda: group_pids(pid["router"]), "booking": lambda: [pid["booking"]],
        "redis": redis_pid, "bench client": lambda: [os.getpid()]}

    meter = CpuMeter(groups)
    meter.start()
    base, base_outcomes = await hold_loop(stack.router_url, buyers, plain.id, plain.seat_ids,
                                          per_second, args.seconds, None)
    idle_cpu = meter.stop()
    base_wall = meter.wall
    out(f"baseline holds (no queue, no pollers): {len(base)} at {per_second:.0f}/s: "
        f"{stats(base)} {base_outcomes}\n")

    passes, passes_outcomes = await hold_loop(stack.router_url, buyers, queued.id,
                                              queued.seat_ids[-len(queued.seat_ids) // 2:],
                                              per_second, args.seconds / 2, secret,
                                              first=1_000_000)
    out(f"queued holds (with passes), no pollers: {len(passes)}: {stats(passes)} "
        f"{passes_outcomes}\n")

    stop = asyncio.Event()
    counts: dict[str, int] = {}
    poll_latencies: list[float] = []
    late: list[float] = []
    # each client's first poll: a random moment within its interval, as if it had been
    # waiting a while (its interval from its position now, as booking computes it)
    reader = RedisQueueStore(stack.settings.redis_url, stack.settings.redis_prefix)
    state = await reader.state(queued.id)
    await reader.close()
    start = time.monotonic() + 3
    scheduled: list[tuple[str, str, float]] = []
    demand = 0.0
    for token, ticket in crowd:
        index = int(ticket.split(".")[1])
        place = state.place(index) or index
        if place <= state.admitted_places:
            continue  # admitted already: it took its pass and stopped polling
        after = poll_after((place - state.admitted_places) / per_second, index)
        demand += 1 / after
        scheduled.append((token, ticket, start + random.uniform(0, after)))
    out(f"{len(scheduled):,} clients still waiting; their poll intervals ask for "
        f"{demand:,.0f} polls a second\n")
    share = max(1, len(scheduled) // args.pollers)
    poll_url = stack.url("booking") if args.direct else stack.router_url
    pollers = [asyncio.create_task(poll_loop(poll_url, scheduled[i:i + share], stop, counts,
                                               poll_latencies, late, args.plain))
               for i in range(0, len(scheduled), share)]
    await asyncio.sleep(3)  # connections up
    polls0 = counts.get("polls", 0)
    meter = CpuMeter(groups)
    meter.start()
    queued_lat, queued_outcomes = await hold_loop(stack.router_url, buyers, queued.id,
                                                  queued.seat_ids, per_second, args.seconds,
                                                  secret)
    used = meter.stop()
    polls = counts.get("polls", 0) - polls0
    stop.set()
    await asyncio.gather(*pollers)
    wall = meter.wall
    out(f"queued holds (with passes) while {len(crowd):,} clients wait: {len(queued_lat)}: "
        f"{stats(queued_lat)} {queued_outcomes}\n")
    out(f"polls: {polls:,} in {wall:.1f} s = {polls / wall:,.0f}/s "
        f"(answers {dict(counts)}); poll latency {stats(poll_latencies)}; "
        f"polls late by p50 {percentile(late, 50):.2f} s, p99 {percentile(late, 99):.2f} s\n")
    server = 0.0
    for name, cpu in used.items():
        extra = cpu - idle_cpu.get(name, 0.0) * wall / base_wall
        if name != "bench client":
            server += extra
        out(f"  {name}: {cpu:.1f} CPU-s ({100 * cpu / wall:.0f} % of a core); "
            f"{1e6 * extra / max(polls, 1):.0f} µs per poll beyond the holds\n")
    out(f"server CPU beyond the holds (router + booking + Redis): "
        f"{1e6 * server / max(polls, 1):.0f} µs per poll, "
        f"{1e3 * server / wall * 60 / len(crowd):.3f} ms per waiting client per minute "
        f"({100 * server / wall:.0f} % of a core for {len(crowd):,} clients)\n")
    status = (await router.data(SHOW_QUEUE, {"id": queued.id}, organizer.token))["show"]["queue"]
    out(f"operator view: {status}\n")
    out(f"booking RSS at the end: {rss_kib(pid['booking']) / 1024:.0f} MiB; "
        f"router RSS {sum(rss_kib(p) for p in group_pids(pid['router'])) / 1024:.0f} MiB\n")
    await redis.aclose()


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = test_env("postgres", Path(tmp) / "data") | {
            "TICKETFLOW_MAX_SEATS_PER_CUSTOMER": "100000",
            "TICKETFLOW_DB_POOL_SIZE": "10",
            "TICKETFLOW_ROUTER_LOG_LEVEL": "warn",
            "TICKETFLOW_QUEUE_STATUS_LIMIT_PER_ACCOUNT": "100000",
            "TICKETFLOW_QUEUE_JOIN_LIMIT_PER_ADDRESS": "100000",
            "TICKETFLOW_REGISTER_LIMIT_PER_ADDRESS": "100000",
        }
        logs = Path(tmp) / "logs"
        logs.mkdir()
        async with process_stack(env, logs) as (stack, procs):
            await measure(args, stack, procs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--api-joins", type=int, default=200)
    parser.add_argument("--pollers", type=int, default=64, help="polling connections")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate-per-minute", type=int, default=600)
    parser.add_argument("--seats", type=int, default=5000)
    parser.add_argument("--open-after", type=float, default=10.0)
    parser.add_argument("--plain", action="store_true",
                        help="poll GET /queue/status/<ticket> (what the SDK does), not the "
                             "queueStatus query")
    parser.add_argument("--direct", action="store_true",
                        help="poll the booking subgraph itself, not through the router")
    args = parser.parse_args()
    if args.api_joins > args.clients:
        parser.error("--api-joins must not exceed --clients")
    os.chdir(ROOT)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
