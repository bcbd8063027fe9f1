"""Benchmark: the booking subgraph's side of live fan-out, without the router.

    .venv/bin/python -m bench.live_booking [--mode postgres|embedded] [--seats 1000]
        [--subscribers 1000 10] [--holds 20] [--batch 50] [--documents 1]

Starts the real deployment (uvicorn subgraph processes; the router only to publish the
show) on free ports with databases of its own and publishes one show of ``--seats``
seats. For each count in ``--subscribers`` (in that order) it opens that many websocket
connections (graphql-transport-ws) straight to the booking subgraph, ``--batch`` at a time,
each with one ``seatAvailability`` subscription, and waits for every snapshot. It reports:

* how long opening took (subscriptions per second, each with its snapshot: the client,
  one Python process, is often the limit) and booking's CPU per subscription;
* booking's VmRSS before and with every subscriber idle after its snapshot (the first
  count gives the clean figure: memory Python freed later is reused, not returned);
* booking's CPU per hold above idle, with one customer holding one seat at a time
  (``--holds`` times, the next once every subscriber has the previous delta). The
  difference between two counts, divided by the difference in subscribers, is booking's
  CPU per subscriber per delta;
* delivery latency from the holdSeats response (the commit lies before it).

``--documents N`` spreads the subscribers over N different selection sets (groups).
``--source publish`` (postgres mode) publishes made-up live messages of consecutive
versions straight to the show's Redis channel instead of holding seats: booking's CPU per
delta is then the fan-out alone, without the hold's own cost.
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
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis
import websockets
from ticketflow_sdk.ws import GraphQLWebSocket

from bench.common import CpuMeter, rss_kib, show_on_sale, summary
from bench.env import bench_env
from tests.flows import HOLD, new_user
from tests.harness import Stack, client_address, process_stack

# The first is bench.fanout's document; further ones make further groups.
FIELDS = ["kind version seats { seatId state } availability { total available held sold }",
          "kind version seats { seatId }", "showId kind version availability { held }"]
WAIT_SECONDS = 120.0
# uvicorn pings every websocket every 20 s: an idle interval of that length holds one
# round of pings, as the measured interval does on average.
IDLE_SECONDS = 20.0


def document(variant: int) -> str:
    fields = FIELDS[variant % len(FIELDS)]
    alias = "" if variant < len(FIELDS) else f" v{variant}: __typename"
    return (f"subscription($show: ID!) {{ seatAvailability(showId: $show) {{ {fields}{alias} "
            "} }")


@dataclass
class Arrivals:
    expected: int = 0
    at: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    done: dict[int, asyncio.Event] = field(default_factory=lambda: defaultdict(asyncio.Event))

    def arrived(self, version: int, when: float) -> None:
        self.at[version].append(when)
        if len(self.at[version]) >= self.expected:
            self.done[version].set()


class Subscriber:
    """One subscriber on a connection of its own (the SDK's graphql-transport-ws client)."""

    def __init__(self, url: str, query: str, show_id: str, arrivals: Arrivals) -> None:
        self.url, self.query, self.show_id, self.arrivals = url, query, show_id, arrivals
        self.version = -1
        self.failure: str | None = None
        self._opened = contextlib.AsyncExitStack()
        self._connection: GraphQLWebSocket | None = None
        self._reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        self._connection = connection = await self._opened.enter_async_context(
            GraphQLWebSocket.connect(self.url, open_timeout=60))
        await connection.subscribe("1", self.query, {"show": self.show_id})
        msg = await asyncio.wait_for(connection.receive(), WAIT_SECONDS)
        event = msg["payload"]["data"]["seatAvailability"]
        assert event["kind"] == "SNAPSHOT", msg
        self.version = event["version"]
        self._reader = asyncio.create_task(self._read(connection))

    async def _read(self, connection: GraphQLWebSocket) -> None:
        try:
            while True:
                msg = await connection.receive()
                when = time.perf_counter()
                if msg["type"] != "next":
                    self.failure = str(msg)[:200]
                    return
                self.arrivals.arrived(msg["payload"]["data"]["seatAvailability"]["version"],
                                      when)
        except websockets.ConnectionClosed as closed:
            self.failure = f"closed: {closed}"

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        with contextlib.suppress(Exception):
            await self._opened.aclose()


def raise_fd_limit(wanted: int) -> str:
    """Raise this process's open-file limit (children inherit it) toward ``wanted``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (
            wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard))
    return f"open-file limit {soft} -> {resource.getrlimit(resource.RLIMIT_NOFILE)[0]}"


async def in_batches(coros: list[Any], batch: int) -> None:
    for i in range(0, len(coros), batch):
        await asyncio.gather(*coros[i:i + batch])


class Publisher:
    """Made-up live messages of a show, as booking announces them, straight to Redis."""

    def __init__(self, stack: Stack, show_id: str, total: int) -> None:
        assert stack.settings.redis_url, "--source publish needs --mode postgres"
        self.redis = aioredis.from_url(stack.settings.redis_url)
        self.key = f"{stack.settings.redis_prefix}:live:show:{show_id}"
        self.show_id, self.total = show_id, total

    async def publish(self, version: int, seat: str, held: int) -> float:
        await self.redis.publish(self.key, json.dumps({
            "show_id": self.show_id, "version": version,
            "seats": [{"seat_id": seat, "state": "HELD", "legs": []}],
            "counts": {"total": self.total, "available": self.total - held, "held": held,
                       "sold": 0}, "by_category": [], "general_admission": []}))
        return time.perf_counter()


async def phase(url: str, router: str, token: str, show_id: str, seats: list[str], count: int,
                holds: int, batch: int, documents: int, pid: int,
                publisher: Publisher | None) -> list[str]:
    arrivals = Arrivals(expected=count)
    subscribers = [Subscriber(url, document(i % documents), show_id, arrivals)
                   for i in range(count)]
    before = rss_kib(pid)
    opening = CpuMeter({"booking": lambda: [pid]})
    opening.start()
    started = time.perf_counter()
    await in_batches([s.open() for s in subscribers], batch)
    took = time.perf_counter() - started
    opening.stop()
    await asyncio.sleep(2)  # let the snapshots' buffers go before reading memory
    opened = rss_kib(pid)
    sys.stdout.write(f"  {count} subscribed (booking pid {pid}); deltas next\n")
    sys.stdout.flush()
    versions = {s.version for s in subscribers}
    assert len(versions) == 1, versions
    version = versions.pop()
    meter = CpuMeter({"booking": lambda: [pid]})
    latencies: list[float] = []
    headers = {"authorization": f"Bearer {token}", "x-forwarded-for": client_address()}
    async with httpx.AsyncClient(timeout=60, headers=headers) as client:

        async def hold(seat: str) -> float:
            if publisher is not None:
                return await publisher.publish(version + 1, seat, version + 1)
            body = (await client.post(router, json={"query": HOLD, "variables": {
                "show": show_id, "seats": [seat]}})).json()
            assert body["data"]["holdSeats"]["__typename"] == "SeatHold", body
            return time.perf_counter()

        await hold(seats[0])
        version += 1
        await asyncio.wait_for(arrivals.done[version].wait(), WAIT_SECONDS)
        meter.start()
        await asyncio.sleep(IDLE_SECONDS)
        meter.stop()
        idle = meter.rates()
        meter.start()
        for seat in seats[1:holds + 1]:
            answered = await hold(seat)
            version += 1
            await asyncio.wait_for(arrivals.done[version].wait(), WAIT_SECONDS)
            latencies += [(t - answered) * 1000 for t in arrivals.at[version]]
            await asyncio.sleep(0.2)  # the processes go idle between holds
        meter.stop()
    failures = [s.failure for s in subscribers if s.failure]
    await in_batches([s.close() for s in subscribers], batch)
    return [f"{count} subscribers ({documents} documents): opened in {took:.1f} s "
            f"({count / took:.0f} subscriptions/s with snapshot; booking CPU "
            f"{opening.used['booking'] * 1000 / count:.2f} ms each); booking RSS "
            f"{before / 1024:.0f} -> {opened / 1024:.0f} MiB "
            f"({(opened - before) / count:+.1f} KiB per idle subscriber)",
            f"  {meter.line(holds, 'hold' if publisher is None else 'delta', idle)}",
            f"  delivery from the {'publish' if publisher else 'hold response'} p50 / p99 / max:"
            f" {summary(latencies)}",
            *([f"  {len(failures)} failed, e.g. {failures[0]}"] if failures else [])]


async def main(mode: str, seats: int, counts: list[int], holds: int, batch: int,
               documents: int, source: str) -> None:
    limit = raise_fd_limit(4 * max(counts) + 1024)
    with tempfile.TemporaryDirectory() as tmp:
        env = bench_env(mode, Path(tmp) / "data") | {
            "TICKETFLOW_MAX_SEATS_PER_CUSTOMER": str(len(counts) * (holds + 1) + 2),
            "TICKETFLOW_DB_POOL_SIZE": "10"}
        logs = Path(tmp) / "logs"
        logs.mkdir()
        async with process_stack(env, logs) as (stack, procs):
            organizer = await new_user(stack, stack.url("auth"), "ORGANIZER")
            customer = await new_user(stack, stack.url("auth"))
            show = await show_on_sale(stack, organizer, seats, "live-booking")
            booking = "subgraphs" if stack.settings.embedded else "booking"
            pid = procs.procs[booking].pid
            url = stack.url("booking").replace("http://", "ws://")
            sys.stdout.write(f"mode={mode} seats={seats} holds={holds}; {limit}; load average "
                             f"{os.getloadavg()[0]:.2f}\n")
            publisher = Publisher(stack, show.id, seats) if source == "publish" else None
            for i, count in enumerate(counts):
                lines = await phase(url, stack.router_url, customer.token, show.id,
                                    show.seat_ids[i * (holds + 1):(i + 1) * (holds + 1)],
                                    count, holds, batch, documents, pid, publisher)
                sys.stdout.write("\n".join(lines) + "\n")
                sys.stdout.flush()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", default="postgres", choices=["postgres", "embedded"])
    parser.add_argument("--seats", type=int, default=1000)
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1000, 10])
    parser.add_argument("--holds", type=int, default=20)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--documents", type=int, default=1)
    parser.add_argument("--source", default="holds", choices=["holds", "publish"])
    args = parser.parse_args()
    asyncio.run(main(args.mode, args.seats, args.subscribers, args.holds, args.batch,
                     args.documents, args.source))
