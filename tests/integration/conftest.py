"""Fixtures of the integration level: database access, fresh shows, a short-hold deployment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from subgraphs.kernel.db import Database
from tests.flows import Actors, ShowOnSale, show_on_sale
from tests.harness import Stack, test_env
from tests.integration.support import Deployment, databases, deployment


@pytest.fixture(scope="session")
async def dbs(stack: Stack) -> AsyncIterator[dict[str, Database]]:
    """The integration stack's databases by subgraph name."""
    async with databases(stack.settings) as found:
        yield found


@pytest.fixture
async def show(stack: Stack, actors: Actors) -> ShowOnSale:
    """A fresh show (two rows of five seats) that booking can sell."""
    return await show_on_sale(stack.client("venue"), stack.client("booking"), actors.organizer)


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


@pytest.fixture(scope="module")
async def low_limits(mode: str, tmp_path_factory: pytest.TempPathFactory
                     ) -> AsyncIterator[Deployment]:
    """Login and register allow a handful of attempts per minute, per email and per address."""
    env = test_env(mode, Path(tmp_path_factory.mktemp(f"limits-{mode}"))) | {
        "TICKETFLOW_RATE_LIMIT_WINDOW_SECONDS": "60",
        "TICKETFLOW_LOGIN_LIMIT_PER_EMAIL": "3",
        "TICKETFLOW_LOGIN_LIMIT_PER_ADDRESS": "5",
        "TICKETFLOW_REGISTER_LIMIT_PER_EMAIL": "2",
        "TICKETFLOW_REGISTER_LIMIT_PER_ADDRESS": "4",
    }
    async with deployment(env) as running:
        yield running


@pytest.fixture(scope="module")
async def short_window(mode: str, tmp_path_factory: pytest.TempPathFactory
                       ) -> AsyncIterator[Deployment]:
    """One login per email in a two-second window, to see a window end."""
    env = test_env(mode, Path(tmp_path_factory.mktemp(f"window-{mode}"))) | {
        "TICKETFLOW_RATE_LIMIT_WINDOW_SECONDS": "2",
        "TICKETFLOW_LOGIN_LIMIT_PER_EMAIL": "1",
        "TICKETFLOW_LOGIN_LIMIT_PER_ADDRESS": "100",
    }
    async with deployment(env) as running:
        yield running


@pytest.fixture(scope="module")
async def key_rotation(mode: str, tmp_path_factory: pytest.TempPathFactory
                       ) -> AsyncIterator[Deployment]:
    """A deployment of its own whose signing keys the tests rotate."""
    env = test_env(mode, Path(tmp_path_factory.mktemp(f"rotation-{mode}")))
    async with deployment(env) as running:
        yield running
