"""The web app (web/): its Vitest suite passes and its build's checks pass - GraphQL Code
Generator types every document of web/src against the supergraph (a field or argument that
does not exist fails it) and tsc checks the whole app - run here with the project's Node, as
`make web` runs them. The two programs start in the background as soon as the run knows it
needs them (tests/unit/conftest.py), like the router's node:test suites."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from subgraphs.dev import _banner, node_command
from subgraphs.kernel.settings import Settings
from tests import background

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
BIN = WEB / "node_modules" / ".bin"
VITEST = WEB / "node_modules" / "vitest" / "vitest.mjs"
CODEGEN = BIN / "graphql-codegen"
TSC = WEB / "node_modules" / "typescript" / "bin" / "tsc"


def suite() -> tuple[str, ...]:
    """The argv that runs the web app's Vitest suite once (web/test) with the project's Node."""
    return tuple(node_command(str(VITEST), "run"))


def checks() -> tuple[str, ...]:
    """The argv of `npm run build`'s checks, codegen then tsc, with the project's Node (Vite's
    bundling, the build's last step, checks nothing more)."""
    node = " ".join(shlex.quote(a) for a in node_command())
    return ("sh", "-c", f"{node} {shlex.quote(str(CODEGEN))} --config codegen.ts && "
                        f"{node} {shlex.quote(str(TSC))} --noEmit")


def _installed() -> None:
    assert VITEST.exists() and CODEGEN.exists(), (
        "web/node_modules is missing or incomplete: run `make install` (npm ci in web/)")


def test_the_web_app_has_a_test_suite() -> None:
    assert sorted(WEB.glob("test/**/*.test.ts")), "web/test/ has no *.test.ts"


def test_the_web_app_suite_passes() -> None:
    _installed()
    code, output = background.run(suite(), WEB)
    output = re.sub(r"\x1b\[[0-9;]*m", "", output)  # Vitest colours its summary
    assert code == 0, output
    assert re.search(r"Tests\s+\d+ passed", output), output
    assert not re.search(r"Tests\s+.*\d+ failed", output), output


def test_the_web_app_type_checks_against_the_supergraph() -> None:
    _installed()
    code, output = background.run(checks(), WEB)
    assert code == 0, output


@pytest.mark.parametrize(("selection", "valid"), [
    ("tickets { id label token issuedAt }", True),
    ("tickets { id qr }", False),
    ("tickets(first: 1) { id }", False),
], ids=["Booking.tickets as the app reads it", "an unknown field", "an unknown argument"])
def test_codegen_refuses_documents_the_supergraph_does_not_serve(
        tmp_path: Path, selection: str, valid: bool) -> None:
    """The check above can fail: the same generator, on one document, against the same
    supergraph."""
    _installed()
    (tmp_path / "tickets.graphql").write_text(
        f"query Tickets {{ me {{ bookings {{ id {selection} }} }} }}\n")
    config = {"schema": str(ROOT / "schema" / "supergraph.graphql"),
              "documents": [str(tmp_path / "tickets.graphql")],
              "generates": {str(tmp_path / "gql") + "/": {"preset": "client"}}}
    (tmp_path / "codegen.json").write_text(json.dumps(config))
    code, output = background.run(
        tuple(node_command(str(CODEGEN), "--config", str(tmp_path / "codegen.json"))), WEB)
    assert (code == 0) is valid, output
    assert (tmp_path / "gql" / "graphql.ts").exists() is valid


def test_the_dev_banner_names_the_web_app_first() -> None:
    settings = Settings(router_port=4123)
    urls = [line.strip() for line in _banner(settings, None).splitlines() if "http" in line]
    assert urls[0] == "Web app:   http://localhost:4123/"
    assert urls[1] == "GraphiQL:  http://localhost:4123/graphql"
