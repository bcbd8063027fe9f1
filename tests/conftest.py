"""Fixtures shared by every level: the deployment modes, stacks and signed-in users."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.flows import Actors, ShowOnSale, make_actors, show_on_sale
from tests.harness import (
    MODES,
    GraphQL,
    Processes,
    Stack,
    close_http,
    drop_discarded,
    in_process_stack,
    process_stack,
    test_env,
)


@pytest.fixture(scope="session", autouse=True)
async def run_resources() -> AsyncIterator[None]:
    """What the harness keeps for the whole run (an HTTP client, template databases,
    PostgreSQL databases to drop), given back after everything else."""
    yield
    await close_http()
    await drop_discarded()


@pytest.fixture(scope="session", params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    """Each integration and end-to-end test runs once per mode: embedded and postgres."""
    return str(request.param)


@pytest.fixture(scope="session")
async def stack(mode: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """Every subgraph in this process, on a fresh database set (integration level)."""
    env = test_env(mode, tmp_path_factory.mktemp(f"int-{mode}"))
    # The crowd and concurrency tests race here: more connections, more at once in the
    # database (six per subgraph).
    env["TICKETFLOW_DB_POOL_SIZE"] = "6"
    async with in_process_stack(env) as s:
        yield s


@pytest.fixture(scope="session")
async def actors(stack: Stack) -> Actors:
    """Signed-in users of the integration stack: customers, organizers, an admin."""
    return await make_actors(stack, lambda service: stack.url(service))


# End-to-end tests sign callers in, and register, many times a minute (rate limits
# themselves are proven with their own small limits).
E2E_LIMITS = {"login_limit_per_email": 50, "login_limit_per_address": 1000,
              "register_limit_per_address": 1000}


@contextlib.asynccontextmanager
async def own_processes(mode: str, factory: pytest.TempPathFactory, name: str,
                        environ: dict[str, str] | None = None,
                        **settings: object) -> AsyncIterator[tuple[Stack, Processes]]:
    """Real processes and router of a test module's own: the end-to-end sign-in limits and
    ``settings`` (``sweep_interval_seconds=0.5``...), and variables of other names
    (``environ``: ``OTEL_*``)."""
    base = factory.mktemp(f"{name}-{mode}")
    logs = base / "logs"
    logs.mkdir()
    env = test_env(mode, base / "data") | (environ or {}) | {
        f"TICKETFLOW_{key.upper()}": str(value) for key, value in (E2E_LIMITS | settings).items()}
    async with process_stack(env, logs) as running:
        yield running


@pytest.fixture(scope="session")
async def e2e(mode: str, tmp_path_factory: pytest.TempPathFactory
              ) -> AsyncIterator[tuple[Stack, Processes]]:
    """The real processes: uvicorn subgraphs and the Hive Gateway router. The authorization
    matrix's customer holds a seat per row and caller (the per-customer limit is proven at
    integration level)."""
    async with own_processes(mode, tmp_path_factory, "e2e",
                             max_seats_per_customer=100) as running:
        yield running


@pytest.fixture(scope="session")
async def e2e_actors(e2e: tuple[Stack, Processes]) -> Actors:
    """Signed-in users of the end-to-end stack, made through the router."""
    stack, _ = e2e
    return await make_actors(stack, lambda _service: stack.router_url)


@pytest.fixture(scope="session")
async def e2e_show(e2e: tuple[Stack, Processes], e2e_actors: Actors) -> ShowOnSale:
    """A show on sale in the end-to-end deployment, made through the router, for tests that
    watch or read one (tests/e2e/test_subscription_clients.py alone holds its seats 0 and 1)."""
    stack, _ = e2e
    router = GraphQL(stack.router_url)
    return await show_on_sale(router, router, e2e_actors.organizer, via_router=True)


# The two halves `make test`'s workers run side by side, about equally long (the durations
# of a full run, by level and mode: PostgreSQL's integration tests are the longest part).
# Each half holds one mode's integration stack and the other mode's end-to-end processes,
# so each worker keeps at most one PostgreSQL session deployment: the server's hundred
# connections hold both workers' deployments (tests/harness.py sizes their pools).
HALVES = {("integration", "postgres"): "half-a", ("e2e", "embedded"): "half-a",
          ("e2e", "postgres"): "half-b", ("integration", "embedded"): "half-b"}


# First: pytest-xdist's own hook reads the xdist_group markers to group the tests.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        # The folder names the level, so `pytest -m unit` and `make test-unit` agree.
        level = Path(str(item.fspath)).parent.name
        if level in ("lint", "unit", "integration", "e2e"):
            item.add_marker(getattr(pytest.mark, level))
        # `make test` runs two workers (pytest-xdist, --dist loadgroup) on two halves of
        # the suite (HALVES): each half has every test of one session deployment, so each
        # deployment starts once, in one worker. Tests of no mode fill the gaps.
        callspec = getattr(item, "callspec", None)
        only = item.get_closest_marker("mode")
        mode = (callspec.params.get("mode") if callspec is not None else None) or (
            only.args[0] if only is not None else None)
        half = item.get_closest_marker("half")
        if half is not None:  # a module of one mode that needs no session deployment
            item.add_marker(pytest.mark.xdist_group(half.args[0]))
        elif mode is not None and level in ("integration", "e2e"):
            item.add_marker(pytest.mark.xdist_group(HALVES[level, mode]))
