"""The PostgreSQL pool pings a connection only when it lay unused for a while
(``kernel.db.PING_IDLE_SECONDS``): one the server dropped meanwhile is replaced before a
request gets it, and one in steady use costs no extra round trip."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from subgraphs.kernel import db as kernel_db
from subgraphs.kernel.db import Database
from tests.harness import POSTGRES_DSN

# PostgreSQL only: it runs in the half of the suite that holds its level's PostgreSQL
# tests (see tests/conftest.py).
pytestmark = pytest.mark.mode("postgres")

# The server's own maintenance database: only read here (which backend we are on).
URL = make_url(POSTGRES_DSN).set(drivername="postgresql+asyncpg", database="postgres")


@pytest.fixture
async def database() -> AsyncIterator[Database]:
    database = Database(URL.render_as_string(hide_password=False), pool_size=1)
    try:
        yield database
    finally:
        await database.dispose()


async def backend(database: Database) -> int:
    async with database.reader() as session:
        return int(await session.scalar(text("SELECT pg_backend_pid()")))


async def dropped_by_the_server(database: Database) -> int:
    """The pid of the pooled connection, which the server has just terminated."""
    pid = await backend(database)
    killer = Database(URL.render_as_string(hide_password=False))
    try:
        async with killer.engine.connect() as other:
            assert await other.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    finally:
        await killer.dispose()
    return pid


async def test_an_idle_connection_the_server_dropped_is_replaced_before_use(
        database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    dropped = await dropped_by_the_server(database)
    monkeypatch.setattr(kernel_db, "PING_IDLE_SECONDS", 0.0)  # it has been idle long enough
    assert await backend(database) != dropped


async def test_a_connection_in_steady_use_is_not_pinged(
        database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    # Not pinged, so a connection dropped a moment ago fails its statement (this is what
    # the ping saves above); the pool then replaces it and the next request works.
    await dropped_by_the_server(database)
    monkeypatch.setattr(kernel_db, "PING_IDLE_SECONDS", 3600.0)
    with pytest.raises(DBAPIError):
        await backend(database)
    assert await backend(database) > 0
