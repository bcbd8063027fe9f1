"""Retention of the kernel's tables: what no one reads again is deleted, in small batches.

Each subgraph's pruner (run with its consumers and background jobs, ``Service.running``)
deletes, every ``TICKETFLOW_RETENTION_INTERVAL_SECONDS``:

- ``outbox`` rows published longer ago than the outbox window (an unpublished row is never
  touched). The window is at least the relay's start-up replay (embedded,
  ``TICKETFLOW_OUTBOX_REPLAY_HOURS``); with Redis nothing reads a published row again.
- ``processed_events`` rows older than their window, which is longer than any way the event
  can be delivered again: the Redis stream keeps an event for the stream window (this
  pruner trims its own subgraph's stream to it), the in-process bus gets it again only from
  the replay. With Redis the cutoff is also kept before the oldest message still pending in
  any group this subgraph consumes as (delivered, not yet acknowledged: it will come again).
- ``idempotency_keys`` older than their time to live (a key is honoured at least that long).

Every delete is one short statement, ``DELETE … WHERE <row key> IN (SELECT <row key> …
WHERE age < cutoff LIMIT n)``, chosen on an index of the age column: no full scan, no long
lock; on PostgreSQL the rows are taken ``FOR UPDATE SKIP LOCKED``, so replicas pruning at
once share the work and never wait for a writer. Docs: docs/architecture.md, "Retention".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, any_, delete, func, literal_column, select

from subgraphs.kernel import metrics
from subgraphs.kernel.bus import EventBus
from subgraphs.kernel.db import Database, utcnow
from subgraphs.kernel.settings import Settings
from subgraphs.kernel.tables import KernelTables

log = logging.getLogger("ticketflow.retention")

# Clocks differ (the Redis server's, which stamps stream ids, and ours): a processed record
# is kept this much longer than the oldest pending message it might belong to.
CLOCK_MARGIN = timedelta(hours=1)

OUTBOX, PROCESSED, KEYS = "outbox", "processed_events", "idempotency_keys"


@dataclass(frozen=True)
class Windows:
    """How long each kind of row is kept."""

    outbox: timedelta
    processed: timedelta
    keys: timedelta
    stream: timedelta

    @classmethod
    def of(cls, settings: Settings) -> Windows:
        """The windows the settings give."""
        return cls(outbox=timedelta(hours=settings.outbox_retention_hours),
                   processed=timedelta(hours=settings.processed_events_retention_hours),
                   keys=timedelta(hours=settings.idempotency_key_ttl_hours),
                   stream=timedelta(hours=settings.event_stream_retention_hours))


class Pruner:
    """Deletes one subgraph's outbox, processed-event and idempotency rows past their window,
    and trims its event stream."""

    def __init__(self, db: Database, tables: KernelTables, bus: EventBus, *, subgraph: str,
                 consumes: Sequence[str], windows: Windows, batch: int = 1000,
                 interval: float = 600.0) -> None:
        self._db, self._tables, self._bus = db, tables, bus
        # It publishes to the stream named after it and reads ``consumes`` as that group.
        self._subgraph, self._consumes = subgraph, list(consumes)
        self.windows, self.batch, self._interval = windows, batch, interval

    async def _delete_batch(self, table: Table, old: ColumnElement[bool], limit: int) -> int:
        """Delete up to ``limit`` rows for which ``old`` holds; the number deleted.

        The rows are chosen on the index of the age column and deleted by their physical
        key, so neither step scans the table whatever the planner thinks of a thousand keys:
        on PostgreSQL ``ctid = ANY(ARRAY(SELECT ctid … LIMIT n FOR UPDATE SKIP LOCKED))`` (a
        TID scan; rows a replica or a writer holds are skipped), on SQLite ``rowid IN
        (SELECT rowid … LIMIT n)``.
        """
        key: ColumnElement[Any] = literal_column("rowid" if self._db.is_sqlite else "ctid")
        chosen = select(key).select_from(table).where(old).limit(limit)
        if self._db.is_sqlite:
            statement = delete(table).where(key.in_(chosen.scalar_subquery()))
        else:
            chosen = chosen.with_for_update(skip_locked=True)
            statement = delete(table).where(key == any_(func.array(chosen.scalar_subquery())))
        async with self._db.writer() as session, session.begin():
            result = await session.execute(statement)
        return int(getattr(result, "rowcount", 0) or 0)

    async def prune_outbox(self, limit: int | None = None, *, now: datetime | None = None) -> int:
        """Delete up to ``limit`` outbox rows published before the window; the number."""
        outbox = self._tables.outbox
        cutoff = (now or utcnow()) - self.windows.outbox
        # published_at < cutoff is never true of an unpublished row (NULL).
        return await self._delete_batch(outbox, outbox.c.published_at < cutoff,
                                        limit or self.batch)

    async def processed_cutoff(self, now: datetime | None = None) -> datetime:
        """Before this, a processed-event record can no longer be needed: older than its
        window, and older than every message still pending for this subgraph's group."""
        cutoff = (now or utcnow()) - self.windows.processed
        for stream in self._consumes:
            pending = await self._bus.oldest_pending(stream, self._subgraph)
            if pending is not None:
                cutoff = min(cutoff, pending - CLOCK_MARGIN)
        return cutoff

    async def prune_processed(self, limit: int | None = None, *,
                              now: datetime | None = None) -> int:
        """Delete up to ``limit`` processed-event records past their window; the number."""
        processed = self._tables.processed
        cutoff = await self.processed_cutoff(now)
        return await self._delete_batch(processed, processed.c.processed_at < cutoff,
                                        limit or self.batch)

    async def prune_keys(self, limit: int | None = None, *, now: datetime | None = None) -> int:
        """Delete up to ``limit`` idempotency keys older than their time to live; the number."""
        keys = self._tables.idempotency
        cutoff = (now or utcnow()) - self.windows.keys
        return await self._delete_batch(keys, keys.c.created_at < cutoff, limit or self.batch)

    async def prune(self) -> dict[str, int]:
        """One round: each table batch by batch until a batch finds fewer than ``batch``
        rows, and the stream trimmed; the rows deleted per table."""
        now = utcnow()
        counts = {OUTBOX: 0, PROCESSED: 0, KEYS: 0}
        steps = ((OUTBOX, self.prune_outbox), (PROCESSED, self.prune_processed),
                 (KEYS, self.prune_keys))
        for name, step in steps:
            try:
                while True:
                    deleted = await step(self.batch, now=now)
                    counts[name] += deleted
                    if deleted < self.batch:
                        break
                    await asyncio.sleep(0)  # let requests and consumers in between batches
            except Exception:
                # One table's failure (Redis away: the pending messages cannot be asked
                # about) leaves the others pruned; this one is tried again next round.
                log.exception("retention: pruning %s's %s failed", self._subgraph, name)
        try:
            await self._bus.trim(self._subgraph, now - self.windows.stream)
        except Exception:
            log.exception("retention: trimming %s's stream failed", self._subgraph)
        for name, count in counts.items():
            if count:
                metrics.PRUNED.labels(self._subgraph, name).inc(count)
        if any(counts.values()):
            log.info("retention: %s pruned %d outbox rows, %d processed events, %d "
                     "idempotency keys", self._subgraph, counts[OUTBOX], counts[PROCESSED],
                     counts[KEYS])
        return counts

    async def run(self) -> None:
        """Prune every ``interval`` seconds until cancelled; a failed round is logged and
        tried again at the next. The first round waits one interval: consumers starting
        with this process read their pending messages first."""
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.prune()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("retention: pruning %s failed; trying again in %.0f s",
                              self._subgraph, self._interval)
