"""Alembic migrations, one history per subgraph, and database creation for PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from subgraphs.kernel.errors import present
from subgraphs.kernel.settings import Settings

log = logging.getLogger("ticketflow.migrate")
SUBGRAPHS_DIR = Path(__file__).resolve().parent.parent


def alembic_config(service: str, url: str) -> Config:
    """The Alembic config of a subgraph: its ``migrations/`` folder and database URL."""
    cfg = Config()
    cfg.set_main_option("script_location", str(SUBGRAPHS_DIR / service / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def run_env(metadata: MetaData) -> None:
    """The body of every subgraph's ``migrations/env.py``."""
    url = present(context.config.get_main_option("sqlalchemy.url"),
                  "the migration's sqlalchemy.url")

    def migrate(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(run())


def _new_sqlite(path: Path) -> None:
    # Born in WAL mode (a database keeps its journal mode), so the processes that open
    # it later never race each other to switch it.
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


async def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` if it is missing; make SQLite's folder."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            await asyncio.to_thread(_new_sqlite, Path(parsed.database))
        return
    admin = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": parsed.database},
            )
            if not exists:
                await conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        await admin.dispose()


async def drop_database(url: str) -> None:
    """Drop a PostgreSQL database (or delete a SQLite file); used by tests."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            await asyncio.to_thread(Path(f"{parsed.database}{suffix}").unlink, missing_ok=True)
        return
    admin = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def upgrade(service: str, url: str) -> None:
    """Create the database if needed and migrate it to the newest revision."""
    await ensure_database(url)
    # Alembic's env runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(command.upgrade, alembic_config(service, url), "head")


async def upgrade_all(settings: Settings, names: Sequence[str]) -> None:
    """Create (if needed) and migrate each named subgraph's own database."""
    for name in names:
        await upgrade(name, settings.database_url(name))
        log.info("migrated %s", name)
