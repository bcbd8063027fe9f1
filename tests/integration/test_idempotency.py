"""Every creating mutation takes an idempotency key: a retry returns the first result."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select

from subgraphs.booking.models import TABLES as BOOKING_TABLES
from subgraphs.booking.models import Hold
from subgraphs.kernel.db import Database
from subgraphs.venue.models import TABLES as VENUE_TABLES
from subgraphs.venue.models import Show, Venue
from tests.flows import CREATE_SHOW, Actors, show_on_sale
from tests.harness import Stack, error_codes

HOLD_KEYED = """mutation($show: ID!, $seats: [ID!]!, $key: String) {
  holdSeats(showId: $show, seatIds: $seats, idempotencyKey: $key) {
    __typename ... on SeatHold { id seatIds } ... on SeatsUnavailable { seatIds } } }"""
VENUE_KEYED = """mutation($i: CreateVenueInput!, $key: String) {
  createVenue(input: $i, idempotencyKey: $key) { id } }"""
SHOW_KEYED = CREATE_SHOW.replace(
    "createShow(input: $i)", "createShow(input: $i, idempotencyKey: $key)"
).replace("($i: CreateShowInput!)", "($i: CreateShowInput!, $key: String)")


async def count(stack: Stack, service: str, query: object) -> int:
    db = Database(stack.settings.database_url(service))
    try:
        async with db.reader() as session:
            return int(await session.scalar(query) or 0)
    finally:
        await db.dispose()


async def test_retried_hold_returns_the_first_hold_and_holds_nothing_more(
        stack: Stack, actors: Actors) -> None:
    booking = stack.client("booking")
    show = await show_on_sale(stack.client("venue"), booking, actors.organizer)
    seats = [show.seats[0]["id"], show.seats[1]["id"]]
    key = uuid.uuid4().hex
    results = await asyncio.gather(*(
        booking.data(HOLD_KEYED, {"show": show.id, "seats": seats, "key": key},
                     actors.customer.token) for _ in range(8)))
    ids = {r["holdSeats"]["id"] for r in results}
    assert [r["holdSeats"]["__typename"] for r in results] == ["SeatHold"] * 8
    assert len(ids) == 1
    holds = await count(stack, "booking", select(func.count()).select_from(Hold)
                        .where(Hold.show_id == show.id))
    assert holds == 1


async def test_same_key_for_other_seats_is_a_conflict_and_holds_nothing(
        stack: Stack, actors: Actors) -> None:
    booking = stack.client("booking")
    show = await show_on_sale(stack.client("venue"), booking, actors.organizer)
    key = uuid.uuid4().hex
    await booking.data(HOLD_KEYED, {"show": show.id, "seats": [show.seats[0]["id"]],
                                    "key": key}, actors.customer.token)
    again = await booking.run(HOLD_KEYED, {"show": show.id, "seats": [show.seats[1]["id"]],
                                           "key": key}, actors.customer.token)
    assert error_codes(again) == ["CONFLICT"]
    holds = await count(stack, "booking", select(func.count()).select_from(Hold)
                        .where(Hold.show_id == show.id))
    assert holds == 1


async def test_keys_belong_to_their_user(stack: Stack, actors: Actors) -> None:
    booking = stack.client("booking")
    show = await show_on_sale(stack.client("venue"), booking, actors.organizer)
    key = uuid.uuid4().hex
    mine = await booking.data(HOLD_KEYED, {"show": show.id, "seats": [show.seats[0]["id"]],
                                           "key": key}, actors.customer.token)
    theirs = await booking.data(HOLD_KEYED, {"show": show.id, "seats": [show.seats[1]["id"]],
                                             "key": key}, actors.other_customer.token)
    assert theirs["holdSeats"]["__typename"] == "SeatHold"
    assert theirs["holdSeats"]["id"] != mine["holdSeats"]["id"]


async def test_a_failed_hold_is_not_remembered_so_a_retry_tries_again(
        stack: Stack, actors: Actors) -> None:
    booking = stack.client("booking")
    show = await show_on_sale(stack.client("venue"), booking, actors.organizer)
    seat = show.seats[0]["id"]
    await booking.data(HOLD_KEYED, {"show": show.id, "seats": [seat], "key": None},
                       actors.other_customer.token)
    key = uuid.uuid4().hex
    lost = await booking.data(HOLD_KEYED, {"show": show.id, "seats": [seat], "key": key},
                              actors.customer.token)
    assert lost["holdSeats"] == {"__typename": "SeatsUnavailable", "seatIds": [seat]}
    keys = BOOKING_TABLES.idempotency
    remembered = await count(stack, "booking", select(func.count()).select_from(keys)
                             .where(keys.c.key == key))
    assert remembered == 0


async def test_retried_create_venue_and_show_create_one_each(
        stack: Stack, actors: Actors) -> None:
    venue = stack.client("venue")
    key = uuid.uuid4().hex
    name = f"Idem {key[:6]}"
    rows = {"name": name, "timeZone": "UTC", "rows": [{"label": "A", "seats": 3}]}
    first, second = await asyncio.gather(*(
        venue.data(VENUE_KEYED, {"i": rows, "key": key}, actors.organizer.token)
        for _ in range(2)))
    assert first["createVenue"]["id"] == second["createVenue"]["id"]
    assert await count(stack, "venue", select(func.count()).select_from(Venue)
                       .where(Venue.name == name)) == 1

    show_input = {"venueId": first["createVenue"]["id"], "title": "Once",
                  "startsAt": "2031-05-01T19:00:00+00:00",
                  "price": {"amount": 500, "currency": "EUR"}}
    show_key = uuid.uuid4().hex
    shows = [await venue.data(SHOW_KEYED, {"i": show_input, "key": show_key},
                              actors.organizer.token) for _ in range(3)]
    assert len({s["createShow"]["id"] for s in shows}) == 1
    assert await count(stack, "venue", select(func.count()).select_from(Show)
                       .where(Show.venue_id == first["createVenue"]["id"])) == 1
    # createShow makes a draft: the retries announced nothing (publishShow does, once).
    outbox = VENUE_TABLES.outbox
    announced = await count(stack, "venue", select(func.count()).select_from(outbox).where(
        outbox.c.body.contains(shows[0]["createShow"]["id"])))
    assert announced == 0
    changed = await venue.run(SHOW_KEYED, {"i": {**show_input, "title": "Other"},
                                            "key": show_key}, actors.organizer.token)
    assert error_codes(changed) == ["CONFLICT"]
    # A key is the user's, whatever the operation: the venue's key can't make a show.
    reused = await venue.run(SHOW_KEYED, {"i": show_input, "key": key}, actors.organizer.token)
    assert error_codes(reused) == ["CONFLICT"]
