"""A connection's frames of shared subscriptions (:mod:`subgraphs.kernel.feeds`): written
at once when the connection can take them, else queued for its writer task, bounded."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

log = logging.getLogger("ticketflow.feeds")

# A subscriber has at most this many bytes of frames queued (one frame of any size fits
# when it has none queued: a big seat map's snapshot is sent whole); past that it lags and
# starts over from a snapshot once its connection has caught up. The bound is per
# subscriber, not per connection: the router carries thousands of subscriptions over one
# upstream connection, and one delta to each of them is megabytes of frames at once.
SUBSCRIBER_BYTES = 256 << 10
# A connection queues at most this many bytes whatever its subscribers (a stalled one
# costs at most this much memory).
CONNECTION_BYTES = 64 << 20
# Writes one frame now if the connection can take it without waiting (False: it can't).
WriteNow = Callable[[bytes], bool]


class Recipient(Protocol):
    """What the queue needs of whom a frame is for (a feed's
    :class:`~subgraphs.kernel.feeds.Subscriber`)."""

    active: bool  # False once the client completed it: its frames are dropped
    queued: int  # bytes of its frames waiting in the queue

    def restart(self) -> None:
        """Start over from a snapshot: it lagged, and its connection has caught up."""


class SendQueue:
    """One connection's frames, in order.

    A frame goes straight out (``write_now``, no task switch) when nothing is queued
    before it and the connection can take it; otherwise it is queued for the
    connection's writer task, which waits for the connection as long as it must.
    """

    def __init__(self, send: Callable[[str], Awaitable[None]],
                 write_now: WriteNow | None = None, limit: int = SUBSCRIBER_BYTES,
                 total: int = CONNECTION_BYTES) -> None:
        self._send = send
        self._write_now = write_now
        self.limit = limit
        self.total = total
        self.queued = 0
        self._frames: deque[tuple[Recipient, bytes]] = deque()
        self._lagging: list[Recipient] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sending = False
        self.closed = False

    def offer(self, subscriber: Recipient, frame: bytes) -> bool:
        """Write or queue ``frame`` unless the queue is over its limit; False if it was not."""
        if self.closed:
            return False
        if not self._frames:
            if not self._sending and self._write_now is not None and self._write_now(frame):
                return True
        elif (subscriber.queued and subscriber.queued + len(frame) > self.limit) \
                or self.queued + len(frame) > self.total:
            self._lagging.append(subscriber)
            return False
        self._frames.append((subscriber, frame))
        self.queued += len(frame)
        subscriber.queued += len(frame)
        if self._task is None:
            self._task = asyncio.create_task(self._write())
        self._wake.set()
        return True

    async def _write(self) -> None:
        try:
            while True:
                if not self._frames:
                    self._catch_up()
                if not self._frames:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                subscriber, frame = self._frames.popleft()
                self.queued -= len(frame)
                subscriber.queued -= len(frame)
                # A subscription the client completed gets nothing more (its id may be
                # reused by the next one already).
                if subscriber.active:
                    self._sending = True
                    await self._send(frame.decode())
                    self._sending = False
                # Not kept while waiting for the next: a snapshot is big.
                del subscriber, frame
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the connection is going away; its handler cleans up
            log.debug("live: a connection stopped taking frames: %r", exc)
            self.closed = True

    def _catch_up(self) -> None:
        lagging, self._lagging = self._lagging, []
        for subscriber in lagging:
            if subscriber.active:
                subscriber.restart()

    async def close(self) -> None:
        """Stop writing; queued frames are dropped (the connection is closing)."""
        self.closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
