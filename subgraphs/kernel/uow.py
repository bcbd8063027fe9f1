"""The unit of work: one transaction, the events it records, and what runs after commit."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from subgraphs.kernel.db import Database
from subgraphs.kernel.events import Event, KernelTables

log = logging.getLogger("ticketflow.uow")
T = TypeVar("T")
# PostgreSQL aborted the transaction to break a deadlock, or a serialization conflict: it
# changed nothing, and running it again is the documented remedy.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})

AfterCommit = Callable[[], Awaitable[None]]
# Runs inside the transaction, after its events are written and just before it commits:
# the place for the last statements of a change (a subgraph's ledger of counters), so that
# the row locks they take are held for the commit only.
BeforeCommit = Callable[["UnitOfWork"], Awaitable[None]]


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
        self._before: list[BeforeCommit] = []
        # What a subgraph keeps for the length of one unit of work (its ledger, say).
        self.extras: dict[str, Any] = {}
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

    def before_commit(self, callback: BeforeCommit) -> None:
        """Run ``callback(uow)`` in the transaction, after the outbox rows are written and
        right before the commit (not at all if the block raised)."""
        self._before.append(callback)

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
                        {"event_id": e.id, "type": e.type, "body": e.to_json(),
                         "created_at": e.occurred}
                        for e in self._events
                    ],
                )
            for before in self._before:
                await before(self)
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


def _retryable(error: BaseException) -> bool:
    if not isinstance(error, DBAPIError):
        return False
    orig = error.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state in RETRYABLE_SQLSTATES


async def retrying(attempt: Callable[[], Awaitable[T]], attempts: int = 5) -> T:
    """Run ``attempt`` (a whole unit of work) again when the database aborted it to break
    a deadlock or a serialization conflict; any other outcome passes through."""
    async for trial in AsyncRetrying(retry=retry_if_exception(_retryable),
                                     stop=stop_after_attempt(attempts),
                                     wait=wait_random_exponential(multiplier=0.01, max=0.5),
                                     reraise=True):
        with trial:
            return await attempt()
    raise AssertionError("unreachable: tenacity re-raises the last error")
