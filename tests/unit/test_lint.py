"""ruff and mypy clean is the normal state: the suite fails when either finds something."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RUFF = (str(BIN / "ruff"), "check", "subgraphs", "tests", "bench", "sdk")
MYPY = (str(BIN / "mypy"), "subgraphs", "sdk/ticketflow_sdk")

_started: dict[tuple[str, ...], tuple[subprocess.Popen[bytes], IO[bytes]]] = {}


def start(argv: tuple[str, ...]) -> None:
    """Start ``argv`` in the background unless it already runs (its output goes to a file,
    so it never waits for a reader)."""
    if argv not in _started:
        out = tempfile.NamedTemporaryFile(prefix="tft-lint-")  # noqa: SIM115 - closed in run
        _started[argv] = subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT), out


def run(argv: tuple[str, ...]) -> tuple[int, str]:
    """The exit code and output of ``argv`` (started now, or earlier by :func:`start`)."""
    start(argv)
    proc, out = _started.pop(argv)
    with out:
        code = proc.wait()
        out.seek(0)
        return code, out.read().decode(errors="replace")


def stop_all() -> None:
    """Stop what was started and never waited for (the run ended early or deselected)."""
    for argv in list(_started):
        proc, out = _started.pop(argv)
        proc.kill()
        proc.wait()
        out.close()


def runs_mypy(items: list[pytest.Item]) -> bool:
    """Whether these tests include the mypy test."""
    return any(item.nodeid.endswith("::test_mypy_finds_nothing_in_the_subgraphs_and_the_sdk")
               for item in items)


def test_ruff_finds_nothing() -> None:
    code, output = run(RUFF)
    assert code == 0, output


def test_mypy_finds_nothing_in_the_subgraphs_and_the_sdk() -> None:
    code, output = run(MYPY)
    assert code == 0, output
