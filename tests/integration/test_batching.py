"""Entity references are batch-loaded: twenty representations cost what one costs.

Statements are counted with a SQLAlchemy ``before_cursor_execute`` listener on every
engine of the process (the writer and, on SQLite, the separate reader engine) and kept
only when they ran on behalf of the request being measured, which is recognised by its
``x-request-id``: the relay and the sweeper poll the same databases meanwhile.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from subgraphs.kernel.logs import request_id
from tests.flows import CHECKOUT, CREATE_SHOW, CREATE_VENUE, HOLD, PUBLISH_SHOW, Actors, User
from tests.harness import GraphQL, Stack, eventually

SHOW_AVAILABILITY = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Show { id availability { total available } } } }"""
BOOKING_PAYMENT = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Booking { id payment { status } } } }"""
USER_BOOKINGS = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on User { id bookings { id status total { amount } lines { label } } } } }"""
BOOKING_BY_KEY = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Booking { id status lines { label } } } }"""
MANY = 20


@contextmanager
def statements_of(rid: str) -> Iterator[list[str]]:
    """SQL statements run while serving the request with id ``rid``, on any engine."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if request_id.get() == rid:
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def statements(stack: Stack, service: str, query: str, representations: list[dict[str, str]],
                     token: str) -> int:
    """How many SQL statements one ``_entities`` request costs (it must succeed)."""
    rid = f"batching-{uuid.uuid4().hex}"
    client = GraphQL(stack.url(service), headers={"x-request-id": rid})
    with statements_of(rid) as seen:
        body = await client.run(query, {"r": representations}, token)
    assert "errors" not in body, body
    assert len(body["data"]["_entities"]) == len(representations)
    assert all(body["data"]["_entities"]), body
    return len(seen)


async def shows(stack: Stack, organizer: User, n: int) -> list[str]:
    """``n`` shows on sale in one small venue, with their inventory built."""
    venue = stack.client("venue")
    v = await venue.data(CREATE_VENUE, {"i": {"name": "Batch Hall", "timeZone": "UTC", "rows": [
        {"label": "A", "seats": n}]}}, organizer.token)
    ids = []
    for i in range(n):
        s = await venue.data(CREATE_SHOW, {"i": {
            "venueId": v["createVenue"]["id"], "title": f"Batch {i}",
            "startsAt": f"2031-01-{i + 1:02d}T19:00:00+00:00",
            "price": {"amount": 500, "currency": "EUR"}}}, organizer.token)
        ids.append(s["createShow"]["id"])
        await venue.data(PUBLISH_SHOW, {"id": ids[-1]}, organizer.token)

    async def inventory_ready() -> bool:
        body = await stack.client("booking").run(
            SHOW_AVAILABILITY, {"r": [{"__typename": "Show", "id": i} for i in ids]})
        return all(e and e["availability"] for e in body["data"]["_entities"])

    await eventually(inventory_ready)
    return ids


@pytest.fixture(scope="module")
async def show_ids(stack: Stack, actors: Actors) -> list[str]:
    return await shows(stack, actors.organizer, MANY)


@pytest.fixture(scope="module")
async def booking_ids(stack: Stack, actors: Actors, show_ids: list[str]) -> list[str]:
    """``MANY`` bookings of the customer, one seat each, with their payments created."""
    booking, payment = stack.client("booking"), stack.client("payment")
    token = actors.customer.token
    seat = (await stack.client("venue").data(
        "query($id: ID!) { show(id: $id) { venue { seats { id } } } }",
        {"id": show_ids[0]}))["show"]["venue"]["seats"][0]["id"]
    ids = []
    for show_id in show_ids:
        hold = await booking.data(HOLD, {"show": show_id, "seats": [seat]}, token)
        done = await booking.data(CHECKOUT, {"hold": hold["holdSeats"]["id"],
                                             "key": uuid.uuid4().hex}, token)
        ids.append(done["checkout"]["id"])

    async def payments_exist() -> bool:
        body = await payment.run(BOOKING_PAYMENT, {"r": [{"__typename": "Booking", "id": i}
                                                         for i in ids]}, token)
        return all(e["payment"] for e in body["data"]["_entities"])

    await eventually(payments_exist)
    return ids


def refs(typename: str, ids: list[str]) -> list[dict[str, str]]:
    return [{"__typename": typename, "id": i} for i in ids]


@pytest.mark.parametrize(("service", "query", "typename", "ids"), [
    ("booking", SHOW_AVAILABILITY, "Show", "show_ids"),
    ("payment", BOOKING_PAYMENT, "Booking", "booking_ids"),
    ("booking", BOOKING_BY_KEY, "Booking", "booking_ids"),
], ids=["show-availability", "booking-payment", "booking-by-key"])
async def test_entity_references_are_batch_loaded(
        stack: Stack, actors: Actors, show_ids: list[str], booking_ids: list[str],
        service: str, query: str, typename: str, ids: str) -> None:
    keys = {"show_ids": show_ids, "booking_ids": booking_ids}[ids]
    token = actors.customer.token
    one = await statements(stack, service, query, refs(typename, keys[:1]), token)
    many = await statements(stack, service, query, refs(typename, keys), token)
    assert one >= 1
    assert many == one


async def test_users_bookings_are_batch_loaded(
        stack: Stack, actors: Actors, booking_ids: list[str]) -> None:
    users = [actors.customer.id, *(str(uuid.uuid4()) for _ in range(MANY - 1))]
    token = actors.admin.token
    one = await statements(stack, "booking", USER_BOOKINGS, refs("User", users[:1]), token)
    many = await statements(stack, "booking", USER_BOOKINGS, refs("User", users), token)
    assert one >= 1
    assert many == one
