"""Database engines, sessions and the column types every subgraph shares."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, TypeDecorator, event, select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from subgraphs.kernel import tracing


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def new_id() -> str:
    """A new random identifier (UUID4 as text, the same in every database)."""
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python; plain UTC in the database.

    SQLite has no time zones, so storing naive UTC everywhere keeps comparisons in SQL
    correct in both modes.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; TicketFlow stores timezone-aware UTC only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


SQLITE_BUSY_MS = 30_000


def _switch_to_wal(cur: Any) -> None:
    # A database made before WAL (ours are born in it: migrate.ensure_database). The switch
    # needs the database to itself and SQLite does not wait for that (busy_timeout does not
    # apply), so the first connections of a process, all asking at once, take turns here.
    deadline = time.monotonic() + SQLITE_BUSY_MS / 1000
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)  # on the driver's own thread, not the event loop's


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers run beside the single writer; busy_timeout makes a second writer
    # wait instead of failing at once.
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cur.execute("PRAGMA journal_mode")
    if cur.fetchone()[0] != "wal":
        _switch_to_wal(cur)
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


@dataclass(frozen=True)
class Deadlines:
    """How long a request may wait for its database (PostgreSQL; SQLite is a local file)."""

    pool_seconds: float = 30.0  # for a pooled connection
    connect_seconds: float = 5.0  # to open a new connection
    statement_ms: int = 10_000  # for one statement (PostgreSQL's statement_timeout; 0: none)


def create_engine(url: str, *, pool_size: int = 10, max_overflow: int = 0,
                  deadlines: Deadlines | None = None) -> AsyncEngine:
    """An async engine for PostgreSQL (asyncpg) or SQLite (aiosqlite).

    SQLite transactions begin with ``BEGIN IMMEDIATE`` so that two writers serialise on
    the write lock at the start instead of failing on upgrade half-way through. SQLite
    has one writer at a time, so the write engine keeps one connection: the process's
    writers queue for it in order, instead of each opening a connection (a thread and five
    pragmas, ~12 ms) and polling SQLite's lock with growing sleeps.
    """
    if url.startswith("sqlite"):
        engine = create_async_engine(url, pool_size=1, max_overflow=0,
                                     pool_timeout=SQLITE_BUSY_MS / 1000)
        sync_engine = engine.sync_engine
        event.listen(sync_engine, "connect", _sqlite_pragmas)

        @event.listens_for(sync_engine, "connect")
        def _no_pysqlite_begin(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None

        @event.listens_for(sync_engine, "begin")
        def _begin_immediate(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    d = deadlines or Deadlines()
    engine = create_async_engine(
        url, pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=d.pool_seconds,
        connect_args={"timeout": d.connect_seconds,
                      "server_settings": {"statement_timeout": str(d.statement_ms)}})
    _ping_when_idle(engine)
    return engine


# A pooled connection that lay unused this long is pinged before it is handed out (the
# server may have restarted, a proxy may have dropped it). One in steady use is not: a
# ping on every checkout was a tenth of a hold's CPU. A connection that dies while in use
# fails its statement, and SQLAlchemy then replaces every connection of the pool.
PING_IDLE_SECONDS = 5.0


def _ping_when_idle(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkin")
    def _idle_since(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_IDLE_SECONDS:
            return
        try:
            sync_engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # the pool drops it and hands out a new connection
            raise DisconnectionError from exc


class Database:
    """One subgraph's database: its engine and session factories.

    ``writer`` makes sessions for writes. On SQLite, ``reader`` uses a second engine whose
    transactions begin deferred, so reads never queue behind the write lock.
    """

    def __init__(self, url: str, pool_size: int = 10,
                 deadlines: Deadlines | None = None, *, max_overflow: int = 0) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow,
                                    deadlines=deadlines)
        self.writer = async_sessionmaker(self.engine, expire_on_commit=False)
        self._read_engine = (
            create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)
            if self.is_sqlite else self.engine
        )
        if self.is_sqlite:
            event.listen(self._read_engine.sync_engine, "connect", _sqlite_pragmas)
        self.reader = async_sessionmaker(self._read_engine, expire_on_commit=False)
        tracing.trace_engine(self.engine)
        if self.is_sqlite:
            tracing.trace_engine(self._read_engine)
        # Single statements that commit by themselves: one round trip, no BEGIN or COMMIT.
        self.autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded SQLite mode."""
        return self.url.startswith("sqlite")

    async def ping(self) -> None:
        """Raise unless the database answers."""
        async with self.engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
        if self._read_engine is not self.engine:
            await self._read_engine.dispose()


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """Metadata with stable constraint names, so migrations are the same in both databases."""
    return MetaData(naming_convention=NAMING_CONVENTION)


async def one_each(session: AsyncSession, column: Any, keys: Sequence[Any]) -> list[Any]:
    """For each key, the row whose ``column`` equals it (or ``None``), in one query.

    The shape a DataLoader's batch function returns.
    """
    rows = await session.scalars(select(column.class_).where(column.in_(set(keys))))
    found = {getattr(row, column.key): row for row in rows}
    return [found.get(key) for key in keys]


async def all_each(session: AsyncSession, column: Any, keys: Sequence[Any],
                   *order_by: Any) -> list[list[Any]]:
    """For each key, every row whose ``column`` equals it, ordered, in one query."""
    rows = await session.scalars(
        select(column.class_).where(column.in_(set(keys))).order_by(*order_by))
    grouped: dict[Any, list[Any]] = {key: [] for key in keys}
    for row in rows:
        grouped[getattr(row, column.key)].append(row)
    return [grouped[key] for key in keys]
