"""Hooks of the unit level."""

from __future__ import annotations

import pytest

from tests.unit import test_lint


def pytest_collection_finish(session: pytest.Session) -> None:
    # mypy without its cache (a fresh clone) takes half a minute of CPU; started as soon as
    # the run knows it will check, it works while the tests before it run.
    # Under pytest-xdist every worker collects every test but only one runs the mypy test,
    # so a worker starts mypy when that test comes.
    if test_lint.runs_mypy(session.items) and not hasattr(session.config, "workerinput"):
        test_lint.start(test_lint.MYPY)


def pytest_sessionfinish(session: pytest.Session) -> None:
    test_lint.stop_all()
