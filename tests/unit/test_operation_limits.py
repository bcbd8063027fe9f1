"""The router's default operation limits leave room for every operation TicketFlow itself
sends through it: each SDK document, each GraphiQL example and GraphiQL's own introspection
query stays within three quarters of every limit, as the router's own code counts
(``router/lib/limits.mjs``, GraphQL Armor's rules). A limit lowered too far, or an SDK
operation grown too deep, fails here instead of in a user's program."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from graphql import get_introspection_query
from ticketflow_sdk import operations

from subgraphs.dev import node_command
from tests.unit.test_ide_examples import examples

ROOT = Path(__file__).resolve().parents[2]
MARGIN = 0.75
MEASURE = """
import { readFileSync } from 'node:fs';
import { buildSchema } from 'graphql';
import { DEFAULTS, OperationLimits } from './lib/limits.mjs';
const { schema, documents } = JSON.parse(readFileSync(0, 'utf8'));
const defaults = Object.fromEntries(Object.entries(DEFAULTS).map(([limit, [, n]]) => [limit, n]));
const limits = new OperationLimits({ limits: defaults });
const api = buildSchema(readFileSync(schema, 'utf8'));
const found = Object.fromEntries(
  Object.entries(documents).map(([name, text]) => [name, limits.measure(api, text)]));
process.stdout.write(JSON.stringify({ defaults, found }));
"""


def documents() -> dict[str, str]:
    found = {f"sdk {name}": text for name, text in operations.ALL.items()}
    found.update({f"GraphiQL example {i}": text for i, text in enumerate(examples(), 1)})
    found["GraphiQL introspection"] = get_introspection_query(
        descriptions=True, specified_by_url=True, directive_is_repeatable=True,
        schema_description=True, input_value_deprecation=True)
    return found


@pytest.fixture(scope="module")
def measured() -> dict[str, Any]:
    run = subprocess.run(
        node_command("--input-type=module", "-e", MEASURE), cwd=ROOT / "router",
        input=json.dumps({"schema": str(ROOT / "schema" / "supergraph.graphql"),
                          "documents": documents()}),
        capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)  # type: ignore[no-any-return]


def test_every_operation_of_ours_is_measured(measured: dict[str, Any]) -> None:
    assert len(measured["found"]) == len(documents()) > 30
    assert set(measured["defaults"]) == {"bytes", "tokens", "depth", "aliases", "directives",
                                         "cost"}
    # the seat map of a 50,000-seat show is one small document whatever the show's size
    assert measured["found"]["sdk SEAT_MAP"]["depth"] == 3


@pytest.mark.parametrize("limit", ["bytes", "tokens", "depth", "aliases", "directives", "cost"])
def test_the_default_limit_leaves_a_margin_over_our_largest_operation(
        limit: str, measured: dict[str, Any]) -> None:
    allowed = measured["defaults"][limit] * MARGIN
    over = {name: m[limit] for name, m in measured["found"].items() if m[limit] > allowed}
    assert not over, (limit, measured["defaults"][limit], over)
