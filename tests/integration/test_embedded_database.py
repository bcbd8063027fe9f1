"""Embedded mode's SQLite: a process's first connections wait for a busy database instead of
failing (they used to race each other to switch it to WAL, with no busy timeout yet)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import text

from subgraphs.kernel.db import Database
from subgraphs.kernel.migrate import ensure_database


def journal_mode(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])


async def test_a_first_connection_waits_for_a_writer_that_holds_the_database(
        tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with contextlib.closing(sqlite3.connect(path)) as conn:  # a database made before WAL
        conn.execute("CREATE TABLE t (n INTEGER)")
        conn.commit()
    assert journal_mode(path) == "delete"
    writer = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (1)")
    released = threading.Timer(0.5, writer.execute, args=("COMMIT",))
    released.start()
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with db.reader() as session:  # asks for WAL while the writer holds the lock
            assert await session.scalar(text("SELECT count(*) FROM t")) == 1
    finally:
        released.join()
        writer.close()
        await db.dispose()
    assert journal_mode(path) == "wal"


async def test_a_new_embedded_database_is_born_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "data" / "auth.db"
    await ensure_database(f"sqlite+aiosqlite:///{path}")
    assert await asyncio.to_thread(journal_mode, path) == "wal"
