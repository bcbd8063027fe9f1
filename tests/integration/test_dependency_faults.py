"""A subgraph whose database or Redis fails answers at once, with a code that says so.

PostgreSQL + Redis only (embedded mode has neither server). Redis here is a private
``redis-server`` this module starts on a port of its own and kills and starts again — never
the shared one. See docs/failures.md, "When a subgraph's database or Redis fails".
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from subgraphs.kernel.db import Database, Deadlines
from subgraphs.kernel.errors import unavailable_cause
from tests.flows import HOLD, SEAT_AVAILABILITY, ShowOnSale, show_on_sale
from tests.harness import Subscription, eventually, free_port
from tests.integration.conftest import own_deployment
from tests.integration.support import Deployment

pytestmark = pytest.mark.mode("postgres")

STATEMENT_MS = 1000  # this module's statement_timeout: a stuck statement is cut after 1 s


class PrivateRedis:
    """A ``redis-server`` of this module's own on ``port``, to kill and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="tf-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        server = shutil.which("redis-server")
        assert server, "redis-server is needed (CI starts the shared one from it)"
        self.proc = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        async def answers() -> bool:
            client = aioredis.from_url(self.url)
            try:
                return bool(await client.ping())
            except Exception:
                return False
            finally:
                await client.aclose()
        await eventually(answers)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture(scope="module")
def private_redis() -> Iterator[PrivateRedis]:
    redis = PrivateRedis()
    yield redis
    redis.kill()
    shutil.rmtree(redis.dir, ignore_errors=True)


@pytest.fixture(scope="module")
async def faults(private_redis: PrivateRedis, tmp_path_factory: pytest.TempPathFactory
                 ) -> AsyncIterator[Deployment]:
    await private_redis.start()
    async with own_deployment("postgres", tmp_path_factory, "faults",
                              redis_url=private_redis.url,
                              db_statement_timeout_ms=STATEMENT_MS,
                              db_pool_timeout_seconds=1) as dep:
        yield dep


async def fresh_show(dep: Deployment) -> ShowOnSale:
    return await show_on_sale(dep.stack.client("venue"), dep.stack.client("booking"),
                              dep.actors.organizer)


async def ready(dep: Deployment, name: str) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient() as client:
        r = await client.get(f"{dep.stack.url(name).removesuffix('/graphql')}/readyz")
    return r.status_code, r.json()


async def unpublished(dep: Deployment) -> int:
    outbox = dep.services["booking"].spec.tables.outbox
    async with dep.dbs["booking"].reader() as session:
        return int(await session.scalar(select(func.count()).select_from(outbox)
                                        .where(outbox.c.published_at.is_(None))) or 0)


async def hold(dep: Deployment, show: ShowOnSale, seat: int) -> dict[str, Any]:
    return await dep.stack.client("booking").run(
        HOLD, {"show": show.id, "seats": [str(show.seats[seat]["id"])]},
        dep.actors.customer.token)


async def test_with_redis_gone_holds_still_commit_and_everything_catches_up_after(
        faults: Deployment, private_redis: PrivateRedis) -> None:
    dep = faults
    show = await fresh_show(dep)
    assert await ready(dep, "booking") == (200, {"status": "ok", "service": "booking"})
    async with Subscription(dep.stack.url("booking"), SEAT_AVAILABILITY,
                            {"show": show.id}) as watcher:
        await watcher.next()  # the snapshot
        private_redis.kill()
        # A watcher's live source is gone: its stream ends with a retryable error (its
        # client subscribes again), instead of going quietly stale.
        [error] = await watcher.end(timeout=30)
        assert error["extensions"] == {"code": "SUBGRAPH_UNAVAILABLE", "retryable": True,
                                       "serviceName": "booking"}, error

    status, body = await ready(dep, "booking")
    assert status == 503 and body["unavailable"] == ["redis"], body
    # The token's session cannot be checked against Redis' revocations: the hold is taken
    # all the same, and its event waits in the outbox.
    held = await hold(dep, show, 0)
    assert held["data"]["holdSeats"]["__typename"] == "SeatHold", held
    assert await unpublished(dep) >= 1

    await private_redis.start()
    await eventually(lambda: _ready(dep, "booking"), timeout=30)
    await eventually(lambda: _drained(dep), timeout=30)
    async with Subscription(dep.stack.url("booking"), SEAT_AVAILABILITY,
                            {"show": show.id}) as watcher:
        snapshot = (await watcher.next())["data"]["seatAvailability"]
    held_seat = str(show.seats[0]["id"])
    assert snapshot["kind"] == "SNAPSHOT"
    assert [s["state"] for s in snapshot["seats"] if s["seatId"] == held_seat] == ["HELD"]


async def _drained(dep: Deployment) -> bool:
    return await unpublished(dep) == 0


async def test_a_stuck_database_answers_unavailable_not_internal(faults: Deployment) -> None:
    """A statement stuck behind a lock is cut by statement_timeout: SUBGRAPH_UNAVAILABLE,
    retryable, and nothing changed; the same hold goes through once the lock is gone."""
    dep = faults
    show = await fresh_show(dep)
    blocker = Database(dep.settings.database_url("booking"), pool_size=1)
    try:
        async with blocker.engine.connect() as conn:
            await conn.execute(text("LOCK TABLE show_seats IN ACCESS EXCLUSIVE MODE"))
            stuck = await hold(dep, show, 3)
            await conn.rollback()
    finally:
        await blocker.dispose()
    assert stuck["data"] is None or stuck["data"]["holdSeats"] is None, stuck
    [error] = stuck["errors"]
    assert error["extensions"] == {"code": "SUBGRAPH_UNAVAILABLE", "retryable": True,
                                   "serviceName": "booking"}, error
    assert "Internal" not in error["message"]
    again = await hold(dep, show, 3)
    assert again["data"]["holdSeats"]["__typename"] == "SeatHold", again


async def test_an_unreachable_database_fails_fast_as_unavailable() -> None:
    """Nothing listens on the port: connecting fails at once, and the failure is one the
    error mapping calls unavailable (not a bug)."""
    db = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nothing",
                  deadlines=Deadlines(pool_seconds=1, connect_seconds=1))
    try:
        with pytest.raises(Exception) as caught:
            await asyncio.wait_for(db.ping(), 30)
    finally:
        await db.dispose()
    assert unavailable_cause(caught.value), repr(caught.value)


async def test_readiness_is_red_while_the_database_refuses_and_green_when_it_is_back(
        faults: Deployment) -> None:
    dep = faults
    url = make_url(dep.settings.database_url("venue"))
    name = url.database
    admin = Database(url.set(database="postgres").render_as_string(hide_password=False))
    try:
        async with admin.autocommit.connect() as conn:
            await conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            await conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = :name"), {"name": name})
            status, body = await eventually(lambda: _refused(dep), timeout=30)
            assert (status, body["unavailable"]) == (503, ["database"]), body
            await conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        assert await eventually(lambda: _ready(dep, "venue"), timeout=30)
    finally:
        async with admin.autocommit.connect() as conn:  # whatever happened above
            await conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        await admin.dispose()


async def _refused(dep: Deployment) -> tuple[int, dict[str, Any]] | None:
    status, body = await ready(dep, "venue")
    return (status, body) if status == 503 else None


async def _ready(dep: Deployment, name: str) -> bool:
    return (await ready(dep, name))[0] == 200
