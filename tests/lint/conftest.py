"""Hooks of the lint level: ruff and mypy over the code (make lint runs the same)."""

from __future__ import annotations

import pytest

from tests import background
from tests.lint import test_lint


def pytest_collection_finish(session: pytest.Session) -> None:
    # mypy without its cache (a fresh clone) takes half a minute of CPU: started as soon as
    # the run knows it will check, it works while the tests before it run.
    background.start_if_selected(
        session, "::test_mypy_finds_nothing_in_the_subgraphs_and_the_sdk", test_lint.MYPY,
        test_lint.ROOT)


def pytest_sessionfinish(session: pytest.Session) -> None:
    background.stop_all()
