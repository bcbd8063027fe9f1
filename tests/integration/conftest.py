"""Fixtures of the integration level: database access, fresh shows, a deployment whose
sweeper only runs when a test calls it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from subgraphs.kernel.db import Database
from tests.flows import Actors, ShowOnSale, show_on_sale
from tests.harness import Stack, test_env
from tests.integration.mailbox import SmtpServer
from tests.integration.support import Deployment, deployment, own_databases


@pytest.fixture(scope="session")
def dbs(stack: Stack) -> dict[str, Database]:
    """The integration stack's databases by subgraph name."""
    return own_databases(stack)


@pytest.fixture
async def show(stack: Stack, actors: Actors) -> ShowOnSale:
    """A fresh show (two rows of five seats) that booking can sell."""
    return await show_on_sale(stack.client("venue"), stack.client("booking"), actors.organizer)


def own_deployment(mode: str, factory: pytest.TempPathFactory, name: str,
                   **settings: object) -> contextlib.AbstractAsyncContextManager[Deployment]:
    """A deployment of a test module's own, with ``settings`` (``max_seats_per_customer=4``...)."""
    env = test_env(mode, Path(factory.mktemp(f"{name}-{mode}")))
    env |= {f"TICKETFLOW_{key.upper()}": str(value) for key, value in settings.items()}
    return deployment(env)


@pytest.fixture(scope="module")
async def manual_sweep(mode: str, tmp_path_factory: pytest.TempPathFactory
                       ) -> AsyncIterator[Deployment]:
    """The sweeper only runs when a test calls it (``release_expired``). Holds last their
    usual time: a test makes one lapse in the database (``support.lapse_hold``), never by
    waiting for a short hold time that checkout could lose to on a loaded machine."""
    async with own_deployment(mode, tmp_path_factory, "expiry",
                              sweep_interval_seconds=3600) as running:
        yield running


@pytest.fixture(scope="module")
async def low_limits(mode: str, tmp_path_factory: pytest.TempPathFactory
                     ) -> AsyncIterator[Deployment]:
    """Login and register allow a handful of attempts per minute, per email and per address."""
    async with own_deployment(mode, tmp_path_factory, "limits", rate_limit_window_seconds=60,
                              login_limit_per_email=3, login_limit_per_address=5,
                              register_limit_per_email=2,
                              register_limit_per_address=4) as running:
        yield running


@pytest.fixture(scope="module")
async def one_login_a_minute(mode: str, tmp_path_factory: pytest.TempPathFactory
                             ) -> AsyncIterator[Deployment]:
    """One login per email in a minute's window, to see a window end (the test moves the
    limits' clock on: test_rate_limits.py, ``clock``)."""
    async with own_deployment(mode, tmp_path_factory, "window", rate_limit_window_seconds=60,
                              login_limit_per_email=1, login_limit_per_address=100) as running:
        yield running


@pytest.fixture(scope="module")
async def key_rotation(mode: str, tmp_path_factory: pytest.TempPathFactory
                       ) -> AsyncIterator[Deployment]:
    """A deployment of its own whose signing keys the tests rotate."""
    async with own_deployment(mode, tmp_path_factory, "rotation") as running:
        yield running


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    """A loopback SMTP server of the module's own (tests/integration/mailbox.py)."""
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
