"""TICKETFLOW_SEPARATE_WORKERS: serving processes run no event consumers; `ticketflow work`
processes do, and the whole journey still works through the router (PostgreSQL + Redis:
the option needs Redis, and embedded mode refuses it)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from tests.conftest import own_processes
from tests.flows import new_user, show_on_sale
from tests.harness import GraphQL, Processes, Stack
from tests.harness import test_env as env_of
from tests.payments import SUCCEEDS, booking_status, pay, pending_booking, wait_booking

# PostgreSQL only: it runs in the half of the suite that holds its level's PostgreSQL
# tests (see tests/conftest.py).
pytestmark = pytest.mark.mode("postgres")


@pytest.fixture(scope="module")
async def split(tmp_path_factory: pytest.TempPathFactory
                ) -> AsyncIterator[tuple[Stack, Processes]]:
    async with own_processes("postgres", tmp_path_factory, "workers",
                             separate_workers=True) as running:
        yield running


async def consumers_of(stack: Stack, group: str) -> set[str]:
    """The names of every consumer that ever read for ``group``, on any stream."""
    settings = stack.settings
    r = aioredis.from_url(settings.redis_url)
    try:
        names: set[str] = set()
        async for key in r.scan_iter(match=f"{settings.redis_prefix}:events:*"):
            for g in await r.xinfo_groups(key):
                if g["name"].decode() == group:
                    names |= {c["name"].decode() for c in await r.xinfo_consumers(key, group)}
        return names
    finally:
        await r.aclose()


async def test_the_saga_runs_in_the_worker_and_nowhere_else(
        split: tuple[Stack, Processes]) -> None:
    stack, procs = split
    router = GraphQL(stack.router_url)
    organizer = await new_user(stack, stack.router_url, "ORGANIZER")
    # Booking hears of the show from venue's event: only its worker consumes it.
    show = await show_on_sale(router, router, organizer, via_router=True)
    customer = await new_user(stack, stack.router_url)
    booking = await pending_booking(router, customer, show.id, [str(show.seats[0]["id"])])
    assert (await pay(router, customer, booking["id"], SUCCEEDS))["status"] == "SUCCEEDED"
    await wait_booking(router, customer, booking["id"], "CONFIRMED")
    assert await booking_status(router, customer, booking["id"]) == "CONFIRMED"

    host = socket.gethostname()
    for name in ("booking", "payment"):
        worker = procs.procs[f"{name}-worker"].pid
        served = procs.procs[name].pid
        consumers = await consumers_of(stack, name)
        assert f"{name}-{host}-{worker}" in consumers, consumers
        assert f"{name}-{host}-{served}" not in consumers, consumers


@pytest.mark.parametrize("command", [["work", "booking"], ["serve", "booking"]])
def test_embedded_mode_refuses_it(tmp_path: Path, command: list[str]) -> None:
    # Without Redis the events never leave the process that commits them: a worker of its
    # own would consume nothing, and a server leaving its events to one would lose them.
    env = os.environ | env_of("embedded", tmp_path / "data") | {
        "TICKETFLOW_SEPARATE_WORKERS": "true"}
    done = subprocess.run([sys.executable, "-m", "subgraphs.cli", *command],
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "TICKETFLOW_REDIS_URL" in done.stderr
