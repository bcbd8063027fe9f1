"""Booking's live seat feed: one per watched show and process, for every subscriber.

``seatAvailability`` is a shared subscription (``subgraphs/kernel/feeds.py``). The feed
of a show watches the show's live channel, then reads the show from the database (in
that order, so no change falls between) and keeps its seat map in memory from then on,
moved forward by the live messages. A subscriber gets a SNAPSHOT of that map (rendered
once per version and document, for everyone who joins at that version), then DELTAs.

* **Coalescing.** A change that comes less than ``TICKETFLOW_LIVE_COALESCE_MS`` after the
  last delta waits for that window to end and goes with whatever else came meanwhile, as
  one delta (``fromVersion`` .. ``version``); after a quiet spell a change goes at once.
* **Gaps.** A message whose version skips one waits (as long as the window, at least
  ``GAP_GRACE_SECONDS``) for the missing one, which may only be late; if it does not come,
  the feed reads the database again and sends every subscriber a fresh SNAPSHOT. The
  same happens when the watcher's stream ends (it fell behind, Redis reconnected).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from subgraphs.booking import inventory
from subgraphs.booking.coalesce import Changes, Message, SeatMap, Window, merged
from subgraphs.kernel.errors import present, unavailable_cause
from subgraphs.kernel.feeds import Feed, FeedRegistry, Group, SharedSubscription, Subscriber
from subgraphs.kernel.live import Watcher
from subgraphs.kernel.service import Service

log = logging.getLogger("ticketflow.booking.live")

# (message, fromVersion) -> the subscription's root value; fromVersion None: a SNAPSHOT.
EventBuilder = Callable[[Message, int | None], object]
GAP_GRACE_SECONDS = 0.05
RETRY_SECONDS = 1.0
# Offered to the feed's own watcher to wake its task for a resync.
_WAKE: Message = {"wake": True}


class SeatFeed(Feed[Service]):
    """One show's seat map in this process and everyone here who watches it."""

    def __init__(self, registry: FeedRegistry[Service], show_id: str, build: EventBuilder) -> None:
        super().__init__(registry, show_id)
        self.build = build
        self.window = Window(self.service.settings.live_coalesce_ms / 1000)
        self.grace = max(self.window.seconds, GAP_GRACE_SECONDS)
        self.state: SeatMap | None = None  # as of the last message sent
        self.loading = True
        self.pending: Changes | None = None  # received, not sent yet
        self.expected = 0  # the next version to take
        self.early: dict[int, Message] = {}  # versions after a gap
        self._flush_at: asyncio.TimerHandle | None = None
        self._gap_at: asyncio.TimerHandle | None = None
        self._watcher: Watcher | None = None
        self._resync = False
        self._root: tuple[int, object] | None = None  # the snapshot's root value, per version

    async def run(self) -> None:
        try:
            while True:
                try:
                    if not await self._follow():
                        self.refuse_all()
                        return
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a bug must not leave the show's watchers stale
                    if unavailable_cause(exc):
                        # Redis or the database is unreachable: the watchers go back to
                        # the ordinary path, which answers SUBGRAPH_UNAVAILABLE while it
                        # lasts; their clients subscribe again (docs/failures.md).
                        log.warning("live: show %s's feed lost its source: %r", self.key, exc)
                        self.refuse_all()
                        return
                    log.exception("live: show %s's feed failed; starting over", self.key)
                    await asyncio.sleep(RETRY_SECONDS)
                # Messages may have been missed: watch again, start over from the database.
                self.registry.stats["restarts"] += 1
        finally:
            self._cancel_timers()

    async def _follow(self) -> bool:
        """Watch the show until the stream ends (True) or the show is gone (False)."""
        async with self.service.runtime.live.watch(inventory.channel(self.key)) as watcher:
            self._watcher = watcher
            if not await self._load():
                return False
            async for message in watcher.messages():
                if self._resync:
                    if not await self._load():
                        return False
                elif message is not _WAKE:
                    self._receive(message)
        return True

    # --- subscribers ---------------------------------------------------------------------

    def join(self, subscriber: Subscriber) -> None:
        if self.loading:
            return  # the load ends by sending every member its snapshot
        subscriber.start(self._snapshot(subscriber.group))

    def _snapshot(self, group: Group) -> bytes:
        state = present(self.state, "a loaded feed's seat map")
        version = state.version
        if group.snapshot is None or group.snapshot[0] != version:
            if self._root is None or self._root[0] != version:
                self._root = (version, self.build(state.as_message(), None))
            group.snapshot = (version, group.render(self._root[1]))
            self.registry.stats["snapshot_renders"] += 1
        return group.snapshot[1]

    # --- the database --------------------------------------------------------------------

    async def _load(self) -> bool:
        """Read the show (False: there is none) and give every subscriber a snapshot."""
        self.loading, self._resync = True, False
        self._cancel_timers()
        self.pending = None
        self.early.clear()
        while True:
            try:
                async with self.service.db.reader() as session:
                    snap = await inventory.snapshot(session, self.key)
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("live: reading show %s failed; retrying", self.key)
                await asyncio.sleep(RETRY_SECONDS)
        self.registry.stats["snapshot_reads"] += 1
        if snap is None:
            return False
        if self.state is not None:
            self.registry.stats["resyncs"] += 1
        self.state = SeatMap.from_snapshot(snap)
        self.expected = snap.version + 1
        self.loading = False
        for subscriber in self.subscribers():
            self.join(subscriber)
        return True

    # --- live messages -------------------------------------------------------------------

    def _receive(self, message: Message) -> None:
        version = message.get("version")
        if not isinstance(version, int) or version < self.expected:
            return  # already in the map (the snapshot's, or a repeat)
        if version > self.expected:
            self.early[version] = message
            if self._gap_at is None:
                self._gap_at = asyncio.get_running_loop().call_later(self.grace, self._gap)
            return
        self._accept(message)
        while self.expected in self.early:
            self._accept(self.early.pop(self.expected))
        if not self.early and self._gap_at is not None:
            self._gap_at.cancel()
            self._gap_at = None

    def _accept(self, message: Message) -> None:
        state = present(self.state, "a loaded feed's seat map")
        self.pending = merged(self.pending, state.version, message)
        self.expected = message["version"] + 1
        if self._flush_at is None:
            loop = asyncio.get_running_loop()
            now = loop.time()
            due = self.window.due(now)
            if due <= now:
                self._flush()
            else:
                self._flush_at = loop.call_at(due, self._flush)

    def end_window(self) -> None:
        """End the coalescing window now: what is pending goes at once."""
        if self._flush_at is not None:
            self._flush_at.cancel()
        self._flush()

    def _flush(self) -> None:
        """Send what is pending as one delta to every group."""
        self._flush_at = None
        changes, self.pending = self.pending, None
        if changes is None or self.state is None:
            return
        try:
            self.state.apply(changes)
            event = self.build(changes.as_message(self.key), changes.from_version)
            for group in list(self.groups.values()):
                group.send(group.render(event))
        except Exception:  # a bug must not leave the show's watchers stale
            log.exception("live: sending show %s's delta failed; resyncing", self.key)
            self._start_over()
            return
        self.registry.stats["deltas"] += 1
        self.window.sent(asyncio.get_running_loop().time())

    def _gap(self) -> None:
        self._gap_at = None
        self.registry.stats["gaps"] += 1
        log.warning("live: show %s skipped from version %d to %d; resyncing", self.key,
                    self.expected - 1, min(self.early, default=self.expected))
        self._start_over()

    def _start_over(self) -> None:
        self._resync = True
        if self._watcher is not None:
            self._watcher.offer(_WAKE)

    def _cancel_timers(self) -> None:
        for timer in (self._flush_at, self._gap_at):
            if timer is not None:
                timer.cancel()
        self._flush_at = self._gap_at = None


def seat_availability(build: EventBuilder) -> SharedSubscription[Service]:
    """``seatAvailability(showId)`` as a shared subscription, one feed per show."""

    def key(args: dict[str, Any]) -> str:
        return str(args["showId"])

    return SharedSubscription("seatAvailability", key,
                              lambda registry, show_id: SeatFeed(registry, show_id, build))
