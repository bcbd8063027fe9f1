"""Consumers apply a batch of events in one transaction, each at most once, all or nothing.

Payment's own database and kernel tables serve as the consumer's store here; the consumer
name is the test's own, so nothing else in the stack sees these records.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from subgraphs.kernel.db import Database
from subgraphs.kernel.events import Event
from subgraphs.kernel.relay import IdempotentConsumer
from subgraphs.kernel.uow import UnitOfWork
from subgraphs.payment.models import TABLES


def event(n: int) -> Event:
    return Event(type="Tested", source="test", payload={"n": n})


async def processed(db: Database, consumer: str) -> int:
    table = TABLES.processed
    async with db.reader() as s:
        return int(await s.scalar(select(func.count()).select_from(table)
                                  .where(table.c.consumer == consumer)) or 0)


async def test_a_batch_applies_each_new_event_once_in_order(dbs: dict[str, Database]) -> None:
    db, name, seen = dbs["payment"], f"test-{uuid.uuid4().hex[:8]}", []

    async def apply(_uow: UnitOfWork, e: Event) -> None:
        seen.append(e.payload["n"])

    consumer = IdempotentConsumer(db, TABLES, "test", name, apply)
    first, second, third = event(1), event(2), event(3)
    await consumer(first)  # applied on its own before
    await consumer.batch([first, second, second, third])
    assert seen == [1, 2, 3]
    assert await processed(db, name) == 3
    await consumer.batch([third, second])  # redelivered: nothing new
    assert seen == [1, 2, 3]


async def test_a_failing_event_rolls_the_whole_batch_back(dbs: dict[str, Database]) -> None:
    db, name, seen = dbs["payment"], f"test-{uuid.uuid4().hex[:8]}", []

    async def apply(_uow: UnitOfWork, e: Event) -> None:
        if e.payload["n"] == 2:
            raise RuntimeError("cannot apply 2")
        seen.append(e.payload["n"])

    consumer = IdempotentConsumer(db, TABLES, "test", name, apply)
    one, two, three = event(1), event(2), event(3)
    with pytest.raises(RuntimeError):
        await consumer.batch([one, two, three])
    assert await processed(db, name) == 0  # 1 was applied in memory only: rolled back
    # One by one, as the bus falls back to: 1 and 3 stick, 2 keeps failing.
    await consumer(one)
    with pytest.raises(RuntimeError):
        await consumer(two)
    await consumer(three)
    assert await processed(db, name) == 2
