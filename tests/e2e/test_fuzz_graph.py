"""Property-based fuzzing of the whole graph through the router, in both modes.

hypothesis-graphql writes queries and mutations from the schema the router shows clients
(its introspection), with argument values inline: any root field, any selection, any
argument value its type allows, and documents with one schema violation. Each goes to the
real router as an anonymous caller, a customer and an organizer. Whatever the document,
the answer must be a clear one: HTTP status below 500, no ``INTERNAL`` error, and no stack
trace or SQL text anywhere in the body.

The fuzz's ids are drawn both at random and from real objects (a show on sale, its venue
and seats, a hold, a booking and its payment, the callers themselves), so documents reach
past "not found" into the resolvers. Fields that end the caller's session (logout,
logoutEverywhere, changePassword, setUserRole) are left out, and subscriptions are not
generated.

``make test`` runs 60 examples per caller and mode with a fixed seed; ``make fuzz`` runs many
with a random seed it prints: ``TICKETFLOW_FUZZ_SEED`` and ``TICKETFLOW_FUZZ_EXAMPLES``
repeat a run.
"""

from __future__ import annotations

import json
import os
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any, TypeVar

import graphql
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema

from tests.flows import User, new_user, seat_ids, show_on_sale
from tests.harness import GraphQL, Processes, Stack, eventually, http
from tests.payments import pending_booking, start

FUZZ_SEED = os.environ.get("TICKETFLOW_FUZZ_SEED")
CALLERS = ("anonymous", "customer", "organizer")
# Per caller and mode (drawn: 3 x EXAMPLES a mode); about 20 s a mode on two busy cores.
EXAMPLES = int(os.environ.get("TICKETFLOW_FUZZ_EXAMPLES") or 60)

# Fields that end the caller's session (or another user's): the fuzz would sign itself out.
SESSION_ENDING = frozenset({"logout", "logoutEverywhere", "changePassword", "setUserRole"})
# What a response may never hold: a Python or Node stack trace, SQL, a driver's name.
LEAKS = ("Traceback", 'File "', '.py", line', "    at ", "SELECT ", "INSERT INTO",
         "UPDATE ", "DELETE FROM", "sqlalchemy", "asyncpg", "psycopg", "sqlite3")
UNEXPECTED = frozenset({"INTERNAL", "INTERNAL_SERVER_ERROR", "DOWNSTREAM_SERVICE_ERROR"})

T = TypeVar("T")


@dataclass
class Fuzz:
    """What the fuzz needs of one mode's deployment: the router, the callers, real ids."""

    router: str
    tokens: dict[str, str | None]
    strategy: st.SearchStrategy[str]

    def __repr__(self) -> str:  # a failing example prints its arguments: not the tokens
        return f"Fuzz({self.router})"


async def introspected(router: str) -> graphql.GraphQLSchema:
    """The schema the router shows clients."""
    response = await http().post(router, json={"query": graphql.get_introspection_query()})
    assert response.status_code == 200, response.text
    return graphql.build_client_schema(response.json()["data"])


def _literal(value: Any) -> graphql.ValueNode:
    if value is None:
        return graphql.NullValueNode()
    if isinstance(value, bool):
        return graphql.BooleanValueNode(value=value)
    if isinstance(value, int):
        return graphql.IntValueNode(value=str(value))
    if isinstance(value, float):
        return graphql.FloatValueNode(value=repr(value))
    if isinstance(value, str):
        return graphql.StringValueNode(value=value)
    if isinstance(value, list):
        return graphql.ListValueNode(values=tuple(_literal(v) for v in value))
    return graphql.ObjectValueNode(fields=tuple(
        graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=_literal(v))
        for k, v in value.items()))


