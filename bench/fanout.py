"""Benchmark: one hold fanned out live to 1,000 seatAvailability subscribers (issue 5).

    .venv/bin/python -m bench.fanout [--mode postgres|embedded] [--subscribers 1000]
        [--holds 20] [--seats 1000] [--probes 5] [--direct 1000] [--batch 50]

Starts the real deployment (uvicorn subgraph processes and Hive Gateway) on free ports with
databases of its own and publishes one show of ``--seats`` seats. Opens ``--subscribers``
websocket connections (graphql-transport-ws) to the router, ``--batch`` at a time, each
with one ``seatAvailability`` subscription, plus ``--probes`` straight to the booking
subgraph, and waits for every snapshot. Then one customer holds one seat ``--holds`` times
through the router, one hold at a time: the next hold is sent once every subscriber has
the previous one's delta.

For each delivery it records the time since the holdSeats response came back (the commit
lies between the request and the response: the service publishes the message after commit
and before answering, so a delivery can beat the response) and since the request was sent.
It reads VmRSS of the router and the booking process (the one process of all four subgraphs
in embedded mode) before subscribing and with every subscriber connected, and the CPU time
each process spends during the holds.

Unless ``--direct 0``, it then closes those subscribers and repeats the holds with
``--direct`` subscribers connected straight to the booking subgraph: the same fan-out
without the router.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets
from websockets.typing import Subprotocol

from bench.common import (
    CpuMeter,
    fd_count,
    fd_limit,
    group_pids,
    percentile,
    rss_kib,
    show_on_sale,
    summary,
)
from tests.flows import HOLD, User, new_user
from tests.harness import Stack, client_address, process_stack, test_env

WATCH = """subscription($show: ID!) { seatAvailability(showId: $show) {
  kind version seats { seatId state } availability { total available held sold } } }"""


@dataclass
class Arrivals:
    """When each subscriber got each version, and who is waited for."""

    expected: int = 0
    times: dict[int, dict[str, list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    complete: dict[int, asyncio.Event] = field(default_factory=lambda: defaultdict(asyncio.Event))
    counts: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def arrived(self, group: str, version: int, at: float) -> None:
        self.times[version][group].append(at)
        self.counts[version] += 1
        if self.counts[version] >= self.expected:
            self.complete[version].set()


class Subscriber:
    """One websocket connection with one seatAvailability subscription."""

    def __init__(self, url: str, group: str, show_id: str, arrivals: Arrivals) -> None:
        self.url = url.replace("http://", "ws://")
        self.group = group
        self.show_id = show_id
        self.arrivals = arrivals
        self.snapshot_version = -1
        self.failure: str | None = None
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        self._ws = await websockets.connect(
            self.url, subprotocols=[Subprotocol("graphql-transport-ws")], max_size=None,
            open_timeout=60)
        await self._ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        ack = json.loads(await asyncio.wait_for(self._ws.recv(), 60))
        assert ack["type"] == "connection_ack", ack
        await self._ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": WATCH, "variables": {"show": self.show_id}}}))
        while True:
            msg = json.loads(await asyncio.wait_for(self._ws.recv(), 120))
            if msg["type"] == "ping":
                await self._ws.send('{"type":"pong"}')
                continue
            assert msg["type"] == "next", msg
            event = msg["payload"]["data"]["seatAvailability"]
            assert event["kind"] == "SNAPSHOT", event["kind"]
            self.snapshot_version = event["version"]
            break
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                at = time.perf_counter()
                msg = json.loads(raw)
                if msg["type"] == "next":
                    self.arrivals.arrived(self.group,
                                          msg["payload"]["data"]["seatAvailability"]["version"],
                                          at)
                elif msg["type"] == "ping":
                    await self._ws.send('{"type":"pong"}')
                else:
                    self.failure = str(msg)[:300]
                    return
        except websockets.ConnectionClosed as closed:
            self.failure = f"closed: {closed}"

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.send(json.dumps({"id": "1", "type": "complete"}))
                await self._ws.close()


async def open_all(subscribers: list[Subscriber], batch: int) -> float:
    """Open every subscription, ``batch`` at a time; the seconds it took."""
    started = time.perf_counter()
    for i in range(0, len(subscribers), batch):
        await asyncio.gather(*(s.open() for s in subscribers[i:i + batch]))
    return time.perf_counter() - started


async def close_all(subscribers: list[Subscriber], batch: int) -> None:
    for i in range(0, len(subscribers), batch):
        await asyncio.gather(*(s.close() for s in subscribers[i:i + batch]))


@dataclass
class Phase:
    """One round of holds watched by one set of subscribers."""

    name: str
    subscribers: int
    subscribe_seconds: float
    from_response: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    from_send: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    last: list[float] = field(default_factory=list)  # per hold: the last delivery, from send
    hold_ms: list[float] = field(default_factory=list)
    rss: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # before, open, after
    cpu: str = ""
    idle: str = ""
    failures: list[str] = field(default_factory=list)


async def holds_watched(stack: Stack, customer: User, show_id: str, seat_ids: list[str],
                        holds: int,
                        arrivals: Arrivals, base_version: int, phase: Phase,
                        meter: CpuMeter) -> None:
    """Hold one seat at a time; wait until every subscriber has the delta."""
    headers = {"authorization": f"Bearer {customer.token}", "x-forwarded-for": client_address()}
    async with httpx.AsyncClient(timeout=60, headers=headers) as client:
        # One hold before measuring: the connection and the router's plan are warm.
        await hold(client, stack.router_url, show_id, seat_ids[0])
        await wait_version(arrivals, base_version + 1)
        meter.start()  # idle first: what the processes use when nobody asks anything
        await asyncio.sleep(IDLE_SECONDS)
        meter.stop()
        idle = meter.rates()
        phase.idle = ", ".join(f"{k} {v * 1000:.0f} ms/s" for k, v in idle.items())
        meter.start()
        for i in range(1, holds + 1):
            sent = time.perf_counter()
            await hold(client, stack.router_url, show_id, seat_ids[i])
            answered = time.perf_counter()
            version = base_version + 1 + i
            await wait_version(arrivals, version)
            phase.hold_ms.append((answered - sent) * 1000)
            for group, times in arrivals.times[version].items():
                phase.from_response[group] += [(t - answered) * 1000 for t in times]
                phase.from_send[group] += [(t - sent) * 1000 for t in times]
            phase.last.append((max(max(t) for t in arrivals.times[version].values()) - sent)
                              * 1000)
            await asyncio.sleep(0.2)  # let the processes go idle between holds
        meter.stop()
    phase.cpu = meter.line(holds, "hold", idle)


async def hold(client: httpx.AsyncClient, url: str, show_id: str, seat: str) -> None:
    response = await client.post(url, json={"query": HOLD, "variables": {
        "show": show_id, "seats": [seat]}})
    body = response.json()
    assert body.get("data", {}).get("holdSeats", {}).get("__typename") == "SeatHold", body


WAIT_SECONDS = 60.0
IDLE_SECONDS = 3.0


async def wait_version(arrivals: Arrivals, version: int) -> None:
    try:
        await asyncio.wait_for(arrivals.complete[version].wait(), WAIT_SECONDS)
    except TimeoutError:
        raise AssertionError(f"version {version}: {arrivals.counts[version]} of "
                             f"{arrivals.expected} deliveries after {WAIT_SECONDS} s") from None


async def phase_run(stack: Stack, customer: User, show_id: str, seat_ids: list[str], name: str,
                    groups: dict[str, tuple[str, int]], holds: int, batch: int,
                    watched: dict[str, int], cpu_groups: dict[str, Callable[[], list[int]]]
                    ) -> Phase:
    """Subscribe ``groups`` (name -> url, how many), hold ``holds`` seats, close them all."""
    arrivals = Arrivals(expected=sum(n for _, n in groups.values()))
    subscribers = [Subscriber(url, group, show_id, arrivals)
                   for group, (url, n) in groups.items() for _ in range(n)]
    before = {k: rss_kib(pid) for k, pid in watched.items()}
    sys.stdout.write(f"{name}: opening {len(subscribers)} subscriptions "
                     f"({', '.join(f'{g} {n}' for g, (_, n) in groups.items())})\n")
    took = await open_all(subscribers, batch)
    phase = Phase(name, len(subscribers), took)
    versions = {s.snapshot_version for s in subscribers}
    assert len(versions) == 1, versions
    await asyncio.sleep(2)
    opened = {k: rss_kib(pid) for k, pid in watched.items()}
    fds = ", ".join(f"{k} {fd_count(pid)} (limit {fd_limit(pid)})" for k, pid in watched.items())
    sys.stdout.write(f"  subscribed in {took:.1f} s; open files: {fds}, this client "
                     f"{fd_count(os.getpid())}\n")
    try:
        await holds_watched(stack, customer, show_id, seat_ids, holds, arrivals,
                            versions.pop(), phase, CpuMeter(cpu_groups))
    finally:
        phase.failures = [s.failure for s in subscribers if s.failure]
        after = {k: rss_kib(pid) for k, pid in watched.items()}
        phase.rss = {k: (before[k], opened[k], after[k]) for k in watched}
        await close_all(subscribers, batch)
    report(phase)
    return phase


def report(phase: Phase) -> None:
    lines = [f"  {phase.name}: {phase.subscribers} subscribers, "
             f"{len(phase.hold_ms)} holds measured"]
    for group in phase.from_response:
        lines.append(f"    {group}: delivery p50 / p99 / max from the hold's response "
                     f"{summary(phase.from_response[group])}; from its request "
                     f"{summary(phase.from_send[group])}")
    lines.append(f"    last delivery of each hold, from its request: {summary(phase.last)}; "
                 f"holdSeats itself {summary(phase.hold_ms)}")
    for name, (before, opened, after) in phase.rss.items():
        lines.append(f"    {name} RSS: {before / 1024:.0f} MiB before, {opened / 1024:.0f} MiB "
                     f"subscribed (+{(opened - before) / phase.subscribers:.0f} KiB per "
                     f"subscriber), {after / 1024:.0f} MiB after the holds")
    lines.append(f"    {phase.cpu}")
    lines.append(f"    CPU when idle (subscribers connected): {phase.idle}")
    if phase.failures:
        lines.append(f"    {len(phase.failures)} subscribers failed, e.g. {phase.failures[0]}")
    sys.stdout.write("\n".join(lines) + "\n")


def raise_fd_limit(wanted: int) -> str:
    """Raise this process's open-file limit (children inherit it) toward ``wanted``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    now = resource.getrlimit(resource.RLIMIT_NOFILE)
    return f"open-file limit {soft}/{hard} -> {now[0]}/{now[1]}"


