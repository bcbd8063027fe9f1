"""One round trip for many callers: calls made while one is in flight go together next.

On a hot show a process answers dozens of holds at once, and each ended with round trips of
its own to PostgreSQL or Redis that only differ in their keys (take back this change's
version, is this session revoked, publish this message). A :class:`Coalesced` sends the
first caller's keys at once; every caller that arrives while that round trip is in flight
waits for it to return and then goes out with the others in one round trip. At low load
nothing waits (one caller, one round trip, as before); under load the round trips per
request fall with the load itself. Unlike a DataLoader, which batches what one event-loop
turn asked for, it batches what a whole round trip's wait gathered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

Fetch = Callable[[list[K]], Awaitable[Mapping[K, V]]]


class Coalesced(Generic[K, V]):
    """``await coalesced(keys)`` → ``fetch(keys of every caller in the batch)``.

    ``fetch`` gets the keys of every waiting caller (in arrival order, duplicates kept)
    and returns what it found for each; a caller sees the whole mapping. An error of
    ``fetch`` goes to every caller of that batch, and the next batch runs as usual.
    """

    def __init__(self, fetch: Fetch[K, V]) -> None:
        self._fetch = fetch
        self._waiting: list[tuple[Sequence[K], asyncio.Future[Mapping[K, V]]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def __call__(self, keys: Sequence[K]) -> Mapping[K, V]:
        future: asyncio.Future[Mapping[K, V]] = asyncio.get_running_loop().create_future()
        self._waiting.append((keys, future))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send())
        return await future

    async def _send(self) -> None:
        batch: list[tuple[Sequence[K], asyncio.Future[Mapping[K, V]]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                batch = [(keys, f) for keys, f in batch if not f.done()]  # callers gone
                if not batch:
                    continue
                try:
                    found = await self._fetch([k for keys, _ in batch for k in keys])
                except Exception as error:  # every caller of this batch hears it
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for _, future in batch:
                    if not future.done():
                        future.set_result(found)
        except BaseException:  # cancelled (the loop is closing): nobody waits for ever
            for _, future in batch + self._waiting:
                if not future.done():
                    future.cancel()
            self._waiting = []
            raise
