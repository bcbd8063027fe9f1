"""Each subgraph's migrations build exactly the schema its models describe, in both modes,
and bring a database written by an older revision up to it (its rows kept)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Connection

from subgraphs.kernel.db import Database
from subgraphs.kernel.migrate import alembic_config, ensure_database, upgrade
from subgraphs.kernel.settings import SERVICES, Settings
from subgraphs.registry import spec
from tests.harness import POSTGRES_DSN, discard_database


def differences(metadata: MetaData) -> Any:
    def compare(connection: Connection) -> Any:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)

    return compare


@pytest.fixture(params=SERVICES)
def service(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def migrated(mode: str, service: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A brand-new database of one subgraph, migrated to head."""
    settings = Settings(data_dir=tmp_path, db_prefix=f"tfm_{uuid.uuid4().hex[:10]}",
                        postgres_dsn=POSTGRES_DSN if mode == "postgres" else None)
    url = settings.database_url(service)
    await upgrade(service, url)
    db = Database(url)
    try:
        yield db
    finally:
        await db.dispose()
        await discard_database(url)


async def test_migrated_database_matches_the_models(migrated: Database, service: str) -> None:
    async with migrated.engine.connect() as connection:
        diffs = await connection.run_sync(differences(spec(service).metadata))
    assert diffs == []


async def migrate_to(service: str, url: str, revision: str) -> None:
    await ensure_database(url)
    await asyncio.to_thread(command.upgrade, alembic_config(service, url), revision)


@pytest.fixture
async def fresh_url(mode: str, tmp_path: Path) -> AsyncIterator[Callable[[str], str]]:
    """The URL of a new, empty database per subgraph (dropped afterwards)."""
    settings = Settings(data_dir=tmp_path, db_prefix=f"tfm_{uuid.uuid4().hex[:10]}",
                        postgres_dsn=POSTGRES_DSN if mode == "postgres" else None)
    used: list[str] = []

    def url(service: str) -> str:
        used.append(settings.database_url(service))
        return used[-1]

    yield url
    for each in used:
        await discard_database(each)


# (subgraph, the revision before zones, a row written then, the table that gains the zone)
EXISTING = {
    "venue": ("6ad8679d89d3", "venues", [
        "INSERT INTO venues (id, owner_id, name, created_at) "
        "VALUES ('v-old', 'owner', 'Old Hall', '2026-01-01 00:00:00')"]),
    "booking": ("3c1f9a2e7b40", "shows", [
        "INSERT INTO shows (id, venue_id, organizer_id, title, starts_at, currency, status, "
        "stops, layout, version) VALUES ('v-old', 'venue', 'owner', 'Old Show', "
        "'2030-01-01 19:00:00', 'EUR', 'ON_SALE', 0, 'OTHER', 0)"]),
}


@pytest.mark.parametrize("subgraph", sorted(EXISTING))
async def test_rows_from_before_time_zones_get_utc_and_new_rows_keep_theirs(
        fresh_url: Callable[[str], str], subgraph: str) -> None:
    before, table, inserts = EXISTING[subgraph]
    url = fresh_url(subgraph)
    await migrate_to(subgraph, url, before)
    db = Database(url)
    try:
        async with db.engine.begin() as connection:
            columns = await connection.run_sync(
                lambda c: [col["name"] for col in inspect(c).get_columns(table)])
            assert "time_zone" not in columns  # the database is as it was before zones
            for statement in inserts:
                await connection.execute(text(statement))
        await upgrade(subgraph, url)
        async with db.engine.begin() as connection:
            old = await connection.scalar(
                text(f"SELECT time_zone FROM {table} WHERE id = 'v-old'"))
            await connection.execute(text(
                f"UPDATE {table} SET time_zone = 'Asia/Kolkata' WHERE id = 'v-old'"))
            kept = await connection.scalar(
                text(f"SELECT time_zone FROM {table} WHERE id = 'v-old'"))
        async with db.engine.connect() as connection:
            diffs = await connection.run_sync(differences(spec(subgraph).metadata))
    finally:
        await db.dispose()
    assert (old, kept) == ("UTC", "Asia/Kolkata")
    assert diffs == []


