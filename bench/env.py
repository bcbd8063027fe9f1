"""The environment of a benchmark's deployment."""

from __future__ import annotations

from pathlib import Path

from tests.harness import test_env


def bench_env(mode: str, data_dir: Path) -> dict[str, str]:
    """A fresh, isolated deployment's ``TICKETFLOW_*`` variables, as the tests make them, but
    with PostgreSQL pools that grow in bursts as a real deployment's do (the test suite caps
    them so that both of its workers' deployments fit the server's connections)."""
    env = test_env(mode, data_dir)
    del env["TICKETFLOW_DB_MAX_OVERFLOW"]
    return env
