"""The unit of work: one transaction, the events it records, and what runs after commit."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kernel.db import Database
from subgraphs.kernel.events import Event, KernelTables

log = logging.getLogger("ticketflow.uow")

AfterCommit = Callable[[], Awaitable[None]]


class UnitOfWork:
    """``async with UnitOfWork(...) as uow:`` — commit on success, roll back on error.

    Events passed to :meth:`emit` are written to the outbox inside the same transaction,
    so a state change and its event commit together or not at all. Callbacks passed to
    :meth:`after_commit` (live seat messages, waking the relay) run only once the
    transaction has committed.
    """

    def __init__(
        self,
        db: Database,
        tables: KernelTables,
        source: str,
        on_commit: AfterCommit | None = None,
    ) -> None:
        self._db = db
        self._tables = tables
        self._source = source
        self._on_commit = on_commit
        self._events: list[Event] = []
        self._after: list[AfterCommit] = []
        self.session: AsyncSession

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._db.sessions()
        await self.session.begin()
        return self

    def emit(self, event_type: str, payload: dict[str, Any]) -> Event:
        """Record an event to publish once this transaction commits."""
        event = Event(type=event_type, source=self._source, payload=payload)
        self._events.append(event)
        return event

    def after_commit(self, callback: AfterCommit) -> None:
        """Run ``callback`` after a successful commit (never after a rollback)."""
        self._after.append(callback)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is not None:
                await self.session.rollback()
                return
            if self._events:
                await self.session.execute(
                    insert(self._tables.outbox),
                    [
                        {"event_id": e.id, "type": e.type, "body": e.to_json()}
                        for e in self._events
                    ],
                )
            await self.session.commit()
        finally:
            await self.session.close()
        callbacks = list(self._after)
        if self._events and self._on_commit is not None:
            callbacks.append(self._on_commit)
        for callback in callbacks:
            try:
                await callback()
            except Exception:
                log.exception("after-commit callback failed")
