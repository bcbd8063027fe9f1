"""Fixtures of the integration level: database access, fresh shows, a short-hold deployment."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from subgraphs.kernel.app import Runtime, Service, create_app
from subgraphs.kernel.db import Database
from subgraphs.kernel.settings import SERVICES, Settings
from subgraphs.registry import spec
from tests.flows import Actors, ShowOnSale, new_user, show_on_sale
from tests.harness import (
    Stack,
    _Server,
    destroy,
    eventually,
    migrate_all,
    settings_from,
    test_env,
)


@contextlib.asynccontextmanager
async def databases(settings: Settings) -> AsyncIterator[dict[str, Database]]:
    """Our own connections to every subgraph's database, to check what was stored."""
    dbs = {name: Database(settings.database_url(name)) for name in SERVICES}
    try:
        yield dbs
    finally:
        for db in dbs.values():
            await db.dispose()


@pytest.fixture(scope="session")
async def dbs(stack: Stack) -> AsyncIterator[dict[str, Database]]:
    """The integration stack's databases by subgraph name."""
    async with databases(stack.settings) as found:
        yield found


@pytest.fixture
async def show(stack: Stack, actors: Actors) -> ShowOnSale:
    """A fresh show (two rows of five seats) that booking can sell."""
    return await show_on_sale(stack.client("venue"), stack.client("booking"), actors.organizer)


@dataclass
class Deployment:
    """An in-process stack whose services the test can reach directly."""

    stack: Stack
    services: dict[str, Service]
    dbs: dict[str, Database]
    actors: Actors

    @property
    def settings(self) -> Settings:
        return self.stack.settings


@contextlib.asynccontextmanager
async def deployment(env: dict[str, str]) -> AsyncIterator[Deployment]:
    """Like ``tests.harness.in_process_stack``, but keeping each subgraph's ``Service``."""
    settings = settings_from(env)
    await migrate_all(settings)
    runtime = Runtime(settings)
    apps = {name: create_app(spec(name), runtime) for name in SERVICES}
    servers = [
        _Server(uvicorn.Config(app, host="127.0.0.1", port=settings.port_of(name),
                               log_config=None, lifespan="on", ws="websockets-sansio"))
        for name, app in apps.items()
    ]
    tasks = [asyncio.create_task(s.serve()) for s in servers]
    try:
        await eventually(lambda: asyncio.sleep(0, all(s.started for s in servers)), 20)
        stack = Stack(env, settings)
        async with databases(settings) as dbs:
            auth = stack.url("auth")
            actors = Actors(*[await new_user(stack, auth, role) for role in
                              ("CUSTOMER", "CUSTOMER", "ORGANIZER", "ORGANIZER", "ADMIN")])
            yield Deployment(stack, {n: a.state.service for n, a in apps.items()}, dbs, actors)
    finally:
        for s in servers:
            s.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
        await runtime.close()
        await destroy(settings)


@pytest.fixture(scope="module")
async def short_holds(mode: str, tmp_path_factory: pytest.TempPathFactory
                      ) -> AsyncIterator[Deployment]:
    """Holds last one second; the sweeper only runs when a test calls it."""
    env = test_env(mode, Path(tmp_path_factory.mktemp(f"expiry-{mode}"))) | {
        "TICKETFLOW_HOLD_TTL_SECONDS": "1",
        "TICKETFLOW_SWEEP_INTERVAL_SECONDS": "3600",
    }
    async with deployment(env) as running:
        yield running
