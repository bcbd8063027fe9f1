"""Each subgraph's migrations build exactly the schema its models describe, in both modes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from subgraphs.kernel.db import Database
from subgraphs.kernel.migrate import upgrade
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
