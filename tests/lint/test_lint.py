"""ruff and mypy clean is the normal state: the suite fails when either finds something."""

from __future__ import annotations

import sys
from pathlib import Path

from tests import background

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RUFF = (str(BIN / "ruff"), "check", "subgraphs", "tests", "bench", "sdk")
MYPY = (str(BIN / "mypy"), "subgraphs", "sdk/ticketflow_sdk")


def test_ruff_finds_nothing() -> None:
    code, output = background.run(RUFF, ROOT)
    assert code == 0, output


def test_mypy_finds_nothing_in_the_subgraphs_and_the_sdk() -> None:
    code, output = background.run(MYPY, ROOT)
    assert code == 0, output
