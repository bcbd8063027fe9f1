"""The router's modules - its settings, token checks (jose, the JWKS cache), how subgraphs
are reached, error masking, the IDE's examples, frame rewriting of the subscription
pass-through, the check that one subgraph serves a whole subscription, subgraph faults
(deadlines, retries, breakers), operation limits and rate limits - proven by their own
node:test suites (``router/test/*.test.mjs``), run here with the project's Node."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from subgraphs.dev import node_command
from tests import background

ROOT = Path(__file__).resolve().parents[2]
ROUTER = ROOT / "router"
TESTS = sorted((ROUTER / "test").glob("*.test.mjs"))


def suites() -> tuple[str, ...]:
    """The argv that runs every suite with the project's Node."""
    return tuple(node_command("--test", "--test-reporter=tap", *map(str, TESTS)))


def test_the_router_unit_suites_exist() -> None:
    assert {t.name for t in TESTS} >= {
        "access.test.mjs", "errors.test.mjs", "examples.test.mjs", "faults.test.mjs",
        "frames.test.mjs", "limits.test.mjs", "logs.test.mjs", "observability.test.mjs",
        "ownership.test.mjs", "ratelimit.test.mjs", "settings.test.mjs",
        "subscriptions.test.mjs", "tokens.test.mjs", "transport.test.mjs", "trusted.test.mjs",
        "webapp.test.mjs"}


def test_the_router_unit_suites_pass() -> None:
    code, output = background.run(suites(), ROUTER)
    assert code == 0, output
    assert "# fail 0" in output, output


def test_the_router_runs_on_the_node_its_package_pins() -> None:
    """`npm ci` installs the pinned Node (the npm package ``node``); the router, the tests and
    the image's base all run that major, and ``engines`` says so."""
    package = json.loads((ROOT / "router" / "package.json").read_text())
    pinned = package["devDependencies"]["node"]
    version = subprocess.run(node_command("--version"), capture_output=True, text=True,
                             check=True).stdout.strip()
    assert version == f"v{pinned}"
    major = pinned.split(".")[0]
    assert package["engines"]["node"] == f">={pinned} <{int(major) + 1}"
    assert f"FROM node:{major}-slim" in (ROOT / "router" / "Dockerfile").read_text()
