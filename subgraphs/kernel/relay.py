"""The outbox relay, and the idempotent wrapper every event consumer goes through."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from subgraphs.kernel import metrics, tracing
from subgraphs.kernel.bus import EventBus
from subgraphs.kernel.db import Database, utcnow
from subgraphs.kernel.events import Event
from subgraphs.kernel.faults import crash_point
from subgraphs.kernel.tables import KernelTables
from subgraphs.kernel.uow import UnitOfWork

log = logging.getLogger("ticketflow.relay")

Apply = Callable[[UnitOfWork, Event], Awaitable[None]]


class OutboxRelay:
    """Publishes committed outbox rows to the bus, oldest first.

    It wakes when a unit of work commits events in this process and also polls, so rows
    committed by another replica (or before a crash) are published too. A row is marked
    published only after the bus accepted it: at-least-once.
    """

    def __init__(
        self,
        db: Database,
        tables: KernelTables,
        bus: EventBus,
        stream: str,
        *,
        interval: float = 0.5,
        linger: float = 0.0,
        replay: timedelta | None = None,
    ) -> None:
        self._db = db
        self._tables = tables
        self._bus = bus
        self._stream = stream
        self._interval = interval
        # After a wake-up, wait this long for more commits: under load one round then
        # publishes the events of many transactions instead of one round each.
        self._linger = linger
        self._replay = replay
        self._wake = asyncio.Event()
        self._counted_at = -metrics.BACKLOG_EVERY

    async def wake(self) -> None:
        """Publish now instead of at the next poll."""
        self._wake.set()

    async def _replay_recent(self) -> None:
        # The in-process bus forgets everything when the process ends; republish what
        # was committed recently and let idempotent consumers drop what they had.
        if self._replay is None:
            return
        since = utcnow() - self._replay
        outbox = self._tables.outbox
        async with self._db.reader() as session:
            rows = (
                await session.execute(
                    select(outbox.c.body)
                    .where(outbox.c.published_at.is_not(None), outbox.c.created_at >= since)
                    .order_by(outbox.c.seq)
                )
            ).all()
        for (body,) in rows:
            await self._bus.publish(self._stream, Event.from_json(body))

    async def publish_pending(self, limit: int = 200) -> int:
        """Publish up to ``limit`` unpublished rows; the number published.

        One statement marks the oldest rows published and returns them (locking them, so a
        replica's relay skips them); they are published, then the mark commits. A relay
        that dies in between leaves them unmarked: published again later (at least once).
        """
        outbox = self._tables.outbox
        oldest = (select(outbox.c.seq).where(outbox.c.published_at.is_(None))
                  .order_by(outbox.c.seq).limit(limit))
        if not self._db.is_sqlite:
            oldest = oldest.with_for_update(skip_locked=True)
        events: list[Event] = []
        async with self._db.writer() as session, session.begin():
            rows = sorted((await session.execute(
                update(outbox).where(outbox.c.seq.in_(oldest.scalar_subquery()))
                .values(published_at=utcnow())
                .returning(outbox.c.seq, outbox.c.body))).all())
            if rows:
                crash_point("relay.before_publish")
                events = [Event.from_json(body) for _, body in rows]
                await self._bus.publish_many(self._stream, events)
                crash_point("relay.before_mark")
        if events:
            now = utcnow()
            metrics.OUTBOX_PUBLISHED.labels(self._stream).inc(len(events))
            delay = metrics.OUTBOX_DELAY.labels(self._stream)
            for event in events:
                delay.observe(max(0.0, (now - event.occurred).total_seconds()))
        return len(rows)

    async def count_backlog(self) -> None:
        """Set ``ticketflow_outbox_backlog`` (one count, at most every ``BACKLOG_EVERY``
        seconds: the relay's rounds come as often as commits do)."""
        if time.monotonic() - self._counted_at < metrics.BACKLOG_EVERY:
            return
        self._counted_at = time.monotonic()
        outbox = self._tables.outbox
        async with self._db.reader() as session:
            backlog = await session.scalar(select(func.count()).select_from(outbox)
                                           .where(outbox.c.published_at.is_(None)))
        metrics.OUTBOX_BACKLOG.labels(self._stream).set(backlog or 0)

    async def run(self) -> None:
        """Publish forever; cancel to stop. Nothing it meets ends it: a failed round (the
        replay at start-up included) is logged and tried again at the next one."""
        replayed = False
        while True:
            try:
                if not replayed:
                    await self._replay_recent()
                    replayed = True
                while await self.publish_pending() > 0:
                    pass
                await self.count_backlog()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._interval)
                if self._linger:
                    await asyncio.sleep(self._linger)
            self._wake.clear()


class IdempotentConsumer:
    """Wraps ``apply`` so each event changes state at most once for ``consumer``.

    The processed-event record is written in the same transaction as the change, so a
    crash between the two cannot happen; a redelivered event finds the record and stops.
    Call it with one event, or give :meth:`batch` several: they are applied in order in
    one transaction (a show locked by the first is not waited for again by the next).
    """

    def __init__(self, db: Database, tables: KernelTables, source: str, consumer: str,
                 apply: Apply, on_commit: Callable[[], Awaitable[None]] | None = None) -> None:
        self._db, self._tables, self._source = db, tables, source
        self._consumer, self._apply, self._on_commit = consumer, apply, on_commit

    async def __call__(self, event: Event) -> None:
        """Apply one event, unless this consumer already did."""
        try:
            await self._apply_new([event])
        except IntegrityError:
            # Another replica may have applied it at the same moment and won; anything
            # else is a real failure and goes back to the bus for a retry.
            if not await self._applied(event.id):
                raise
            log.info("event %s already applied by %s", event.id, self._consumer)

    async def batch(self, events: list[Event]) -> None:
        """Apply the events this consumer has not applied yet, in order, in one transaction.
        Any failure rolls all of them back (the bus then applies them one by one)."""
        await self._apply_new(events)

    async def _apply_new(self, events: list[Event]) -> None:
        if not events:
            return
        stream = events[0].source
        with tracing.consuming(stream, self._consumer, events):
            await self._apply_in_one(events)
        now = utcnow()
        metrics.CONSUMED.labels(stream, self._consumer).inc(len(events))
        metrics.CONSUMER_LAG.labels(stream, self._consumer).set(
            max(0.0, (now - events[-1].occurred).total_seconds()))

    async def _apply_in_one(self, events: list[Event]) -> None:
        processed = self._tables.processed
        async with UnitOfWork(self._db, self._tables, self._source, self._on_commit) as uow:
            seen = set(await uow.session.scalars(select(processed.c.event_id).where(
                processed.c.event_id.in_([e.id for e in events]),
                processed.c.consumer == self._consumer)))
            fresh = list({e.id: e for e in events if e.id not in seen}.values())
            if not fresh:
                return
            await uow.session.execute(insert(processed), [
                {"event_id": e.id, "consumer": self._consumer} for e in fresh])
            for event in fresh:
                await self._apply(uow, event)
            await uow.commit()

    async def _applied(self, event_id: str) -> bool:
        processed = self._tables.processed
        async with self._db.reader() as session:
            return await session.scalar(select(processed.c.event_id).where(
                processed.c.event_id == event_id,
                processed.c.consumer == self._consumer)) is not None
