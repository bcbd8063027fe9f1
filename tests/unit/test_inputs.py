"""The kernel's input rule for strings, and the per-document plans that apply it."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import pytest
import strawberry
from graphql import parse

from subgraphs.kernel.graphql import build_schema
from subgraphs.kernel.inputs import (
    MAX_FREE_TEXT,
    MAX_TEXT,
    PLAIN,
    TextRule,
    could_be_id,
    plan_operation,
    text_problem,
    text_rule,
)
from subgraphs.registry import spec

FREE = TextRule(MAX_FREE_TEXT, free_text=True)

# --- the rule ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "Hamlet", "Café Müller ☕", "a b", "x" * MAX_TEXT,
                                   "\u00a0non-breaking\u200dzero-width joiner"])
def test_printable_text_up_to_the_limit_passes(value: str) -> None:
    assert text_problem(value) is None


@pytest.mark.parametrize("value", ["a\x00b", "\x01", "tab\there", "new\nline", "cr\r",
                                   "del\x7f", "c1\x85", "c1\x9f", "\x1b[31m", "\ud800",
                                   "lone\udfff"])
def test_control_characters_and_lone_surrogates_are_refused(value: str) -> None:
    assert text_problem(value) == "Control characters are not allowed."


def test_one_character_over_the_limit_is_refused() -> None:
    assert text_problem("x" * (MAX_TEXT + 1)) == f"At most {MAX_TEXT} characters."


@pytest.mark.parametrize("value", ["line one\nline two", "a\tb", "windows\r\n"])
def test_free_text_allows_tab_and_newlines(value: str) -> None:
    assert text_problem(value, FREE) is None


@pytest.mark.parametrize("value", ["a\x00b", "\x0b", "\x0c", "\x7f", "\ud800"])
def test_free_text_still_refuses_other_control_characters(value: str) -> None:
    assert text_problem(value, FREE) == "Control characters other than tab and newline " \
                                        "are not allowed."


def test_free_text_has_its_own_larger_limit() -> None:
    assert text_problem("x" * MAX_FREE_TEXT, FREE) is None
    assert text_problem("x" * (MAX_FREE_TEXT + 1), FREE) is not None


def test_text_rule_declares_a_limit_and_free_text() -> None:
    assert next(iter(text_rule(320).values())) == TextRule(320, False)
    assert next(iter(text_rule(free_text=True).values())) == FREE
    assert next(iter(text_rule().values())) == PLAIN


def test_could_be_id_takes_only_our_ids() -> None:
    ours = str(uuid.uuid4())
    assert could_be_id(ours)
    assert not could_be_id(ours.upper())
    assert not could_be_id(ours + "0")
    assert not could_be_id("not-an-id")
    assert not could_be_id(ours[:-1] + "g")


# --- plans of real subgraph schemas -----------------------------------------------------

VENUE = spec("venue").schema._schema
BOOKING = spec("booking").schema._schema
AUTH = spec("auth").schema._schema


def refused(schema: Any, query: str, variables: dict[str, Any] | None = None,
            operation: str | None = None) -> str | None:
    """The field the plan names for this request, or None when it passes."""
    error = plan_operation(schema, parse(query), operation).error(variables)
    return None if error is None else str(error.extensions()["field"])


CREATE_VENUE = "mutation($i: CreateVenueInput!, $k: String) { createVenue(input: $i, " \
               "idempotencyKey: $k) { id } }"


def test_a_variable_nested_in_an_input_list_is_named_by_its_path() -> None:
    rows = [{"label": "A", "seats": 5}, {"label": "B\x00", "seats": 5}]
    assert refused(VENUE, CREATE_VENUE, {"i": {"name": "Roxy", "rows": rows}}) \
        == "input.rows[1].label"


def test_a_clean_request_passes() -> None:
    rows = [{"label": "A", "seats": 5, "category": "PREMIUM"}]
    assert refused(VENUE, CREATE_VENUE, {"i": {"name": "Roxy", "rows": rows}, "k": "k-1"}) \
        is None


def test_a_top_level_argument_is_named_by_itself() -> None:
    assert refused(VENUE, CREATE_VENUE, {"i": {"name": "Roxy"}, "k": "k" * 257}) \
        == "idempotencyKey"


def test_a_literal_is_checked_where_it_stands() -> None:
    assert refused(VENUE, 'query { show(id: "a\\u0000b") { id } }') == "id"
    assert refused(VENUE, 'mutation { createVenue(input: {name: "Roxy", rows: [{label: "A", '
                          'seats: 1}, {label: "B\\t", seats: 1}]}) { id } }') \
        == "input.rows[1].label"


def test_a_variable_inside_a_literal_list_gets_its_index() -> None:
    query = "mutation($s: ID!, $a: ID!, $b: ID!) { holdSeats(showId: $s, seatIds: [$a, $b]) " \
            "{ __typename } }"
    ok = str(uuid.uuid4())
    assert refused(BOOKING, query, {"s": ok, "a": ok, "b": "x\x00"}) == "seatIds[1]"


def test_a_list_variable_names_the_element() -> None:
    query = "mutation($s: ID!, $seats: [ID!]!) { holdSeats(showId: $s, seatIds: $seats) " \
            "{ __typename } }"
    assert refused(BOOKING, query, {"s": "s", "seats": ["a", "b", "c\n"]}) == "seatIds[2]"


def test_strings_inside_entity_representations_are_checked() -> None:
    query = "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }"
    reps = [{"__typename": "Show", "id": "ok"}, {"__typename": "Show", "id": "a\x00"}]
    assert refused(BOOKING, query, {"r": reps}) == "representations[1].id"
    assert refused(BOOKING, query, {"r": [{"__typename": "Show", "i\x00d": "x"}]}) \
        == "representations[0].i\x00d"


def test_strings_inside_a_json_seat_map_are_checked() -> None:
    query = "mutation($v: ID!, $m: JSON!) { createHall(venueId: $v, seatMap: $m) { id } }"
    seat_map = {"format": "x", "sections": [{"key": "a", "rows": [{"label": "A\x00"}]}]}
    assert refused(VENUE, query, {"v": "v", "m": seat_map}) == "seatMap.sections[0].rows[0].label"
    assert refused(VENUE, 'mutation { createHall(venueId: "v", seatMap: {name: "a\\u0000"}) '
                          '{ id } }') == "seatMap.name"


def test_fragments_the_operation_uses_are_checked() -> None:
    query = """query { ...F } fragment F on Query { ...G }
               fragment G on Query { show(id: "\\u0007") { id } }"""
    assert refused(VENUE, query) == "id"


def test_only_the_operation_that_runs_is_checked() -> None:
    query = 'query Bad { show(id: "\\u0000") { id } } query Good { show(id: "x") { id } }'
    assert refused(VENUE, query, operation="Good") is None
    assert refused(VENUE, query, operation="Bad") == "id"


def test_a_variable_default_is_checked() -> None:
    assert refused(VENUE, 'query($id: ID! = "\\u0000") { show(id: $id) { id } }') == "id"


def test_other_scalars_and_numbers_are_left_to_their_own_parsing() -> None:
    query = "query($f: ShowFilter) { shows(filter: $f) { nodes { id } } }"
    assert refused(VENUE, query, {"f": {"from": "2030\x00", "text": "ok"}}) is None
    assert refused(VENUE, query, {"f": {"text": "o\x00k"}}) == "filter.text"


def test_declared_limits_of_auth_fields_apply() -> None:
    query = "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }"
    long_email = "a" * 300 + "@example.com"
    assert refused(AUTH, query, {"i": {"email": long_email, "password": "p" * 1000,
                                       "name": "Ann"}}) is None
    assert refused(AUTH, query, {"i": {"email": "a@b.c", "password": "p" * 1025,
                                       "name": "Ann"}}) == "input.password"
    assert refused(AUTH, query, {"i": {"email": "a@b.c", "password": "p" * 20,
                                       "name": "n" * 257}}) == "input.name"


def test_values_of_the_wrong_shape_are_left_to_coercion() -> None:
    assert refused(VENUE, CREATE_VENUE, {"i": "not an object"}) is None
    assert refused(VENUE, CREATE_VENUE, {"i": {"name": 5, "rows": {"label": "A\x00"}}}) \
        == "input.rows.label"  # a single value stands for a list of one


# --- the kernel's schemas apply it before any resolver --------------------------------


@strawberry.type
class _Query:
    @strawberry.field
    def echo(self, text: str, note: Annotated[str | None, strawberry.argument(
            metadata=text_rule(free_text=True))] = None) -> str:
        _RESOLVED.append(text)
        return text + (note or "")


_RESOLVED: list[str] = []


async def test_a_schema_from_build_schema_refuses_before_resolving() -> None:
    schema = build_schema(_Query)
    _RESOLVED.clear()
    query = "query($t: String!, $n: String) { echo(text: $t, note: $n) }"
    result = await schema.execute(query, {"t": "a\x00b"})
    assert result.data is None and result.errors is not None
    assert result.errors[0].extensions == {"code": "BAD_USER_INPUT", "field": "text"}
    assert _RESOLVED == []
    ok = await schema.execute(query, {"t": "ab", "n": "free\ttext\n"})
    assert ok.errors is None and ok.data == {"echo": "abfree\ttext\n"}
    assert _RESOLVED == ["ab"]
    tab = await schema.execute(query, {"t": "a\tb"})
    assert tab.errors is not None and tab.errors[0].extensions == {
        "code": "BAD_USER_INPUT", "field": "text"}


async def test_the_plan_is_made_once_per_document(monkeypatch: pytest.MonkeyPatch) -> None:
    from subgraphs.kernel import graphql as kernel_graphql

    made: list[str | None] = []

    def counting(schema: Any, document: Any, name: str | None) -> Any:
        made.append(name)
        return plan_operation(schema, document, name)

    monkeypatch.setattr(kernel_graphql, "plan_operation", counting)
    schema = build_schema(_Query)
    query = "query Echo($t: String!) { echo(text: $t) }"
    for text in ("a", "b", "c\x00"):
        await schema.execute(query, {"t": text}, operation_name="Echo")
    assert made == ["Echo"]
