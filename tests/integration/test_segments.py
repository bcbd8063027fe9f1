"""Journeys: seats sell per leg, so a seat sold from A to B is still free from B to D."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from subgraphs.booking.models import Booking, ShowSeat
from subgraphs.kernel.db import Database
from subgraphs.kernel.events import PaymentSucceeded
from tests.flows import CHECKOUT, Actors, ShowOnSale, show_on_sale
from tests.harness import Stack, eventually
from tests.integration.support import refusal

STOPS = ["Amsterdam", "Brussels", "Cologne", "Dortmund"]  # legs 0 (A→B), 1 (B→C), 2 (C→D)
HOLD = """mutation($show: ID!, $seats: [ID!]!, $segment: SegmentInput) {
  holdSeats(showId: $show, seatIds: $seats, segment: $segment) {
    __typename
    ... on SeatHold { id seatIds segment { from to } }
    ... on SeatsUnavailable { seatIds } } }"""
STATES = """query($r: [_Any!]!, $segment: SegmentInput) { _entities(representations: $r) {
  ... on Show { seatStates(segment: $segment) { seatId state legs }
                availability(segment: $segment) { total available held sold } } } }"""


async def journey(stack: Stack, actors: Actors) -> ShowOnSale:
    return await show_on_sale(stack.client("venue"), stack.client("booking"), actors.organizer,
                              rows=[{"label": "A", "seats": 4}], stops=STOPS)


async def hold(stack: Stack, token: str, show: str, seats: list[str],
               segment: tuple[int, int] | None) -> dict[str, Any]:
    body = await stack.client("booking").run(HOLD, {
        "show": show, "seats": seats,
        "segment": None if segment is None else {"from": segment[0], "to": segment[1]}}, token)
    return body


async def states(stack: Stack, show: str, segment: tuple[int, int] | None = None
                 ) -> dict[str, Any]:
    body = await stack.client("booking").data(STATES, {
        "r": [{"__typename": "Show", "id": show}],
        "segment": None if segment is None else {"from": segment[0], "to": segment[1]}})
    return body["_entities"][0]  # type: ignore[no-any-return]


async def sell(stack: Stack, token: str, show: str, seat: str, segment: tuple[int, int]) -> str:
    """Hold, check out and pay (payment's PaymentSucceeded event) for one seat."""
    held = (await hold(stack, token, show, [seat], segment))["data"]["holdSeats"]
    booked = await stack.client("booking").data(
        CHECKOUT, {"hold": held["id"], "key": uuid.uuid4().hex}, token)
    booking_id = booked["checkout"]["id"]
    async with stack.services["payment"].uow() as uow:
        uow.emit(PaymentSucceeded(payment_id=str(uuid.uuid4()), booking_id=booking_id,
                                  user_id="", amount=0, currency="EUR", provider="sandbox"))
        await uow.commit()

    async def confirmed() -> bool:
        async with stack.services["booking"].db.reader() as session:
            booking = await session.get(Booking, booking_id)
            return booking is not None and booking.status == "CONFIRMED"

    await eventually(confirmed)
    return str(booking_id)


async def rows_of(db: Database, show: str, seat: str) -> dict[int, tuple[str, str | None]]:
    async with db.reader() as session:
        found = await session.execute(select(ShowSeat.leg, ShowSeat.state, ShowSeat.hold_id)
                                      .where(ShowSeat.show_id == show, ShowSeat.seat_id == seat))
    return {leg: (state, h) for leg, state, h in found}


async def test_a_seat_sold_a_to_b_is_free_b_to_d_and_taken_a_to_c(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    show = await journey(stack, actors)
    seat = show.seats[0]["id"]
    await sell(stack, actors.customer.token, show.id, seat, (0, 1))

    taken = await hold(stack, actors.other_customer.token, show.id, [seat], (0, 2))
    assert taken["data"]["holdSeats"] == {"__typename": "SeatsUnavailable", "seatIds": [seat]}
    later = await hold(stack, actors.other_customer.token, show.id, [seat], (1, 3))
    held = later["data"]["holdSeats"]
    assert held["__typename"] == "SeatHold"
    assert held["segment"] == {"from": 1, "to": 3}

    stored = await rows_of(dbs["booking"], show.id, seat)
    assert [stored[leg][0] for leg in (0, 1, 2)] == ["SOLD", "HELD", "HELD"]
    assert stored[1][1] == stored[2][1] == held["id"] != stored[0][1]


async def test_seat_states_per_segment_and_per_leg(stack: Stack, actors: Actors) -> None:
    show = await journey(stack, actors)
    seat = show.seats[1]["id"]
    await sell(stack, actors.customer.token, show.id, seat, (1, 2))

    def of(found: dict[str, Any]) -> dict[str, Any]:
        return next(s for s in found["seatStates"] if s["seatId"] == seat)

    whole = await states(stack, show.id)
    assert of(whole) == {"seatId": seat, "state": "SOLD",
                         "legs": ["AVAILABLE", "SOLD", "AVAILABLE"]}
    assert whole["availability"] == {"total": 4, "available": 3, "held": 0, "sold": 1}
    first_leg = await states(stack, show.id, (0, 1))
    assert of(first_leg)["state"] == "AVAILABLE"
    assert first_leg["availability"] == {"total": 4, "available": 4, "held": 0, "sold": 0}
    assert of(await states(stack, show.id, (0, 2)))["state"] == "SOLD"
    assert of(await states(stack, show.id, (2, 3)))["state"] == "AVAILABLE"


async def test_a_hold_on_a_segment_books_that_segment(stack: Stack, actors: Actors) -> None:
    show = await journey(stack, actors)
    seat = show.seats[2]["id"]
    held = (await hold(stack, actors.customer.token, show.id, [seat], (1, 3)))["data"]
    booked = await stack.client("booking").data(
        """mutation($h: ID!, $k: String!) { checkout(holdId: $h, idempotencyKey: $k) {
          ... on Booking { segment { from to } lines { seatId } } } }""",
        {"h": held["holdSeats"]["id"], "k": uuid.uuid4().hex}, actors.customer.token)
    assert booked["checkout"] == {"segment": {"from": 1, "to": 3}, "lines": [{"seatId": seat}]}


async def test_the_whole_journey_by_default(stack: Stack, actors: Actors,
                                            dbs: dict[str, Database]) -> None:
    show = await journey(stack, actors)
    seat = show.seats[3]["id"]
    held = (await hold(stack, actors.customer.token, show.id, [seat], None))["data"]["holdSeats"]
    assert held["segment"] == {"from": 0, "to": 3}
    stored = await rows_of(dbs["booking"], show.id, seat)
    assert {leg: state for leg, (state, _) in stored.items()} == {0: "HELD", 1: "HELD",
                                                                    2: "HELD"}


async def test_bad_segments_are_refused_and_change_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    trip = await journey(stack, actors)
    seat = trip.seats[0]["id"]
    for segment in [(2, 1), (1, 1), (0, 4), (-1, 2)]:
        body = await hold(stack, actors.customer.token, trip.id, [seat], segment)
        assert refusal(body) == ("BAD_USER_INPUT", "segment"), (segment, body)
    # a show without stops has no segments
    plain = await hold(stack, actors.customer.token, show.id, [show.seats[0]["id"]], (0, 1))
    assert refusal(plain) == ("BAD_USER_INPUT", "segment")
    assert {state for state, _ in (await rows_of(dbs["booking"], trip.id, seat)).values()} == {
        "AVAILABLE"}
    assert (await rows_of(dbs["booking"], show.id, show.seats[0]["id"]))[0][0] == "AVAILABLE"


async def test_a_show_without_stops_has_one_leg_and_no_segment(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    held = (await hold(stack, actors.customer.token, show.id, [show.seats[0]["id"]],
                       None))["data"]["holdSeats"]
    assert held["segment"] is None
    found = await states(stack, show.id)
    assert {s["state"] for s in found["seatStates"]} == {"AVAILABLE", "HELD"}
    assert all(s["legs"] == [] for s in found["seatStates"])
