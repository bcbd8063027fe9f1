"""The booking subgraph against its real database: holds, checkout, who may see a booking."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from subgraphs.booking.models import AVAILABLE, HELD, Booking, Hold
from subgraphs.kernel.db import Database
from tests.flows import CHECKOUT, HOLD, Actors, ShowOnSale, User, show_on_sale
from tests.flows import seat_ids as ids
from tests.harness import Stack, eventually
from tests.integration.support import count, hold_status, refusal, seat_rows, show_version

BOOKING = "query($id: ID!) { booking(id: $id) { id status total { amount } } }"
BOOKING_ENTITY = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Booking { id status } } }"""
USER_BOOKINGS = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on User { bookings { id } } } }"""
PAYMENT_OF_BOOKING = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Booking { payment { status amount { amount currency } } } } }"""


async def hold(stack: Stack, show_id: str, seat_ids: list[str], who: User | None
               ) -> dict[str, Any]:
    """The whole response to ``holdSeats``."""
    return await stack.client("booking").run(HOLD, {"show": show_id, "seats": seat_ids},
                                             who.token if who else None)


async def held(stack: Stack, show_id: str, seat_ids: list[str], who: User) -> str:
    """Hold seats that must be free; the hold's id."""
    body = await hold(stack, show_id, seat_ids, who)
    assert body["data"]["holdSeats"]["__typename"] == "SeatHold", body
    return str(body["data"]["holdSeats"]["id"])


async def checkout(stack: Stack, hold_id: str, key: str, who: User) -> dict[str, Any]:
    return await stack.client("booking").run(CHECKOUT, {"hold": hold_id, "key": key}, who.token)


async def booked(stack: Stack, show: ShowOnSale, who: User, seats: int = 1) -> str:
    """A pending booking of the first free ``seats`` seats; its id."""
    hold_id = await held(stack, show.id, [s["id"] for s in show.seats[:seats]], who)
    body = await checkout(stack, hold_id, uuid.uuid4().hex, who)
    assert body["data"]["checkout"]["__typename"] == "Booking", body
    return str(body["data"]["checkout"]["id"])


# holdSeats


