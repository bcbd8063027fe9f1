"""The event bus: Redis Streams with consumer groups, or an in-process log when embedded.

Both deliver at least once to each consumer group, in publish order per stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

from redis.exceptions import ResponseError

from subgraphs.kernel.events import Event
from subgraphs.kernel.faults import crash_point
from subgraphs.kernel.redis_pool import redis_client

# How long a consumer's XREADGROUP waits in Redis for new events.
BLOCK_MS = 1000

log = logging.getLogger("ticketflow.bus")

Handler = Callable[[Event], Awaitable[None]]
# Applies several events at once, in order (one transaction: a hot show is locked once).
BatchHandler = Callable[[list[Event]], Awaitable[None]]
RETRY_DELAYS = (0.05, 0.2, 1.0, 5.0)
BATCH = 100


class EventBus(Protocol):
    """Publish events to named streams; consume them as a named group."""

    async def publish(self, stream: str, event: Event) -> None:
        """Append ``event`` to ``stream``."""

    async def publish_many(self, stream: str, events: list[Event]) -> None:
        """Append ``events`` to ``stream``, in order, in one round trip where possible."""

    async def consume(self, stream: str, group: str, consumer: str, handler: Handler,
                      batch: BatchHandler | None = None) -> None:
        """Feed every event of ``stream`` to ``handler`` (or several at once to ``batch``)
        for ``group``; runs until cancelled."""

    async def trim(self, stream: str, before: datetime) -> None:
        """Forget ``stream``'s events published before ``before`` (retention)."""

    async def oldest_pending(self, stream: str, group: str) -> datetime | None:
        """When the oldest event ``group`` was given and has not acknowledged was published
        (it will be delivered again); ``None`` when there is none."""

    async def close(self) -> None:
        """Release connections."""


async def _handle_with_retry(handler: Handler, event: Event) -> None:
    # A failing handler is retried with backoff, then forever at the longest delay: an
    # event is never skipped, because skipping it would lose the change it carries.
    attempt = 0
    while True:
        try:
            await handler(event)
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
            log.exception("handler failed for %s %s; retrying in %.2fs",
                          event.type, event.id, delay)
            attempt += 1
            await asyncio.sleep(delay)


async def _handle_all(handler: Handler, batch: BatchHandler | None, events: list[Event]) -> None:
    # Several events go to ``batch`` in one go; if that fails (one bad event, a conflict
    # with another replica), each is handled on its own, with the usual retries.
    if batch is not None and len(events) > 1:
        try:
            await batch(events)
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("a batch of %d events failed; handling them one by one", len(events),
                        exc_info=True)
    for event in events:
        await _handle_with_retry(handler, event)


class InProcessBus:
    """An in-memory, append-only log per stream with one read offset per group.

    It lives as long as the process; the outbox relay replays recent events at start-up
    (consumers are idempotent), so a restart loses nothing that was committed.
    """

    def __init__(self) -> None:
        self._logs: dict[str, list[Event]] = defaultdict(list)
        self._changed: dict[str, asyncio.Condition] = defaultdict(asyncio.Condition)
        # One read position per (stream, group): consumers of a group share the work.
        self._offsets: dict[tuple[str, str], int] = defaultdict(int)

    async def publish(self, stream: str, event: Event) -> None:
        """Append ``event`` and wake the stream's consumers."""
        await self.publish_many(stream, [event])

    async def publish_many(self, stream: str, events: list[Event]) -> None:
        """Append ``events`` and wake the stream's consumers once."""
        cond = self._changed[stream]
        async with cond:
            self._logs[stream].extend(events)
            cond.notify_all()

    async def consume(self, stream: str, group: str, consumer: str, handler: Handler,
                      batch: BatchHandler | None = None) -> None:
        """Deliver every event of ``stream`` to ``group``, from the first, then wait for more.

        Consumers of one group take turns: each event goes to one of them. Events that
        are already waiting go to ``batch`` together (up to 100).
        """
        cond = self._changed[stream]
        position = (stream, group)
        while True:
            async with cond:
                await cond.wait_for(lambda: self._offsets[position] < len(self._logs[stream]))
                start = self._offsets[position]
                events = self._logs[stream][start:start + BATCH]
                self._offsets[position] += len(events)
            await _handle_all(handler, batch, events)
            crash_point("consumer.before_ack", group)

    async def trim(self, stream: str, before: datetime) -> None:
        """Nothing: the log lives as long as the process (the replay window bounds what a
        restart delivers again)."""

    async def oldest_pending(self, stream: str, group: str) -> datetime | None:
        """None: an event is delivered again only by the relay's start-up replay."""
        return None

    async def close(self) -> None:
        """Nothing to release."""


