"""Every GraphQL document the Python SDK sends is valid against the supergraph: a schema
change that breaks the SDK fails here, not in a user's program."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    FieldNode,
    GraphQLSchema,
    OperationDefinitionNode,
    Visitor,
    build_schema,
    get_named_type,
    is_union_type,
    parse,
    validate,
    visit,
)
from ticketflow_sdk import operations

ROOT = Path(__file__).resolve().parents[2]


class FieldNames(Visitor):
    """The name of every field a document selects (aliases aside)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_field(self, node: FieldNode, *_: object) -> None:
        self.names.add(node.name.value)


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema((ROOT / "schema" / "supergraph.graphql").read_text(), assume_valid=True)


@pytest.mark.parametrize("name", sorted(operations.ALL))
def test_the_operation_validates_against_the_supergraph(name: str, schema: GraphQLSchema) -> None:
    errors = validate(schema, parse(operations.ALL[name]))
    assert not errors, (name, [e.message for e in errors])


def test_each_document_is_one_named_operation_with_a_name_of_its_own() -> None:
    names = []
    for document in operations.ALL.values():
        defined = [d for d in parse(document).definitions
                   if isinstance(d, OperationDefinitionNode)]
        assert len(defined) == 1 and defined[0].name is not None, document
        names.append(defined[0].name.value)
    assert len(names) == len(set(names))


def test_the_sdk_covers_the_customer_journey_and_the_organizers() -> None:
    sent = FieldNames()
    for document in operations.ALL.values():
        visit(parse(document), sent)
    for field in ("register", "login", "refresh", "logout", "shows", "show", "seatMap",
                  "seatStates", "availability", "holdSeats", "holdBestAvailable",
                  "holdGeneralAdmission", "extendHold", "releaseHold", "checkout",
                  "cancelBooking", "booking", "startPayment", "confirmPayment",
                  "refundPayment", "createVenue", "createHall", "createShow", "publishShow",
                  "cancelShow", "seatAvailability"):
        assert field in sent.names, field


def test_every_union_result_asks_for_its_typename(schema: GraphQLSchema) -> None:
    # The SDK tells a typed outcome (SoldOut, HoldExpired...) from success by __typename.
    mutation = schema.mutation_type
    assert mutation is not None
    unions = {name for name, field in mutation.fields.items()
              if is_union_type(get_named_type(field.type))}
    for document in operations.ALL.values():
        for name in unions:
            if f"{name}(" in document:
                selection = document.split(f"{name}(", 1)[1]
                assert "__typename" in selection.split("...", 1)[0], (name, document)