async def test_a_hold_marks_exactly_its_seats_held_in_the_database(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    hold_id = await held(stack, show.id, ids(show, 0, 2), actors.customer)
    rows = await seat_rows(dbs["booking"], show.id)
    taken = {seat: row for seat, row in rows.items() if row != (AVAILABLE, None)}
    assert taken == {seat: (HELD, hold_id) for seat in ids(show, 0, 2)}


async def test_holding_needs_a_signed_in_caller(
        stack: Stack, dbs: dict[str, Database], show: ShowOnSale) -> None:
    body = await hold(stack, show.id, ids(show, 0), None)
    assert refusal(body) == ("UNAUTHENTICATED", None)
    assert await count(dbs["booking"], Hold, Hold.show_id == show.id) == 0


async def test_holding_in_an_unknown_show_is_not_found(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    before = await count(dbs["booking"], Hold)
    body = await hold(stack, str(uuid.uuid4()), ids(show, 0), actors.customer)
    assert refusal(body) == ("NOT_FOUND", "showId")
    assert await count(dbs["booking"], Hold) == before


async def test_seats_of_another_show_or_unknown_are_refused_and_listed(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    other = await show_on_sale(stack.client("venue"), stack.client("booking"), actors.organizer)
    foreign, unknown = ids(other, 0)[0], str(uuid.uuid4())
    before = await show_version(dbs["booking"], show.id)
    body = await hold(stack, show.id, [*ids(show, 0), foreign, unknown], actors.customer)
    assert refusal(body) == ("BAD_USER_INPUT", "seatIds")
    assert body["errors"][0]["extensions"]["seatIds"] == [foreign, unknown]
    assert await count(dbs["booking"], Hold, Hold.show_id == show.id) == 0
    assert (await seat_rows(dbs["booking"], show.id))[ids(show, 0)[0]] == (AVAILABLE, None)
    assert await show_version(dbs["booking"], show.id) == before


@pytest.mark.parametrize("seats", [[], [0, 0], [1, 2, 1]], ids=["none", "twice", "repeated"])
async def test_no_seats_or_a_seat_twice_is_refused(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale,
        seats: list[int]) -> None:
    body = await hold(stack, show.id, ids(show, *seats), actors.customer)
    assert refusal(body) == ("BAD_USER_INPUT", "seatIds")
    assert await count(dbs["booking"], Hold, Hold.show_id == show.id) == 0


async def test_more_seats_than_one_hold_may_take_are_refused(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    limit = stack.settings.max_seats_per_hold
    big = await show_on_sale(stack.client("venue"), stack.client("booking"), actors.organizer,
                             rows=[{"label": "A", "seats": limit + 1}])
    body = await hold(stack, big.id, ids(big, *range(limit + 1)), actors.customer)
    assert refusal(body) == ("BAD_USER_INPUT", "seatIds")
    assert await count(dbs["booking"], Hold, Hold.show_id == big.id) == 0


async def test_taken_seats_give_seats_unavailable_naming_exactly_them(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    await held(stack, show.id, ids(show, 1, 3), actors.customer)
    body = await hold(stack, show.id, ids(show, 0, 1, 2, 3), actors.other_customer)
    assert "errors" not in body
    result = body["data"]["holdSeats"]
    assert (result["__typename"], result["code"]) == ("SeatsUnavailable", "SEATS_UNAVAILABLE")
    assert result["seatIds"] == ids(show, 1, 3)


async def test_a_refused_hold_holds_none_of_the_free_seats(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    first = await held(stack, show.id, ids(show, 1), actors.customer)
    before = await show_version(dbs["booking"], show.id)
    body = await hold(stack, show.id, ids(show, 0, 1), actors.other_customer)
    assert body["data"]["holdSeats"]["__typename"] == "SeatsUnavailable"
    rows = await seat_rows(dbs["booking"], show.id)
    assert rows[ids(show, 0)[0]] == (AVAILABLE, None)
    assert rows[ids(show, 1)[0]] == (HELD, first)
    assert await count(dbs["booking"], Hold, Hold.show_id == show.id) == 1
    assert await show_version(dbs["booking"], show.id) == before


async def test_the_same_customer_cannot_hold_a_seat_twice(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    await held(stack, show.id, ids(show, 0), actors.customer)
    body = await hold(stack, show.id, ids(show, 0), actors.customer)
    assert body["data"]["holdSeats"]["seatIds"] == ids(show, 0)
    assert body["data"]["holdSeats"]["__typename"] == "SeatsUnavailable"


# checkout


async def test_checkout_books_the_held_seats_at_the_show_price(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    hold_id = await held(stack, show.id, ids(show, 0, 1), actors.customer)
    body = await checkout(stack, hold_id, "pay-1", actors.customer)
    booking = body["data"]["checkout"]
    assert (booking["status"], booking["total"]) == ("PENDING_PAYMENT",
                                                      {"amount": 2000, "currency": "EUR"})
    assert sorted(line["seatId"] for line in booking["lines"]) == sorted(ids(show, 0, 1))
    assert await hold_status(dbs["booking"], hold_id) == "CHECKED_OUT"


async def test_checkout_of_another_customers_hold_is_forbidden(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    hold_id = await held(stack, show.id, ids(show, 0), actors.customer)
    body = await checkout(stack, hold_id, "steal", actors.other_customer)
    assert refusal(body)[0] == "FORBIDDEN"
    assert await count(dbs["booking"], Booking, Booking.hold_id == hold_id) == 0
    assert await hold_status(dbs["booking"], hold_id) == "ACTIVE"


async def test_checkout_of_an_unknown_hold_is_not_found(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    before = await count(dbs["booking"], Booking)
    body = await checkout(stack, str(uuid.uuid4()), "nothing", actors.customer)
    assert refusal(body) == ("NOT_FOUND", "holdId")
    assert await count(dbs["booking"], Booking) == before


async def test_checkout_retried_with_its_key_returns_the_same_booking(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    hold_id = await held(stack, show.id, ids(show, 0), actors.customer)
    key = uuid.uuid4().hex
    first = await checkout(stack, hold_id, key, actors.customer)
    again = await checkout(stack, hold_id, key, actors.customer)
    assert first["data"]["checkout"]["id"] == again["data"]["checkout"]["id"]
    assert await count(dbs["booking"], Booking, Booking.hold_id == hold_id) == 1


async def test_a_checkout_key_reused_for_another_hold_conflicts(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    key = uuid.uuid4().hex
    first = await held(stack, show.id, ids(show, 0), actors.customer)
    second = await held(stack, show.id, ids(show, 1), actors.customer)
    await checkout(stack, first, key, actors.customer)
    body = await checkout(stack, second, key, actors.customer)
    assert refusal(body) == ("CONFLICT", "idempotencyKey")
    assert await count(dbs["booking"], Booking, Booking.hold_id == second) == 0
    assert await hold_status(dbs["booking"], second) == "ACTIVE"


@pytest.mark.parametrize("key", ["", "   ", "k" * 201], ids=["empty", "blank", "too long"])
async def test_checkout_needs_a_usable_idempotency_key(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale,
        key: str) -> None:
    hold_id = await held(stack, show.id, ids(show, 0), actors.customer)
    body = await checkout(stack, hold_id, key, actors.customer)
    assert refusal(body) == ("BAD_USER_INPUT", "idempotencyKey")
    assert await count(dbs["booking"], Booking, Booking.hold_id == hold_id) == 0
    assert await hold_status(dbs["booking"], hold_id) == "ACTIVE"


# Who may see a booking


@pytest.mark.parametrize("viewer", ["customer", "admin"])
async def test_the_owner_and_admins_read_a_booking(
        stack: Stack, actors: Actors, show: ShowOnSale, viewer: str) -> None:
    booking_id = await booked(stack, show, actors.customer)
    token = getattr(actors, viewer).token
    by_id = await stack.client("booking").data(BOOKING, {"id": booking_id}, token)
    by_key = await stack.client("booking").data(
        BOOKING_ENTITY, {"r": [{"__typename": "Booking", "id": booking_id}]}, token)
    assert by_id["booking"]["id"] == booking_id
    assert by_key["_entities"] == [{"id": booking_id, "status": "PENDING_PAYMENT"}]


@pytest.mark.parametrize(("viewer", "code"), [("other_customer", "FORBIDDEN"),
                                              ("organizer", "FORBIDDEN"),
                                              (None, "UNAUTHENTICATED")])
async def test_nobody_else_reads_a_booking(
        stack: Stack, actors: Actors, show: ShowOnSale, viewer: str | None, code: str) -> None:
    booking_id = await booked(stack, show, actors.customer)
    token = getattr(actors, viewer).token if viewer else None
    by_id = await stack.client("booking").run(BOOKING, {"id": booking_id}, token)
    by_key = await stack.client("booking").run(
        BOOKING_ENTITY, {"r": [{"__typename": "Booking", "id": booking_id}]}, token)
    assert refusal(by_id)[0] == code and by_id["data"] == {"booking": None}
    assert refusal(by_key)[0] == code and by_key["data"] == {"_entities": [None]}


async def test_a_users_bookings_are_theirs_alone(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    booking_id = await booked(stack, show, actors.customer)
    me = [{"__typename": "User", "id": actors.customer.id}]
    mine = await stack.client("booking").data(USER_BOOKINGS, {"r": me}, actors.customer.token)
    admin = await stack.client("booking").data(USER_BOOKINGS, {"r": me}, actors.admin.token)
    theirs = await stack.client("booking").run(USER_BOOKINGS, {"r": me},
                                               actors.other_customer.token)
    assert booking_id in [b["id"] for b in mine["_entities"][0]["bookings"]]
    assert mine == admin
    assert refusal(theirs)[0] == "FORBIDDEN"
    assert booking_id not in str(theirs)


async def payment_of(stack: Stack, booking_id: str, who: User | None) -> dict[str, Any]:
    return await stack.client("payment").run(
        PAYMENT_OF_BOOKING, {"r": [{"__typename": "Booking", "id": booking_id}]},
        who.token if who else None)


async def test_a_bookings_payment_is_visible_to_its_owner(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    booking_id = await booked(stack, show, actors.customer, seats=3)

    async def payment() -> dict[str, Any] | None:
        body = await payment_of(stack, booking_id, actors.customer)
        return body["data"]["_entities"][0]["payment"]  # type: ignore[no-any-return]

    assert await eventually(payment) == {"status": "REQUIRES_PAYMENT",
                                         "amount": {"amount": 3000, "currency": "EUR"}}


@pytest.mark.parametrize(("viewer", "code"), [("other_customer", "FORBIDDEN"),
                                              (None, "UNAUTHENTICATED")])
async def test_a_bookings_payment_is_hidden_from_everyone_else(
        stack: Stack, actors: Actors, show: ShowOnSale, viewer: str | None, code: str) -> None:
    booking_id = await booked(stack, show, actors.customer)

    async def payment_exists() -> bool:
        body = await payment_of(stack, booking_id, actors.customer)
        return body["data"]["_entities"][0]["payment"] is not None

    await eventually(payment_exists)
    body = await payment_of(stack, booking_id, getattr(actors, viewer) if viewer else None)
    assert refusal(body)[0] == code
    assert body["data"] == {"_entities": [{"payment": None}]}
