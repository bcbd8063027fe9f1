"""The unit of work: one transaction, the events it records, and what runs after commit."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from subgraphs.kernel import tracing
from subgraphs.kernel.db import Database
from subgraphs.kernel.events import Event, Payload
from subgraphs.kernel.tables import KernelTables

log = logging.getLogger("ticketflow.uow")
T = TypeVar("T")
# PostgreSQL aborted the transaction to break a deadlock, or a serialization conflict: it
# changed nothing, and running it again is the documented remedy.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})

AfterCommit = Callable[[], Awaitable[None]]
# Runs inside the transaction just before it commits (its inserts and events are written
# after it): the place for the last statements of a change (a subgraph's ledger of
# counters), so that the row locks they take are held for the commit only.
BeforeCommit = Callable[["UnitOfWork"], Awaitable[None]]


class UncommittedWork(RuntimeError):
    """A unit of work ended without :meth:`UnitOfWork.commit` although it had changed
    something (events, new or changed rows): a forgotten commit, never silently dropped."""


class UnitOfWork:
    """``async with UnitOfWork(...) as uow: ...; await uow.commit()`` — the transaction
    commits only when told to; a block that ends without :meth:`commit` (an expected
    outcome that changes nothing, such as seats someone else holds) or with an error rolls
    back. A block that returns without committing after it recorded events or changed rows
    raises :class:`UncommittedWork`.

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
        self._inserts: list[tuple[Table, list[dict[str, Any]]]] = []
        # What a subgraph keeps for the length of one unit of work (its ledger, say).
        self.extras: dict[str, Any] = {}
        self.session: AsyncSession
        self._committed = False

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._db.writer()
        await self.session.begin()
        return self

    def emit(self, payload: Payload) -> Event:
        """Record an event (its payload: one of :mod:`subgraphs.kernel.events`) to publish
        once this transaction commits."""
        event = Event(type=payload.type_name(), source=self._source,
                      payload=payload.to_payload(), trace=tracing.traceparent())
        self._events.append(event)
        return event

    def after_commit(self, callback: AfterCommit) -> None:
        """Run ``callback`` after a successful commit (never after a rollback)."""
        self._after.append(callback)

    def before_commit(self, callback: BeforeCommit) -> None:
        """Run ``callback(uow)`` in the transaction right before the commit, before the
        outbox rows and :meth:`insert_at_commit` rows are written (not at all if the block
        raised)."""
        self._before.append(callback)

    def insert_at_commit(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Insert ``rows`` (each with the same columns) into ``table`` right before the
        commit, together with the outbox rows: one statement on PostgreSQL."""
        if rows:
            self._inserts.append((table, rows))

    async def commit(self) -> None:
        """Commit the transaction: the :meth:`before_commit` callbacks, then the outbox rows
        and the :meth:`insert_at_commit` rows, then COMMIT. The last thing in the block;
        :meth:`after_commit` callbacks run as the block ends."""
        for before in self._before:
            await before(self)
        if self._events:
            self._inserts.insert(0, (self._tables.outbox, [
                {"event_id": e.id, "type": e.type, "body": e.to_json(),
                 "created_at": e.occurred}
                for e in self._events
            ]))
        await insert_all(self.session, self._inserts)
        await self.session.commit()
        self._committed = True

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        forgotten = not self._committed and exc_type is None and bool(
            self._events or self._inserts or session.new or session.dirty or session.deleted)
        try:
            if not self._committed:
                if exc_type is None:
                    # An outcome that changed nothing: what it read stays readable (a
                    # rollback would expire it, and the closed session could not reload it).
                    session.expunge_all()
                await session.rollback()
        finally:
            await session.close()
        if forgotten:
            raise UncommittedWork(f"a unit of work of {self._source} changed something and "
                                  "ended without commit(); it was rolled back")
        if not self._committed:
            return
        callbacks = list(self._after)
        if self._events and self._on_commit is not None:
            callbacks.append(self._on_commit)
        for callback in callbacks:
            try:
                await callback()
            except Exception:
                log.exception("after-commit callback failed")


_INSERTS: dict[tuple[tuple[Table, tuple[str, ...], int], ...], Any] = {}


def _inserts_statement(shape: tuple[tuple[Table, tuple[str, ...], int], ...]) -> Any:
    """One ``INSERT`` per table of ``shape`` (table, columns, rows), the last one the main
    statement and the others data-modifying CTEs; built once per shape, with bound
    parameters named ``p<table>_<row>_<column>``, so it is compiled once."""
    statement = _INSERTS.get(shape)
    if statement is None:
        parts = [insert(table).values([
            {c: bindparam(f"p{i}_{j}_{c}", type_=table.c[c].type) for c in columns}
            for j in range(n)]) for i, (table, columns, n) in enumerate(shape)]
        statement = parts[-1].add_cte(*(p.cte(f"w{i}") for i, p in enumerate(parts[:-1])))
        if len(_INSERTS) < 256:  # shapes are few: a table or two, a row or two each
            _INSERTS[shape] = statement
    return statement


# Bound values one statement of :func:`insert_all` may carry (PostgreSQL's protocol allows
# 32767 per statement): more rows (a show's move tells every booking) go table by table,
# each an executemany.
MAX_ONE_STATEMENT = 10_000


async def insert_all(session: AsyncSession,
                     inserts: list[tuple[Table, list[dict[str, Any]]]]) -> None:
    """Insert every table's rows; on PostgreSQL in one round trip (PostgreSQL runs every
    data-modifying CTE of a statement, referenced or not) unless they are many."""
    if not inserts:
        return
    if (len(inserts) == 1 or session.get_bind().dialect.name != "postgresql"
            or sum(len(rows) * len(rows[0]) for _, rows in inserts) > MAX_ONE_STATEMENT):
        for table, rows in inserts:
            await session.execute(insert(table), rows)
        return
    shape = tuple((table, tuple(rows[0]), len(rows)) for table, rows in inserts)
    await session.execute(_inserts_statement(shape), {
        f"p{i}_{j}_{c}": v
        for i, (_, rows) in enumerate(inserts) for j, row in enumerate(rows)
        for c, v in row.items()})


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