class RedisStreamsBus:
    """Redis Streams: ``XADD`` to publish, consumer groups with ``XACK`` to consume.

    A message delivered to a consumer that died before acknowledging it is claimed by
    another consumer of the group after ``claim_idle_ms``.
    """

    def __init__(self, url: str, prefix: str, *, claim_idle_ms: int = 30_000,
                 timeout: float = 2.0) -> None:
        # A consumer's read blocks up to BLOCK_MS in Redis: its reply may take that long more.
        self._redis = redis_client(url, timeout=timeout + BLOCK_MS / 1000)
        self._prefix = prefix
        self._claim_idle_ms = claim_idle_ms

    def key(self, stream: str) -> str:
        """The Redis key of a stream."""
        return f"{self._prefix}:events:{stream}"

    async def publish(self, stream: str, event: Event) -> None:
        """``XADD`` the event; the stream is capped well above any consumer's lag."""
        await self.publish_many(stream, [event])

    async def publish_many(self, stream: str, events: list[Event]) -> None:
        """``XADD`` each event, pipelined: one round trip for the lot."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for event in events:
                pipe.xadd(self.key(stream), {"event": event.to_json()}, maxlen=1_000_000,
                          approximate=True)
            await pipe.execute()

    async def _ensure_group(self, key: str, group: str) -> None:
        try:
            await self._redis.xgroup_create(key, group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def consume(self, stream: str, group: str, consumer: str, handler: Handler,
                      batch: BatchHandler | None = None) -> None:
        """Read as ``consumer`` of ``group``; acknowledge events once handled (what one read
        returns goes to ``batch`` together)."""
        key = self.key(stream)
        await self._ensure_group(key, group)
        # First our own unacknowledged messages (we restarted), then new ones.
        cursor = "0"
        while True:
            _stop_if_cancelled()
            try:
                messages = await self._read(key, group, consumer, cursor)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if isinstance(exc, ResponseError) and "NOGROUP" in str(exc):
                    # Redis came back without its data (no persistence, or a new server):
                    # the stream and its group start over from what is published now on.
                    log.warning("%s lost its group %s (Redis restarted empty?); making it "
                                "again", key, group)
                    with contextlib.suppress(Exception):  # else the next read fails again
                        await self._ensure_group(key, group)
                    cursor = "0"
                    continue
                # A lost connection or a busy pool must not end the consumer for good:
                # unacknowledged messages are read again once Redis answers.
                log.warning("reading %s as %s failed; retrying", key, group, exc_info=True)
                await asyncio.sleep(1.0)
                cursor = "0"
                continue
            if cursor != ">" and not messages:
                cursor = ">"
                continue
            events = [Event.from_json(raw) for _, fields in messages
                      if (raw := fields.get(b"event")) is not None]
            if events:
                await _handle_all(handler, batch, events)
                crash_point("consumer.before_ack", group)
            if messages:
                await self._redis.xack(key, group, *[msg_id for msg_id, _ in messages])

    async def _read(
        self, key: str, group: str, consumer: str, cursor: str
    ) -> list[tuple[bytes, dict[bytes, bytes]]]:
        if cursor == ">":
            claimed = await self._redis.xautoclaim(
                key, group, consumer, min_idle_time=self._claim_idle_ms, start_id="0-0", count=50
            )
            if claimed[1]:  # type: ignore[index]
                return [(m, f) for m, f in claimed[1] if f is not None]  # type: ignore[index,misc]
        response = await self._redis.xreadgroup(
            group, consumer, {key: cursor}, count=BATCH, block=BLOCK_MS if cursor == ">" else None
        )
        if not response:
            return []
        # [[stream, [(id, fields), ...]]] for the one stream read
        return list(response[0][1])  # type: ignore[index,arg-type]

    async def trim(self, stream: str, before: datetime) -> None:
        """``XTRIM … MINID ~``: drop entries published before ``before`` (stream ids are the
        publishing time in ms; ``~`` lets Redis drop whole nodes only, so a few older
        entries may stay until the next trim). The ``MAXLEN`` cap of ``publish_many`` still
        bounds the stream's memory in between."""
        minid = f"{int(before.timestamp() * 1000)}-0"
        await self._redis.xtrim(self.key(stream), minid=minid, approximate=True)

    async def oldest_pending(self, stream: str, group: str) -> datetime | None:
        """From ``XPENDING``'s summary: the smallest pending id's time."""
        try:
            summary = await self._redis.xpending(self.key(stream), group)
        except ResponseError as exc:
            if "NOGROUP" in str(exc):  # the group was never made: nothing is pending
                return None
            raise
        oldest = summary.get("min") if summary else None
        if not oldest:
            return None
        ms = int((oldest.decode() if isinstance(oldest, bytes) else str(oldest)).split("-")[0])
        return datetime.fromtimestamp(ms / 1000, UTC)

    async def close(self) -> None:
        """Close the Redis connection pool."""
        await self._redis.aclose(close_connection_pool=True)


def _stop_if_cancelled() -> None:
    """Raise if this task was asked to stop: a cancellation swallowed inside the Redis
    client (a blocking read cut short) must not keep the consumer, and shutdown, going."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
