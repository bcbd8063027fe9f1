"""Benchmark: the reconnect storm (issue 21) - N watchers of one hot show through the router,
and the router restarted under them.

    .venv/bin/python -m bench.storm --mode postgres --subscribers 1000              # Node watchers
    .venv/bin/python -m bench.storm --mode postgres --subscribers 1000 --client sdk # SDK watchers

    options: [--seats 1000] [--holds 5] [--concurrency 200]

Starts the real deployment (PostgreSQL + Redis, or embedded) and publishes one show of
``--seats`` seats. Then:

1. opens ``--subscribers`` subscriptions to it through the router, each on its own
   connection, and waits for every snapshot: **subscriptions opened per second** = N / (first
   connect .. last snapshot). ``--client node`` (the default): the fan-out benchmark's Node
   process (bench/fanout_client.mjs --reconnect true), ``--concurrency`` connecting at a time;
   ``--client sdk``: N ``AsyncClient.watch_seats`` watchers in this Python process, all at once;
2. holds ``--holds`` seats through the router (everyone follows);
3. stops the router (SIGTERM: it closes every client connection), holds ``--holds`` seats
   straight at booking while it is down, starts it again and holds ``--holds`` more through it
   while the watchers come back (each connects again as the SDK does: 250 ms doubling up to
   5 s, plus jitter);
4. reports, from the router's stop: when it was ready again, when **every watcher had a new
   snapshot** (live again) and when every one had booking's current version (from booking's
   database); **subscriptions opened per second during the storm** = N / (router ready .. last
   new snapshot); reconnection attempts, resubscriptions, gaps (a delta that did not follow);
   booking's snapshot reads and renders during the storm (``GET /debug/feeds``: one render per
   version and document, not per watcher).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import show_on_sale
from bench.fanout import EVENT_FIELDS, Subscribers, load, raise_fd_limit, watch_query
from tests.flows import HOLD, User, new_user
from tests.harness import (
    ROOT,
    GraphQL,
    Processes,
    Stack,
    eventually,
    process_stack,
    start_router,
    stop_router,
    test_env,
)
from tests.watchers import Watcher, all_at, booking_state, failures, feed_stats, watching

WAIT_SECONDS = 600.0  # at most this long for anything to happen


class Node:
    """The watchers as the fan-out benchmark's Node process (with --reconnect true)."""

    def __init__(self, subscribers: Subscribers) -> None:
        self.subscribers = subscribers

    @classmethod
    async def open(cls, stack: Stack, show_id: str, n: int, concurrency: int, tmp: Path
                   ) -> tuple[Node, float]:
        fields = (await GraphQL(stack.router_url).data(EVENT_FIELDS))["__type"]["fields"]
        query_file = tmp / "watch.graphql"
        query_file.write_text(watch_query({f["name"] for f in fields}))
        subscribers = await Subscribers.start(stack.router_url, show_id, n, concurrency,
                                              query_file, reconnect=True)
        opened = await subscribers.answer(within=WAIT_SECONDS)
        assert not opened["failures"], opened
        return cls(subscribers), opened["seconds"]

    async def progress(self, version: int, since: float) -> dict[str, Any]:
        """behind (not at ``version`` yet), fresh (a snapshot since ``since``, monotonic
        seconds) and the last such snapshot's time; reconnects, resubscribes, gaps."""
        found = await self.subscribers.ask({"cmd": "progress", "version": version,
                                            "since": since * 1000})
        return {"behind": found["behind"], "fresh": found["snapshotsSince"],
                "first": found["firstSnapshotAt"] / 1000, "last": found["lastSnapshotAt"] / 1000,
                "reconnects": found["reconnects"],
                "resubscribes": found["resubscribes"], "gaps": found["gaps"],
                "problems": found["problems"][:3]}

    async def close(self) -> None:
        await self.subscribers.close()


class Sdk:
    """The watchers as ``AsyncClient.watch_seats`` in this process."""

    def __init__(self, watchers: list[Watcher]) -> None:
        self.watchers = watchers

    async def progress(self, version: int, since: float) -> dict[str, Any]:
        gave_up = failures(self.watchers)
        assert not gave_up, gave_up[:3]
        fresh = [next((t for s, t in zip(w.states, w.times, strict=True)
                       if t >= since and s.kind == "SNAPSHOT"), None) for w in self.watchers]
        return {"behind": sum(not w.states or w.states[-1].version < version
                              for w in self.watchers),
                "fresh": sum(t is not None for t in fresh),
                "first": min((t for t in fresh if t is not None), default=0.0),
                "last": max((t for t in fresh if t is not None), default=0.0),
                "reconnects": sum(w.watch.resubscriptions for w in self.watchers),
                "resubscribes": "-", "gaps": "-", "problems": []}


async def hold_seats(through: GraphQL, show_id: str, seats: list[str], customer: User) -> None:
    for seat in seats:
        body = await through.data(HOLD, {"show": show_id, "seats": [seat]}, customer.token)
        assert body["holdSeats"]["__typename"] == "SeatHold", body


