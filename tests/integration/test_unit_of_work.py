"""The unit of work commits only when told to: a block that ends without ``commit()`` rolls
back, and one that changed something without committing is an error, never a silent loss."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, insert, select

from subgraphs.auth.models import TABLES, User
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.events import Payload, event_payload
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UncommittedWork
from tests.flows import Actors
from tests.harness import Stack

pytestmark = pytest.mark.integration


@event_payload
class Checked(Payload):
    n: int


async def outbox_rows(service: Service, event_id: str) -> int:
    outbox = TABLES.outbox
    async with service.db.reader() as session:
        return int(await session.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.event_id == event_id)) or 0)


async def processed_rows(service: Service, consumer: str) -> int:
    processed = TABLES.processed
    async with service.db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(processed)
                                         .where(processed.c.consumer == consumer)) or 0)


async def test_a_committed_block_writes_its_event_and_then_runs_after_commit(
        stack: Stack) -> None:
    auth = stack.services["auth"]
    ran: list[str] = []

    async def note() -> None:
        ran.append("after")

    async with auth.uow() as uow:
        event = uow.emit(Checked(n=1))
        uow.after_commit(note)
        await uow.commit()
        assert ran == []  # not before the block ends
    assert ran == ["after"]
    assert await outbox_rows(auth, event.id) == 1


async def test_a_block_that_changes_nothing_and_does_not_commit_is_an_outcome(
        stack: Stack) -> None:
    auth = stack.services["auth"]
    consumer = f"uow-{uuid.uuid4()}"
    ran: list[str] = []

    async def note() -> None:
        ran.append("after")

    async with auth.uow() as uow:
        # A statement the session does not track (as a refused hold's seat UPDATE).
        await uow.session.execute(insert(TABLES.processed).values(
            event_id=str(uuid.uuid4()), consumer=consumer))
        uow.after_commit(note)
    assert await processed_rows(auth, consumer) == 0
    assert ran == []


async def test_a_block_that_emitted_but_did_not_commit_raises_and_writes_nothing(
        stack: Stack) -> None:
    auth = stack.services["auth"]
    with pytest.raises(UncommittedWork, match="without commit"):
        async with auth.uow() as uow:
            event = uow.emit(Checked(n=2))
    assert await outbox_rows(auth, event.id) == 0


async def test_an_error_in_the_block_rolls_back_even_after_statements(stack: Stack) -> None:
    auth = stack.services["auth"]
    consumer = f"uow-{uuid.uuid4()}"
    with pytest.raises(LookupError):
        async with auth.uow() as uow:
            await uow.session.execute(insert(TABLES.processed).values(
                event_id=str(uuid.uuid4()), consumer=consumer))
            uow.emit(Checked(n=3))
            raise LookupError("refused")
    assert await processed_rows(auth, consumer) == 0


async def test_what_a_block_read_stays_readable_when_it_ends_without_commit(
        stack: Stack, actors: Actors) -> None:
    auth = stack.services["auth"]
    async with auth.uow() as uow:
        user = await uow.session.get(User, actors.customer.id, with_for_update=True)
    assert user is not None
    assert user.email == actors.customer.email  # loaded, not expired by the rollback


async def test_rows_too_many_for_one_statement_are_written_with_the_events(
        stack: Stack) -> None:
    """An event with more rows at commit than one PostgreSQL statement may bind (32767
    values; a show's move tells every booking): every row is written, with the event."""
    auth = stack.services["auth"]
    consumer, processed = f"uow-{uuid.uuid4()}", TABLES.processed
    rows = [{"event_id": str(uuid.uuid4()), "consumer": consumer, "processed_at": utcnow()}
            for _ in range(12_000)]  # 36,000 values
    async with auth.uow() as uow:
        event = uow.emit(Checked(n=len(rows)))
        uow.insert_at_commit(processed, rows)
        await uow.commit()
    assert await outbox_rows(auth, event.id) == 1
    assert await processed_rows(auth, consumer) == len(rows)