async def test_tickets_of_bookings_confirmed_before_check_in_are_counted_once(
        fresh_url: Callable[[str], str]) -> None:
    url = fresh_url("booking")
    await migrate_to("booking", url, "4d8e1a6b2c57")  # the revision before check-in
    rows = [
        "INSERT INTO shows (id, venue_id, organizer_id, title, starts_at, currency, status, "
        "stops, layout, version) VALUES ('s-old', 'venue', 'owner', 'Old Show', "
        "'2030-01-01 19:00:00', 'EUR', 'ON_SALE', 0, 'OTHER', 0)",
        *[f"INSERT INTO holds (id, show_id, user_id, status, leg_from, leg_to, expires_at, "
          f"created_at, places) VALUES ('h-{b}', 's-old', 'u', 'BOOKED', 0, 1, "
          f"'2030-01-01 00:00:00', '2029-12-01 00:00:00', 3)" for b in ("paid", "gone")],
        *[f"INSERT INTO bookings (id, user_id, show_id, hold_id, status, total_amount, "
          f"currency, created_at) VALUES ('b-{b}', 'u', 's-old', 'h-{b}', '{status}', 300, "
          f"'EUR', '2029-12-01 00:00:00')"
          for b, status in (("paid", "CONFIRMED"), ("gone", "CANCELLED"))],
        "INSERT INTO booking_lines (booking_id, seat_id, label, price_amount) VALUES "
        "('b-paid', 'seat-1', 'A1', 100), ('b-paid', 'seat-2', 'A2', 100), "
        "('b-gone', 'seat-3', 'A3', 100)",
        "INSERT INTO booking_ga_lines (booking_id, section_id, name, quantity, price_amount) "
        "VALUES ('b-paid', 'floor', 'Floor', 3, 50), ('b-gone', 'floor', 'Floor', 2, 50)",
    ]
    db = Database(url)
    try:
        async with db.engine.begin() as connection:
            for statement in rows:
                await connection.execute(text(statement))
        await upgrade("booking", url)
        async with db.engine.connect() as connection:
            counted = (await connection.execute(text(
                "SELECT show_id, expected, admitted FROM check_in_counts"))).all()
            diffs = await connection.run_sync(differences(spec("booking").metadata))
    finally:
        await db.dispose()
    assert [tuple(r) for r in counted] == [("s-old", 5, 0)]
    assert diffs == []


async def test_accounts_made_before_email_verification_count_as_verified(
        fresh_url: Callable[[str], str]) -> None:
    url = fresh_url("auth")
    await migrate_to("auth", url, "5b2e7c1d9a40")  # the revision before email verification
    db = Database(url)
    try:
        async with db.engine.begin() as connection:
            await connection.execute(text(
                "INSERT INTO users (id, email, name, password_hash, role, created_at) VALUES "
                "('u-old', 'old@example.com', 'Old', 'x', 'CUSTOMER', '2026-01-02 03:04:05')"))
        await upgrade("auth", url)
        async with db.engine.begin() as connection:
            await connection.execute(text(
                "INSERT INTO users (id, email, name, password_hash, role, created_at) VALUES "
                "('u-new', 'new@example.com', 'New', 'x', 'CUSTOMER', '2026-12-01 00:00:00')"))
            rows = dict((await connection.execute(text(
                "SELECT id, email_verified_at FROM users"))).all())
            diffs = await connection.run_sync(differences(spec("auth").metadata))
    finally:
        await db.dispose()
    assert rows["u-new"] is None
    assert str(rows["u-old"]).startswith("2026-01-02 03:04:05")
    assert diffs == []
