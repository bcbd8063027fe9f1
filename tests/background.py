"""Slow checks that run as programs of their own (mypy, the router's node:test suites),
started in the background as soon as a run knows it will need them, so that they work
while the tests before theirs run. Their output goes to a file, so they never wait for a
reader."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import pytest

_started: dict[tuple[str, ...], tuple[subprocess.Popen[bytes], IO[bytes]]] = {}


def start(argv: tuple[str, ...], cwd: Path) -> None:
    """Start ``argv`` in ``cwd`` unless it already runs."""
    if argv not in _started:
        out = tempfile.NamedTemporaryFile(prefix="tft-check-")  # noqa: SIM115 - closed in run
        _started[argv] = subprocess.Popen(argv, cwd=cwd, stdout=out,
                                          stderr=subprocess.STDOUT), out


def run(argv: tuple[str, ...], cwd: Path) -> tuple[int, str]:
    """The exit code and output of ``argv`` (started now, or earlier by :func:`start`)."""
    start(argv, cwd)
    proc, out = _started.pop(argv)
    with out:
        code = proc.wait()
        out.seek(0)
        return code, out.read().decode(errors="replace")


def start_if_selected(session: pytest.Session, test: str, argv: tuple[str, ...],
                      cwd: Path) -> None:
    """Start ``argv`` when ``test`` (a node id's ending) is among the session's tests.
    Under pytest-xdist every worker collects every test but only one runs ``test``: a
    worker starts the program when that test comes."""
    if selected(session.items, test) and not hasattr(session.config, "workerinput"):
        start(argv, cwd)


def selected(items: Sequence[pytest.Item], test: str) -> bool:
    return any(item.nodeid.endswith(test) for item in items)


def stop_all() -> None:
    """Stop what was started and never waited for (the run ended early or deselected)."""
    for argv in list(_started):
        proc, out = _started.pop(argv)
        proc.kill()
        proc.wait()
        out.close()
