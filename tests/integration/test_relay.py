"""The outbox relay keeps going whatever it meets: a bus that fails, at start-up or later,
costs a retry, never the relay (a dead relay would leave every later event unpublished)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from subgraphs.auth.models import TABLES
from subgraphs.kernel.bus import InProcessBus
from subgraphs.kernel.db import Database
from subgraphs.kernel.events import Event, Payload, event_payload
from subgraphs.kernel.relay import OutboxRelay
from subgraphs.kernel.uow import UnitOfWork
from tests import harness
from tests.harness import destroy, eventually, migrate_all, settings_from


class FlakyBus(InProcessBus):
    """The in-process bus, refusing its first ``failures`` publishes (a broker that is
    down for a moment)."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def publish_many(self, stream: str, events: list[Event]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("the bus is down")
        await super().publish_many(stream, events)


@pytest.fixture
async def auth_db(tmp_path: Path) -> AsyncIterator[Database]:
    settings = settings_from(harness.test_env("embedded", tmp_path))
    await migrate_all(settings)
    db = Database(settings.database_url("auth"))
    try:
        yield db
    finally:
        await db.dispose()
        await destroy(settings)


async def unpublished(db: Database) -> int:
    outbox = TABLES.outbox
    async with db.reader() as s:
        return int(await s.scalar(select(func.count()).select_from(outbox)
                                  .where(outbox.c.published_at.is_(None))) or 0)


@event_payload
class RelayProbe(Payload):
    n: int


async def commit_event(db: Database, n: int) -> None:
    async with UnitOfWork(db, TABLES, "auth") as uow:
        uow.emit(RelayProbe(n=n))
        await uow.commit()


@contextlib.asynccontextmanager
async def running(relay: OutboxRelay) -> AsyncIterator[None]:
    task = asyncio.create_task(relay.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_relay_whose_start_up_replay_fails_still_publishes(auth_db: Database) -> None:
    await commit_event(auth_db, 1)
    bus = InProcessBus()
    await OutboxRelay(auth_db, TABLES, bus, "auth").publish_pending()  # published once
    await commit_event(auth_db, 2)
    flaky = FlakyBus(failures=1)  # the replay of event 1 at start-up fails
    relay = OutboxRelay(auth_db, TABLES, flaky, "auth", interval=0.05,
                        replay=timedelta(hours=1))
    async with running(relay):
        await eventually(lambda: _none_left(auth_db), timeout=10)
        await commit_event(auth_db, 3)
        await relay.wake()
        await eventually(lambda: _none_left(auth_db), timeout=10)
    assert flaky.failures == 0
    # Replayed once it could be (1), then everything pending (2) and what came later (3).
    assert sorted(e.payload["n"] for e in flaky._logs["auth"]) == [1, 2, 3]


async def test_rows_a_failed_publish_left_are_published_by_a_later_round(
        auth_db: Database) -> None:
    await commit_event(auth_db, 1)
    flaky = FlakyBus(failures=2)
    relay = OutboxRelay(auth_db, TABLES, flaky, "auth", interval=0.05)
    async with running(relay):
        await eventually(lambda: _none_left(auth_db), timeout=10)
    assert [e.payload["n"] for e in flaky._logs["auth"]] == [1]  # once, after two refusals


async def _none_left(db: Database) -> bool:
    return await unpublished(db) == 0