async def storm(args: argparse.Namespace, stack: Stack, procs: Processes, tmp: Path) -> None:
    out = sys.stdout.write
    organizer = await new_user(stack, stack.url("auth"), "ORGANIZER")
    customer = await new_user(stack, stack.url("auth"))
    show = await show_on_sale(stack, organizer, args.seats, "storm")
    seats = iter(show.seat_ids)
    router, booking = GraphQL(stack.router_url), stack.client("booking")
    n = args.subscribers
    out(f"mode={args.mode} client={args.client} subscribers={n} seats={args.seats} "
        f"holds={args.holds} x 3; {load()}\n")

    started = time.monotonic()
    if args.client == "node":
        watchers: Node | Sdk
        watchers, opening = await Node.open(stack, show.id, n, args.concurrency, tmp)
        sdk_watchers = None
    else:
        sdk_watchers = watching(stack.router_url, show.id, n)
        opened = await sdk_watchers.__aenter__()
        watchers = Sdk(opened)
        version, _ = await booking_state(stack, show.id)
        # every first snapshot
        await eventually(lambda: asyncio.sleep(0, all_at(opened, version)), WAIT_SECONDS, 0.05)
        opening = max(w.times[0] for w in opened) - started
    try:
        out(f"  opened {n} subscriptions (every snapshot received) in {opening:.2f} s: "
            f"{n / opening:.0f} per second; {load()}\n")
        await hold_seats(router, show.id, [next(seats) for _ in range(args.holds)], customer)
        version, _ = await booking_state(stack, show.id)

        async def following() -> bool:
            return (await watchers.progress(version, 0.0))["behind"] == 0

        await eventually(following, WAIT_SECONDS, 0.05)  # every watcher follows
        before = (await feed_stats(stack))["stats"]

        stop = time.monotonic()
        await stop_router(procs)
        stopped = time.monotonic()
        await hold_seats(booking, show.id, [next(seats) for _ in range(args.holds)], customer)
        await start_router(stack, procs)
        ready = time.monotonic()
        await hold_seats(router, show.id, [next(seats) for _ in range(args.holds)], customer)
        version, _ = await booking_state(stack, show.id)

        async def live_again() -> bool:
            return (await watchers.progress(version, stop))["fresh"] == n

        async def current() -> bool:
            return (await watchers.progress(version, stop))["behind"] == 0

        # every watcher has a new snapshot, then booking's current version
        await eventually(live_again, WAIT_SECONDS, 0.05)
        await eventually(current, WAIT_SECONDS, 0.05)
        caught_up = time.monotonic()
        progress = await watchers.progress(version, stop)
        after = (await feed_stats(stack))["stats"]
    finally:
        if sdk_watchers is not None:
            await sdk_watchers.__aexit__(None, None, None)
        if isinstance(watchers, Node):
            await watchers.close()

    first, last = progress["first"], progress["last"]
    out(f"  router stopped in {stopped - stop:.2f} s, ready again {ready - stop:.2f} s after the "
        f"stop\n  every watcher live again (a new snapshot) {last - stop:.2f} s after the stop, "
        f"{last - ready:.2f} s after the router was ready ({n / max(last - ready, 1e-3):.0f}/s); "
        f"first to last new snapshot {last - first:.2f} s: {n / max(last - first, 1e-3):.0f} "
        f"subscriptions opened per second during the storm\n  every watcher at booking's "
        f"version {version} {caught_up - stop:.2f} s after the stop (polled)\n")
    out(f"  connection attempts {progress['reconnects']}, resubscriptions "
        f"{progress['resubscribes']}, gaps {progress['gaps']}"
        f"{'; e.g. ' + str(progress['problems'][0])[:160] if progress['problems'] else ''}\n")
    delta = {k: after.get(k, 0) - before.get(k, 0)
             for k in ("snapshot_reads", "snapshot_renders", "executions", "deltas")}
    out(f"  booking during the storm: snapshot reads {delta['snapshot_reads']}, renders "
        f"{delta['snapshot_renders']} (for {n} new snapshots), executions "
        f"{delta['executions']}, deltas {delta['deltas']}; {load()}\n")


async def run(args: argparse.Namespace) -> None:
    limit = raise_fd_limit(4 * args.subscribers + 4096)
    with tempfile.TemporaryDirectory() as tmp:
        env = test_env(args.mode, Path(tmp) / "data") | {
            "TICKETFLOW_MAX_SEATS_PER_CUSTOMER": str(3 * args.holds + 10),
            "TICKETFLOW_DB_POOL_SIZE": "10",
            "TICKETFLOW_ROUTER_LOG_LEVEL": "warn",
        }
        logs = Path(tmp) / "logs"
        logs.mkdir()
        sys.stdout.write(f"{limit}\n")
        async with process_stack(env, logs) as (stack, procs):
            await storm(args, stack, procs, Path(tmp))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", default="postgres", choices=["postgres", "embedded"])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--client", default="node", choices=["node", "sdk"])
    parser.add_argument("--seats", type=int, default=1000)
    parser.add_argument("--holds", type=int, default=5,
                        help="seats held before, during and after the router's restart")
    parser.add_argument("--concurrency", type=int, default=200,
                        help="node: subscriptions being opened at once")
    args = parser.parse_args()
    os.chdir(ROOT)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