async def main(mode: str, subscribers: int, holds: int, seats: int, probes: int, direct: int,
               batch: int) -> None:
    limit = raise_fd_limit(4 * (subscribers + direct + probes) + 1024)
    with tempfile.TemporaryDirectory() as tmp:
        env = test_env(mode, Path(tmp) / "data") | {
            "TICKETFLOW_MAX_SEATS_PER_CUSTOMER": str(2 * holds + 2),
            "TICKETFLOW_DB_POOL_SIZE": "10",
        }
        logs = Path(tmp) / "logs"
        logs.mkdir()
        async with process_stack(env, logs) as (stack, procs):
            organizer = await new_user(stack, stack.url("auth"), "ORGANIZER")
            customer = await new_user(stack, stack.url("auth"))
            show = await show_on_sale(stack, organizer, seats, "fan-out")
            booking = "subgraphs" if stack.settings.embedded else "booking"
            pid = {name: p.pid for name, p in procs.procs.items()}
            watched = {"router": pid["router"], booking: pid[booking]}
            cpu: dict[str, Callable[[], list[int]]] = {
                "router": lambda: group_pids(pid["router"]), booking: lambda: [pid[booking]],
                "this client": lambda: [os.getpid()]}
            if not stack.settings.embedded:
                cpu["auth+venue+payment"] = lambda: [pid["auth"], pid["venue"], pid["payment"]]
            sys.stdout.write(f"mode={mode} seats={seats} holds={holds}; {limit}; router pids "
                             f"{group_pids(pid['router'])}; load average "
                             f"{os.getloadavg()[0]:.2f}\n")
            phases = []
            if subscribers:
                phases.append(await phase_run(
                    stack, customer, show.id, show.seat_ids[:holds + 1], "through the router",
                    {"router": (stack.router_url, subscribers), "direct probe":
                     (stack.url("booking"), probes)}, holds, batch, watched, cpu))
            if direct:
                phases.append(await phase_run(
                    stack, customer, show.id, show.seat_ids[holds + 1:2 * holds + 2],
                    "straight to booking", {"direct": (stack.url("booking"), direct)},
                    holds, batch, {booking: pid[booking]}, cpu))
    lines = ["", "| subscribers | deliveries | p50 from response | p99 from response | "
             "p99 from request | last of a hold, max | RSS per subscriber |",
             "|---|---|---|---|---|---|---|"]
    for p in phases:
        for group in p.from_response:
            r, s = p.from_response[group], p.from_send[group]
            rss = ", ".join(f"{k} {(o - b) / p.subscribers:.0f} KiB"
                            for k, (b, o, _) in p.rss.items())
            lines.append(f"| {group} ({p.name}) | {len(r)} | {summary_one(r, 50)} | "
                         f"{summary_one(r, 99)} | {summary_one(s, 99)} | "
                         f"{max(p.last):.0f} ms | {rss} |")
    sys.stdout.write("\n".join(lines) + "\n")


def summary_one(values: list[float], p: float) -> str:
    return f"{percentile(values, p):.0f} ms" if values else "-"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", default="postgres", choices=["postgres", "embedded"])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--holds", type=int, default=20)
    parser.add_argument("--seats", type=int, default=1000)
    parser.add_argument("--probes", type=int, default=5,
                        help="subscribers straight to booking beside the router's")
    parser.add_argument("--direct", type=int, default=1000,
                        help="subscribers straight to booking in a second round (0: none)")
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.mode, args.subscribers, args.holds, args.seats, args.probes,
                     args.direct, args.batch))
