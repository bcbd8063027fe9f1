"""GraphQL over HTTP compliance: graphql-http's server audits (npm ``graphql-http``, the
reference implementation of the GraphQL-over-HTTP spec; ``router/scripts/audit.mjs``) against
the router and every subgraph of the session's deployment, both modes. Every MUST passes
everywhere; the SHOULDs that fail are exactly those docs/api-edge.md lists, with its reasons
("GraphQL over HTTP compliance") - a new failure, or a fixed one still listed, fails here."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest

from subgraphs.dev import node_command
from subgraphs.kernel.settings import SERVICES
from tests.harness import ROOT, Processes, Stack

DOCUMENTED = re.compile(r"^\| `([0-9A-F]{4})` SHOULD [^|]+\| (router|subgraphs) \|", re.M)


def documented_failures() -> dict[str, set[str]]:
    """The SHOULD audits docs/api-edge.md says fail, by target ("router", "subgraphs")."""
    found: dict[str, set[str]] = {"router": set(), "subgraphs": set()}
    for audit, target in DOCUMENTED.findall((ROOT / "docs" / "api-edge.md").read_text()):
        found[target].add(audit)
    return found


@pytest.fixture(scope="module")
def audits(e2e: tuple[Stack, Processes]) -> dict[str, list[dict[str, Any]]]:
    """Per target (the router, each subgraph): every audit's result."""
    stack, _ = e2e
    urls = {"router": stack.router_url, **{name: stack.url(name) for name in SERVICES}}
    run = subprocess.run(node_command(str(ROOT / "router" / "scripts" / "audit.mjs"),
                                      *urls.values()),
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)
    return {target: results[url] for target, url in urls.items()}


def test_every_must_passes_on_the_router_and_every_subgraph(
        audits: dict[str, list[dict[str, Any]]]) -> None:
    for target, results in audits.items():
        musts = [r for r in results if r["name"].startswith("MUST")]
        assert len(musts) > 10, (target, len(musts))  # the audits did run
        failed = [(r["id"], r["name"], r["reason"]) for r in musts if r["status"] != "ok"]
        assert failed == [], (target, failed)
        assert not [r for r in results if r["status"] == "error"], target


def test_the_shoulds_that_fail_are_the_documented_ones(
        audits: dict[str, list[dict[str, Any]]]) -> None:
    documented = documented_failures()
    assert documented["subgraphs"], "docs/api-edge.md lists no audit"
    for target, results in audits.items():
        shoulds = [r for r in results if r["name"].startswith("SHOULD")]
        assert len(shoulds) > 5, (target, len(shoulds))
        failing = {r["id"] for r in shoulds if r["status"] != "ok"}
        expected = documented["router" if target == "router" else "subgraphs"]
        assert failing == expected, (target, sorted(failing), sorted(expected), [
            (r["id"], r["name"], r["reason"]) for r in shoulds if r["id"] in failing ^ expected])
