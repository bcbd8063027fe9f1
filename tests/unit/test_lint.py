"""ruff and mypy clean is the normal state: the suite fails when either finds something."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_finds_nothing() -> None:
    result = run(str(BIN / "ruff"), "check", "subgraphs", "tests", "bench", "sdk")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing_in_the_subgraphs_and_the_sdk() -> None:
    result = run(str(BIN / "mypy"), "subgraphs", "sdk/ticketflow_sdk")
    assert result.returncode == 0, result.stdout + result.stderr