def literals(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[graphql.ValueNode]:
    return strategy.map(_literal)


def _json_values() -> st.SearchStrategy[Any]:
    scalars = (st.none() | st.booleans() | st.integers(-(2**53), 2**53)
               | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                        max_leaves=12)


def _seat_maps(ids: list[str]) -> st.SearchStrategy[Any]:
    """Documents shaped like seat maps (docs/seatmap-format.md), with anything inside."""
    anything = _json_values()
    seat = st.fixed_dictionaries({}, optional={
        "label": st.text(max_size=6) | anything, "row": st.text(max_size=3) | anything,
        "x": st.integers(-10, 10_000) | anything, "y": st.integers(-10, 10_000) | anything,
        "category": st.sampled_from(["STANDARD", "VIP", ""]) | anything,
        "accessible": st.booleans() | anything, "blocked": st.booleans() | anything})
    section = st.fixed_dictionaries({}, optional={
        "id": st.sampled_from(ids) | st.text(max_size=8), "name": st.text(max_size=8),
        "kind": st.sampled_from(["SEATED", "STANDING", "GENERAL_ADMISSION"]) | anything,
        "capacity": st.integers(-5, 100_000) | anything,
        "category": st.text(max_size=8) | anything,
        "seats": st.lists(seat, max_size=4) | anything})
    return st.fixed_dictionaries({}, optional={
        "version": st.integers(-1, 3) | anything, "name": st.text(max_size=8) | anything,
        "sections": st.lists(section, max_size=3) | anything,
        "categories": st.lists(st.text(max_size=8), max_size=3) | anything})


def scalar_strategies(ids: list[str]) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Values for the schema's custom scalars, and ids that name real objects half the time."""
    moments = st.datetimes(timezones=st.none() | st.just(UTC) | st.timezones()).map(
        lambda d: d.isoformat())
    id_text = (st.uuids().map(str) | st.text(max_size=40)
               | st.text(string.hexdigits + "-", min_size=30, max_size=40))
    return {
        "ID": literals(st.sampled_from(ids) | id_text) | literals(st.integers(-(2**31),
                                                                              2**31 - 1)),
        "DateTime": literals(moments | st.text(max_size=30) | st.sampled_from(
            ["2030-01-01T19:00:00", "2030-02-30T00:00:00Z", "0001-01-01T00:00:00+00:00",
             "9999-12-31T23:59:59-14:00", "2030-01-01", "now"]))
        | literals(st.integers(-(2**31), 2**31 - 1)),
        "JSON": literals(_json_values() | _seat_maps(ids)),
        "Date": literals(st.dates().map(lambda d: d.isoformat()) | st.text(max_size=12)
                         | st.sampled_from(["2030-02-30", "2030-13-01", "today", ""])),
        "LocalTime": literals(st.times().map(lambda t: t.strftime("%H:%M")) | st.text(max_size=8)
                              | st.sampled_from(["24:00", "7:5", "12:60", "02:30"])),
    }


def documents(schema: graphql.GraphQLSchema, ids: list[str]) -> st.SearchStrategy[str]:
    """Valid queries and mutations, and now and then one with a schema violation."""
    assert schema.query_type and schema.mutation_type
    fields = [name for root in (schema.query_type, schema.mutation_type)
              for name in root.fields
              if name not in SESSION_ENDING and not name.startswith("_")]
    scalars = scalar_strategies(ids)
    valid = from_schema(schema, fields=fields, custom_scalars=scalars)
    broken = from_schema(schema, fields=fields, custom_scalars=scalars, mode=Mode.NEGATIVE)
    return st.one_of(valid, valid, valid, broken)


async def real_ids(router: GraphQL, customer: User, organizer: User) -> list[str]:
    """Ids of objects the fuzz's callers own or may see."""
    show = await show_on_sale(router, router, organizer, via_router=True)
    held = await router.data("""mutation($show: ID!, $seats: [ID!]!) {
      holdSeats(showId: $show, seatIds: $seats) { ... on SeatHold { id } } }""",
                             {"show": show.id, "seats": seat_ids(show, 0)}, customer.token)
    booking = await pending_booking(router, customer, show.id, seat_ids(show, 1))
    payment = await eventually(lambda: start(router, customer, booking["id"]))
    return [show.id, show.venue_id, *seat_ids(show, 0, 1, 2, 9), held["holdSeats"]["id"],
            booking["id"], payment["id"], customer.id, organizer.id]


@pytest.fixture(scope="module")
async def fuzz(e2e: tuple[Stack, Processes]) -> Fuzz:
    stack, _ = e2e
    router = GraphQL(stack.router_url)
    # Callers of the fuzz's own: what it changes (preferences, holds) is nobody else's.
    customer = await new_user(stack, stack.router_url)
    organizer = await new_user(stack, stack.router_url, "ORGANIZER")
    ids = await real_ids(router, customer, organizer)
    schema = await introspected(stack.router_url)
    return Fuzz(stack.router_url,
                {"anonymous": None, "customer": customer.token, "organizer": organizer.token},
                documents(schema, ids))


def leaks(body: str, document: str) -> list[str]:
    """The forbidden texts in a response body, but not those the document itself sent (a
    message may quote the client's own input)."""
    return [text for text in LEAKS
            if (text in body or json.dumps(text)[1:-1] in body)
            and text not in document and json.dumps(text)[1:-1] not in document]


def problems(status: int, body_text: str, document: str) -> list[str]:
    """What is wrong with one answer to ``document``: nothing, for a clear answer."""
    found = [f"HTTP {status}"] if status >= 500 else []
    try:
        body = json.loads(body_text)
    except ValueError:
        body = {}
    errors = body.get("errors") if isinstance(body, dict) else None
    for error in errors or []:
        code = (error.get("extensions") or {}).get("code")
        if code in UNEXPECTED or code is None:
            found.append(f"error {code}: {error.get('message')!r} at {error.get('path')}")
    found += [f"leaks {text!r}" for text in leaks(body_text, document)]
    return found


def fuzz_settings(test: Callable[..., T]) -> Callable[..., T]:
    """``make test``: a fixed seed, few examples; ``make fuzz``: its seed and examples."""
    configured = settings(max_examples=EXAMPLES * len(CALLERS), deadline=None, database=None,
                          derandomize=FUZZ_SEED is None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.data_too_large,
                                                 HealthCheck.filter_too_much])(test)
    return seed(int(FUZZ_SEED))(configured) if FUZZ_SEED is not None else configured


