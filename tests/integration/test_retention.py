"""Retention of the kernel's tables (kernel/retention.py, docs/architecture.md "Retention"):
rows past their window are deleted, in batches; young rows, unpublished events, records an
event may still need and keys within their validity are kept. Rows are aged by writing
their timestamps in the database, never by waiting."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, update

from subgraphs.auth.models import TABLES
from subgraphs.kernel.bus import EventBus, InProcessBus, RedisStreamsBus
from subgraphs.kernel.db import Database, utcnow
from subgraphs.kernel.events import Event, Payload, event_payload
from subgraphs.kernel.relay import IdempotentConsumer
from subgraphs.kernel.retention import CLOCK_MARGIN, Pruner, Windows
from subgraphs.kernel.settings import Settings
from subgraphs.kernel.uow import UnitOfWork
from subgraphs.venue.models import TABLES as VENUE_TABLES
from tests import harness
from tests.flows import Actors
from tests.harness import REDIS_URL, Stack, destroy, migrate_all, settings_from

VENUE_KEYED = """mutation($i: CreateVenueInput!, $key: String) {
  createVenue(input: $i, idempotencyKey: $key) { id } }"""


@event_payload
class Pruned(Payload):
    n: int


@dataclass
class Kernel:
    """One subgraph's (auth's) own migrated database, its bus and a pruner over them."""

    db: Database
    bus: EventBus
    settings: Settings
    prefix: str

    def pruner(self, batch: int = 1000, consumes: tuple[str, ...] = ()) -> Pruner:
        return Pruner(self.db, TABLES, self.bus, subgraph="auth", consumes=consumes,
                      windows=Windows.of(self.settings), batch=batch)


@pytest.fixture
async def kernel(mode: str, tmp_path: Path) -> AsyncIterator[Kernel]:
    settings = settings_from(harness.test_env(mode, tmp_path))
    await migrate_all(settings)
    db = Database(settings.database_url("auth"))
    bus: EventBus = (RedisStreamsBus(REDIS_URL, settings.redis_prefix) if mode == "postgres"
                     else InProcessBus())
    try:
        yield Kernel(db, bus, settings, settings.redis_prefix)
    finally:
        await bus.close()
        await db.dispose()
        await destroy(settings)


async def count(db: Database, table: object) -> int:
    async with db.reader() as s:
        return int(await s.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


async def outbox_rows(db: Database, published: timedelta | None, n: int = 1) -> list[str]:
    """``n`` events committed now; published ``published`` ago (``None``: not yet), as if
    committed that long ago too."""
    ids = []
    for i in range(n):
        async with UnitOfWork(db, TABLES, "auth") as uow:
            ids.append(uow.emit(Pruned(n=i)).id)
            await uow.commit()
    if published is not None:
        at = utcnow() - published
        async with db.writer() as s, s.begin():
            await s.execute(update(TABLES.outbox).where(TABLES.outbox.c.event_id.in_(ids))
                            .values(published_at=at, created_at=at))
    return ids


async def outbox_ids(db: Database) -> set[str]:
    async with db.reader() as s:
        return set(await s.scalars(select(TABLES.outbox.c.event_id)))


async def test_published_outbox_rows_past_the_window_go_young_and_unpublished_stay(
        kernel: Kernel) -> None:
    window = Windows.of(kernel.settings).outbox
    old = await outbox_rows(kernel.db, window + timedelta(hours=1), n=3)
    young = await outbox_rows(kernel.db, window - timedelta(hours=1))
    pending = await outbox_rows(kernel.db, None)
    async with kernel.db.writer() as s, s.begin():  # unpublished, however old
        await s.execute(update(TABLES.outbox).where(TABLES.outbox.c.event_id.in_(pending))
                        .values(created_at=utcnow() - 10 * window))
    counts = await kernel.pruner().prune()
    assert counts["outbox"] == 3
    left = await outbox_ids(kernel.db)
    assert left == {*young, *pending}
    assert not left & set(old)


async def test_the_outbox_window_covers_the_replay_window(kernel: Kernel) -> None:
    # Embedded, the relay replays published rows of the last outbox_replay_hours at
    # start-up: the pruner never deletes one of those.
    assert kernel.settings.outbox_retention_hours >= kernel.settings.outbox_replay_hours
    replayed = await outbox_rows(
        kernel.db, timedelta(hours=kernel.settings.outbox_replay_hours) - timedelta(minutes=5))
    await kernel.pruner().prune()
    assert set(replayed) <= await outbox_ids(kernel.db)
    with pytest.raises(ValueError, match="OUTBOX_RETENTION_HOURS"):
        Settings(outbox_retention_hours=12, outbox_replay_hours=24)
    with pytest.raises(ValueError, match="PROCESSED_EVENTS_RETENTION_HOURS"):
        Settings(processed_events_retention_hours=168, event_stream_retention_hours=168)


async def test_more_rows_than_a_batch_are_deleted_batch_by_batch(kernel: Kernel) -> None:
    window = Windows.of(kernel.settings).outbox
    await outbox_rows(kernel.db, window + timedelta(days=1), n=25)
    kept = await outbox_rows(kernel.db, timedelta(0))
    pruner = kernel.pruner(batch=10)
    assert [await pruner.prune_outbox() for _ in range(4)] == [10, 10, 5, 0]
    assert await outbox_ids(kernel.db) == set(kept)
    # A round goes on until a batch finds fewer rows than the batch size.
    await outbox_rows(kernel.db, window + timedelta(days=1), n=23)
    assert (await pruner.prune())["outbox"] == 23
    assert await outbox_ids(kernel.db) == set(kept)


async def age_processed(db: Database, event_id: str, age: timedelta) -> None:
    async with db.writer() as s, s.begin():
        await s.execute(update(TABLES.processed).where(TABLES.processed.c.event_id == event_id)
                        .values(processed_at=utcnow() - age))


async def test_a_redelivered_event_is_deduplicated_until_its_record_outlives_the_stream(
        kernel: Kernel) -> None:
    applied: list[str] = []

    async def apply(_uow: UnitOfWork, event: Event) -> None:
        applied.append(event.id)

    consumer = IdempotentConsumer(kernel.db, TABLES, "auth", "retention-test", apply)
    event = Event("Pruned", "venue", {"n": 1})
    await consumer(event)
    windows = Windows.of(kernel.settings)
    # Older than anything can deliver it again (the stream's retention, the replay), still
    # inside the record's own window: kept, and a redelivery changes nothing.
    assert windows.processed > max(windows.stream,
                                   timedelta(hours=kernel.settings.outbox_replay_hours))
    await age_processed(kernel.db, event.id, windows.processed - timedelta(minutes=30))
    assert (await kernel.pruner().prune())["processed_events"] == 0
    await consumer(event)
    await consumer.batch([event])
    assert applied == [event.id]
    # Past its window: deleted.
    await age_processed(kernel.db, event.id, windows.processed + timedelta(minutes=30))
    young = Event("Pruned", "venue", {"n": 2})
    await consumer(young)
    assert (await kernel.pruner().prune())["processed_events"] == 1
    async with kernel.db.reader() as s:
        left = set(await s.scalars(select(TABLES.processed.c.event_id)))
    assert left == {young.id}


async def test_more_processed_records_and_keys_than_a_batch_go_batch_by_batch(
        kernel: Kernel) -> None:
    windows = Windows.of(kernel.settings)
    old = utcnow() - windows.processed - timedelta(hours=1)
    async with kernel.db.writer() as s, s.begin():
        await s.execute(insert(TABLES.processed), [
            {"event_id": str(uuid.uuid4()), "consumer": "c", "processed_at": old}
            for _ in range(12)])
        await s.execute(insert(TABLES.idempotency), [
            {"user_id": "u", "key": f"k{i}", "operation": "op", "fingerprint": "f",
             "result_id": "r", "created_at": utcnow() - windows.keys - timedelta(minutes=1)}
            for i in range(12)])
    pruner = kernel.pruner(batch=5)
    assert [await pruner.prune_processed() for _ in range(4)] == [5, 5, 2, 0]
    assert [await pruner.prune_keys() for _ in range(4)] == [5, 5, 2, 0]
    assert await count(kernel.db, TABLES.processed) == 0
    assert await count(kernel.db, TABLES.idempotency) == 0


async def test_an_idempotency_key_answers_within_its_validity_and_creates_anew_after(
        stack: Stack, actors: Actors) -> None:
    venue = stack.client("venue")
    service = stack.services["venue"]
    key = uuid.uuid4().hex
    request = {"i": {"name": f"Kept {key[:6]}", "timeZone": "UTC",
                     "rows": [{"label": "A", "seats": 2}]}, "key": key}
    first = (await venue.data(VENUE_KEYED, request, actors.organizer.token))["createVenue"]

    async def age_key(age: timedelta) -> None:
        keys = VENUE_TABLES.idempotency
        async with service.db.writer() as s, s.begin():
            changed = await s.execute(update(keys).where(keys.c.key == key)
                                      .values(created_at=utcnow() - age))
        assert getattr(changed, "rowcount", 0) == 1

    ttl = service.pruner.windows.keys
    assert ttl == timedelta(hours=24)  # the documented validity
    await age_key(ttl - timedelta(minutes=5))
    await service.pruner.prune_keys()
    again = (await venue.data(VENUE_KEYED, request, actors.organizer.token))["createVenue"]
    assert again["id"] == first["id"]
    await age_key(ttl + timedelta(minutes=5))
    assert await service.pruner.prune_keys() >= 1
    anew = (await venue.data(VENUE_KEYED, request, actors.organizer.token))["createVenue"]
    assert anew["id"] != first["id"]
    # and the key now stands for the new venue, for another validity
    last = (await venue.data(VENUE_KEYED, request, actors.organizer.token))["createVenue"]
    assert last["id"] == anew["id"]


# With Redis: a message delivered and not acknowledged comes again however old it is (a
# consumer that died after its commit), so its record is kept while it is pending; and the
# stream itself keeps events for its window only.

@pytest.fixture
async def redis_kernel(tmp_path: Path) -> AsyncIterator[Kernel]:
    settings = settings_from(harness.test_env("embedded", tmp_path))
    await migrate_all(settings)
    db = Database(settings.database_url("auth"))
    bus = RedisStreamsBus(REDIS_URL, settings.redis_prefix)
    try:
        yield Kernel(db, bus, settings, settings.redis_prefix)
    finally:
        await bus._redis.delete(bus.key("venue"), bus.key("auth"))
        await bus.close()
        await db.dispose()
        await destroy(settings)


def stream_id(at: datetime) -> str:
    return f"{int(at.timestamp() * 1000)}-0"


async def test_a_record_is_kept_while_its_message_is_pending(redis_kernel: Kernel) -> None:
    bus = redis_kernel.bus
    assert isinstance(bus, RedisStreamsBus)
    windows = Windows.of(redis_kernel.settings)
    published = utcnow() - windows.processed - timedelta(days=2)
    event = Event("Pruned", "venue", {"n": 1})
    key = bus.key("venue")
    await bus._redis.xadd(key, {"event": event.to_json()}, id=stream_id(published))
    await bus._redis.xgroup_create(key, "auth", id="0")
    await bus._redis.xreadgroup("auth", "dead-consumer", {key: ">"}, count=10)  # never acked
    processed_at = published + timedelta(minutes=1)  # applied, then the consumer died
    async with redis_kernel.db.writer() as s, s.begin():
        await s.execute(insert(TABLES.processed).values(
            event_id=event.id, consumer="auth", processed_at=processed_at))
    pruner = redis_kernel.pruner(consumes=("venue",))
    cutoff = await pruner.processed_cutoff()
    assert cutoff <= published - CLOCK_MARGIN + timedelta(seconds=1)
    assert (await pruner.prune())["processed_events"] == 0
    # Acknowledged (handled by another consumer): nothing pending, the record may go.
    pending = await bus._redis.xpending(key, "auth")
    await bus._redis.xack(key, "auth", pending["min"])
    assert (await pruner.prune())["processed_events"] == 1


async def test_the_pruner_trims_its_stream_to_the_stream_window(redis_kernel: Kernel) -> None:
    bus = redis_kernel.bus
    assert isinstance(bus, RedisStreamsBus)
    windows = Windows.of(redis_kernel.settings)
    key = bus.key("auth")
    start = utcnow() - windows.stream - timedelta(days=1)
    for i in range(300):  # three of Redis' 100-entry nodes, all past the window
        await bus._redis.xadd(key, {"event": "{}"}, id=f"{stream_id(start).split('-')[0]}-{i}")
    fresh = Event("Pruned", "auth", {"n": 1})
    await bus.publish("auth", fresh)
    await redis_kernel.pruner().prune()
    left = list(await bus._redis.xrange(key) or [])
    # whole nodes of old entries were dropped ("~" trimming): at most the fresh entry's node
    # (100 entries) is left, with the fresh one
    assert len(left) <= 101
    assert (left[-1][1] or {})[b"event"] == fresh.to_json().encode()


class UnreachableBus(InProcessBus):
    """A bus that cannot say what is pending (Redis away)."""

    async def oldest_pending(self, stream: str, group: str) -> datetime | None:
        raise ConnectionError("Redis is away")


async def test_a_table_that_cannot_be_pruned_leaves_the_others_pruned(kernel: Kernel) -> None:
    windows = Windows.of(kernel.settings)
    await outbox_rows(kernel.db, windows.outbox + timedelta(hours=1), n=2)
    async with kernel.db.writer() as s, s.begin():
        await s.execute(insert(TABLES.processed).values(
            event_id=str(uuid.uuid4()), consumer="c",
            processed_at=utcnow() - windows.processed - timedelta(hours=1)))
    pruner = Pruner(kernel.db, TABLES, UnreachableBus(), subgraph="auth", consumes=["venue"],
                    windows=windows)
    counts = await pruner.prune()
    # Not knowing what is pending, no record goes; the outbox is pruned all the same.
    assert counts == {"outbox": 2, "processed_events": 0, "idempotency_keys": 0}
    assert await count(kernel.db, TABLES.processed) == 1
