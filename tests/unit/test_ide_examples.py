"""The operations the router's IDE offers ("TicketFlow: getting started") are valid against
the supergraph: a renamed field breaks this test, not a new user's first try."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import build_schema, parse, validate

ROOT = Path(__file__).resolve().parents[2]


def examples() -> list[str]:
    config = (ROOT / "router" / "lib" / "examples.mjs").read_text()
    return re.findall(r"query: `(.*?)`", config, flags=re.S)


def test_every_ide_example_validates_against_the_supergraph() -> None:
    schema = build_schema((ROOT / "schema" / "supergraph.graphql").read_text(),
                          assume_valid=True)
    found = examples()
    assert len(found) >= 5
    names = " ".join(found)
    for field in ("login", "holdSeats", "checkout", "startPayment", "confirmPayment",
                  "seatAvailability"):
        assert f"{field}(" in names, field
    for document in found:
        errors = validate(schema, parse(document))
        assert not errors, (document, errors)
