"""Live messages for subscriptions: Redis pub/sub across processes, or in-process.

Each process keeps one Redis subscription per channel however many local watchers it
has, and fans messages out to them in memory. A watcher's stream ends when it may have
missed a message (it fell behind, or the Redis connection was lost and made again):
whoever watches must start over from the source of truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from subgraphs.kernel.batch import Coalesced
from subgraphs.kernel.redis_pool import redis_client

log = logging.getLogger("ticketflow.live")

QUEUE_SIZE = 1024


# Wakes a reader blocked on an empty queue once its watcher is cut off.
_END: dict[str, Any] = {}


class Watcher:
    """One local subscriber's queue. A watcher that falls too far behind is cut off."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self.lagged = False

    def offer(self, message: dict[str, Any]) -> None:
        """Queue a message without waiting; cut the watcher off if it is full."""
        if self.lagged:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.interrupt()

    def interrupt(self) -> None:
        """End the stream: messages may have been missed, so what is queued is no use."""
        self.lagged = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(_END)

    async def messages(self) -> AsyncIterator[dict[str, Any]]:
        """Messages in arrival order; ends when the watcher lagged (it must resubscribe)."""
        while not self.lagged:
            message = await self.queue.get()
            if self.lagged:
                return
            yield message


class _LocalFanout:
    def __init__(self) -> None:
        self.watchers: dict[str, set[Watcher]] = defaultdict(set)

    def deliver(self, channel: str, message: dict[str, Any]) -> None:
        for watcher in list(self.watchers.get(channel, ())):
            watcher.offer(message)

    def interrupt_all(self) -> None:
        for watchers in self.watchers.values():
            for watcher in watchers:
                watcher.interrupt()


class InProcessLive:
    """Live messages within one process (embedded mode)."""

    def __init__(self) -> None:
        self._fanout = _LocalFanout()

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        """Deliver ``message`` to every watcher of ``channel``."""
        self._fanout.deliver(channel, message)

    @contextlib.asynccontextmanager
    async def watch(self, channel: str) -> AsyncIterator[Watcher]:
        """Register a watcher for the duration of the block."""
        watcher = Watcher()
        self._fanout.watchers[channel].add(watcher)
        try:
            yield watcher
        finally:
            self._fanout.watchers[channel].discard(watcher)
            if not self._fanout.watchers[channel]:
                del self._fanout.watchers[channel]

    async def ping(self) -> None:
        """Always answers: nothing outside the process."""

    async def close(self) -> None:
        """Nothing to release."""


class RedisLive:
    """Redis pub/sub with one subscription per watched channel in this process."""

    def __init__(self, url: str, prefix: str, timeout: float = 2.0) -> None:
        # Named, so an operator (or a test) can tell this process's live connections apart.
        self._redis = redis_client(url, name=f"{prefix}:live", timeout=timeout)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._prefix = prefix
        self._fanout = _LocalFanout()
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None
        self._connected_before = False
        self.reconnects = 0
        # Messages published while a round trip is in flight go out together next, in order.
        self._publish: Coalesced[tuple[str, str], None] = Coalesced(self._publish_all)

    def _key(self, channel: str) -> str:
        return f"{self._prefix}:live:{channel}"

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        """``PUBLISH`` to every process watching ``channel``."""
        await self._publish([(self._key(channel), json.dumps(message, separators=(",", ":")))])

    async def ping(self) -> None:
        """Raise unless Redis answers (within the client's timeout)."""
        await self._redis.ping()

    async def _publish_all(self, messages: list[tuple[str, str]]) -> dict[tuple[str, str], None]:
        if len(messages) == 1:
            await self._redis.publish(*messages[0])
            return {}
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, text in messages:
                pipe.publish(key, text)
            await pipe.execute()
        return {}

    async def _connected(self, _connection: object) -> None:
        # redis-py calls this on every (re)connect of the pub/sub connection, after its own
        # callback subscribed every channel again. Whatever was published in between is
        # lost, so every watcher starts over.
        if self._connected_before:
            self.reconnects += 1
            log.warning("live: Redis pub/sub reconnected; %d channels resubscribed, "
                        "watchers start over", len(self._fanout.watchers))
            self._fanout.interrupt_all()
        self._connected_before = True

    async def _read(self) -> None:
        prefix = f"{self._prefix}:live:"
        while True:
            try:
                if not self._pubsub.subscribed:
                    await asyncio.sleep(0.05)
                    continue
                msg = await self._pubsub.get_message(timeout=1.0)
                if msg is None or msg.get("type") != "message":
                    continue
                channel = msg["channel"].decode()[len(prefix):]
                self._fanout.deliver(channel, json.loads(msg["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # The connection is made again (and resubscribed) by the next read; what
                # was published meanwhile is lost, so every watcher ends now rather than
                # going quietly stale (and its subscriber starts over).
                log.warning("live reader failed; reconnecting: %r", exc)
                self._fanout.interrupt_all()
                await asyncio.sleep(0.5)

    @contextlib.asynccontextmanager
    async def watch(self, channel: str) -> AsyncIterator[Watcher]:
        """Register a watcher; the first one for a channel subscribes in Redis."""
        watcher = Watcher()
        async with self._lock:
            if self._reader is None:
                self._reader = asyncio.create_task(self._read())
            if not self._fanout.watchers.get(channel):
                await self._pubsub.subscribe(self._key(channel))
                if self._pubsub.connection is not None:
                    self._pubsub.connection.register_connect_callback(self._connected)
                    self._connected_before = True
            self._fanout.watchers[channel].add(watcher)
        try:
            yield watcher
        finally:
            async with self._lock:
                self._fanout.watchers[channel].discard(watcher)
                if not self._fanout.watchers[channel]:
                    del self._fanout.watchers[channel]
                    await self._pubsub.unsubscribe(self._key(channel))

    async def close(self) -> None:
        """Stop the reader and close connections."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._pubsub.aclose()
        await self._redis.aclose(close_connection_pool=True)