@fuzz_settings
@given(data=st.data())
async def test_every_answer_is_a_clear_one(fuzz: Fuzz, data: st.DataObject) -> None:
    # One test draws the caller too: each caller gets documents of its own (parametrized,
    # the three would share one seed and so one list of documents).
    caller = data.draw(st.sampled_from(CALLERS), label="caller")
    document = data.draw(fuzz.strategy, label="document")
    response = await GraphQL(fuzz.router).post(document, token=fuzz.tokens[caller])
    assert not problems(response.status_code, response.text, document), (
        caller, document, response.status_code, response.text[:2000])


def test_the_checks_catch_what_they_look_for() -> None:
    """The fuzz's own checks fail on what they must catch."""
    internal = json.dumps({"errors": [{"message": "Unexpected error.",
                                       "extensions": {"code": "INTERNAL"}}]})
    trace = json.dumps({"errors": [{"message": 'Traceback: File "x.py", line 3',
                                    "extensions": {"code": "BAD_USER_INPUT"}}]})
    sql = json.dumps({"data": {"x": "(sqlite3.IntegrityError) INSERT INTO t"}})
    assert problems(200, internal, "{ me { id } }")
    assert problems(502, "Bad gateway", "{ me { id } }") == ["HTTP 502"]
    assert problems(200, trace, "{ me { id } }")
    assert problems(200, sql, "{ me { id } }")
    # The caller's own text, quoted back, is not a leak.
    assert not problems(200, json.dumps({"errors": [{
        "message": 'Unknown "SELECT x"', "extensions": {"code": "BAD_USER_INPUT"}}]}),
        'mutation { login(input: {email: "SELECT x", password: ""}) { accessToken } }')
    assert not problems(200, json.dumps({"data": {"me": None}}), "{ me { id } }")
