"""The router's pure parts - frame rewriting of the subscription pass-through, the check
that one subgraph serves a whole subscription, error masking and subgraph faults (deadlines,
retries, breakers) - proven by their own node:test suites."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = sorted((ROOT / "router" / "test").glob("*.test.mjs"))


def test_the_router_unit_suites_exist() -> None:
    assert {t.name for t in TESTS} >= {"errors.test.mjs", "faults.test.mjs", "frames.test.mjs",
                                      "ownership.test.mjs"}


def test_the_router_unit_suites_pass() -> None:
    node = shutil.which("node")
    assert node, "node (20 or later) is needed to run the router"
    run = subprocess.run([node, "--test", *map(str, TESTS)], cwd=ROOT / "router",
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "# fail 0" in run.stdout, run.stdout
