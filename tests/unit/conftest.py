"""Hooks of the unit level."""

from __future__ import annotations

import pytest

from tests import background
from tests.unit import test_router_modules, test_web_app


def pytest_collection_finish(session: pytest.Session) -> None:
    # The router's node:test suites are a program of their own (seconds of CPU): started as
    # soon as the run knows it will need them, they run while the tests before them do.
    background.start_if_selected(session, "::test_the_router_unit_suites_pass",
                                 test_router_modules.suites(), test_router_modules.ROUTER)
    # So are the web app's Vitest suite and its build's checks (codegen, tsc).
    background.start_if_selected(session, "::test_the_web_app_suite_passes",
                                 test_web_app.suite(), test_web_app.WEB)
    background.start_if_selected(session, "::test_the_web_app_type_checks_against_the_supergraph",
                                 test_web_app.checks(), test_web_app.WEB)


def pytest_sessionfinish(session: pytest.Session) -> None:
    background.stop_all()
