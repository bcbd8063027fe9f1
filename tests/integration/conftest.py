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
