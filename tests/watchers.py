"""Many SDK watchers of one show (``AsyncClient.watch_seats``), each on its own websocket:
every state each was given and when (the reconnect-storm test and ``bench/storm.py``); and
``LiveConnection``, one raw graphql-transport-ws connection whose subscriptions have ids of its own
(the router's pass-through and subscription caps)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from ticketflow_sdk import AsyncClient, SeatMapState, SeatWatch
from ticketflow_sdk.ws import GraphQLWebSocket

from subgraphs.booking import inventory
from subgraphs.kernel.db import Database
from tests.harness import Stack, http

WAIT = 30.0


@dataclass
class Watcher:
    """One watcher, every state it was given in order, and when (``time.monotonic()``)."""

    watch: SeatWatch
    states: list[SeatMapState] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    async def follow(self) -> None:
        async for state in self.watch:
            self.states.append(state)
            self.times.append(time.monotonic())

    def failure(self) -> BaseException | None:
        """What ended the watch (it gave up), if it ended."""
        task = self.task
        if task is None or not task.done() or task.cancelled():
            return None
        return task.exception()


@contextlib.asynccontextmanager
async def watching(url: str, show_id: str, n: int, reconnect_attempts: int = 30
                   ) -> AsyncIterator[list[Watcher]]:
    """``n`` anonymous watchers of the show (one client, a connection per watch), following
    it until the block ends."""
    async with AsyncClient(url) as client:
        watchers = [Watcher(client.watch_seats(show_id, reconnect_attempts=reconnect_attempts))
                    for _ in range(n)]
        for w in watchers:
            w.task = asyncio.create_task(w.follow())
        try:
            yield watchers
        finally:
            for w in watchers:
                if w.task is not None:
                    w.task.cancel()
            await asyncio.gather(*(w.task for w in watchers if w.task), return_exceptions=True)
            await asyncio.gather(*(w.watch.aclose() for w in watchers), return_exceptions=True)


def failures(watchers: list[Watcher]) -> list[BaseException]:
    """Why the watchers that gave up did."""
    return [e for w in watchers if (e := w.failure()) is not None]


def all_at(watchers: list[Watcher], version: int, since: list[int] | None = None) -> bool:
    """Whether every watcher's last state is at ``version`` (with ``since``: and came after
    its first ``since[i]`` states); raises if a watcher gave up."""
    gave_up = failures(watchers)
    assert not gave_up, gave_up[:3]
    return all(w.states and w.states[-1].version == version
               and (since is None or len(w.states) > since[i])
               for i, w in enumerate(watchers))


async def booking_state(stack: Stack, show_id: str) -> tuple[int, dict[str, str]]:
    """The show's version and every seat's state, as booking's database has them."""
    db = Database(stack.settings.database_url("booking"), pool_size=1)
    try:
        async with db.reader() as session:
            snap = await inventory.snapshot(session, show_id)
    finally:
        await db.dispose()
    assert snap is not None
    return snap.version, {s.seat_id: s.state for s in snap.seats}


async def feed_stats(stack: Stack) -> dict[str, Any]:
    """Booking's GET /debug/feeds (TICKETFLOW_FEEDS_DEBUG, on in every test deployment)."""
    url = stack.url("booking").replace("/graphql", "/debug/feeds")
    response = await http().get(url)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


class LiveConnection(GraphQLWebSocket):
    """One client connection (graphql-transport-ws, the SDK's) whose subscriptions have ids
    of its own; every wait is bounded by WAIT seconds."""

    OPEN_TIMEOUT = WAIT

    async def send_subscribe(self, sub: str, payload: dict[str, Any]) -> None:
        """A ``subscribe`` of ``payload`` as it is (a hash in place of the query, say)."""
        await self.send({"id": sub, "type": "subscribe", "payload": payload})

    async def receive(self) -> dict[str, Any]:
        """The next message that is not a ping or pong (within WAIT seconds)."""
        return await asyncio.wait_for(super().receive(), WAIT)

    async def event(self, sub: str) -> dict[str, Any]:
        """The next message, which must be a ``next`` of subscription ``sub`` without errors."""
        msg = await self.receive()
        assert (msg["type"], msg["id"]) == ("next", sub), msg
        assert "errors" not in msg["payload"], msg
        return msg["payload"]["data"]  # type: ignore[no-any-return]
