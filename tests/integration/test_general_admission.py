"""General admission: standing places are counted, never sold beyond capacity.

Shows here are published in halls with a standing section (docs/seatmap-format.md); what
booking stored is read back from its database after every answer. Two hundred customers
at once for a hundred places is the crowd's second fight (tests/integration/test_crowd.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from subgraphs.booking.models import (
    AdmissionSection,
    BookableShow,
    Booking,
    BookingAdmission,
)
from subgraphs.booking.service import release_expired
from subgraphs.kernel.db import Database
from tests.flows import CHECKOUT, HOLD, Actors, User
from tests.harness import GraphQL, Stack, Subscription, eventually
from tests.integration.seating import Venues, at, small_map
from tests.integration.support import (
    Deployment,
    lapse_hold,
    refusal,
    show_version,
    stored_lines,
)

HOLD_GA = """mutation($show: ID!, $section: ID!, $n: Int!, $key: String) {
  holdGeneralAdmission(showId: $show, sectionId: $section, quantity: $n, idempotencyKey: $key) {
    __typename
    ... on SeatHold { id status seatIds generalAdmission { sectionId quantity } }
    ... on SoldOut { code message available } } }"""
AVAILABILITY = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Show {
  availability { total available held sold
    byCategory { category total available held sold }
    generalAdmission { sectionId key name capacity available held sold } } } } }"""
RELEASE = "mutation($h: ID!) { releaseHold(holdId: $h) { id status } }"
BOOKING_PLACES = """query($id: ID!) { booking(id: $id) { total { amount currency }
  generalAdmission { sectionId name quantity unitPrice { amount } price { amount } } } }"""
LIVE = """subscription($show: ID!) { seatAvailability(showId: $show) {
  kind version seats { seatId state }
  generalAdmission { sectionId capacity available held sold } } }"""
SEAT_PRICE, STANDING_PRICE = 1000, 2500


@dataclass
class Standing:
    show_id: str
    section_id: str
    seat_ids: list[str]


async def standing_show(stack: Stack, organizer: User, capacity: int) -> Standing:
    """A show on sale in a hall with two seats and a standing floor of ``capacity``."""
    venues = Venues(stack.client("venue"))
    hall = await venues.hall(organizer, small_map(standing=capacity))
    show = await venues.show(organizer, hall["id"], at(19),
                             price=None, currency="EUR", priceTiers=[
                                 {"category": "STANDARD", "amount": SEAT_PRICE},
                                 {"category": "STANDING", "amount": STANDING_PRICE}])
    await venues.publish(organizer, show["id"])
    floor = next(s for s in hall["sections"] if s["generalAdmission"])
    booking = stack.client("booking")

    async def on_sale() -> dict[str, Any] | None:
        body = await booking.run(AVAILABILITY, {"r": [{"__typename": "Show", "id": show["id"]}]})
        entities = (body.get("data") or {}).get("_entities") or [None]
        return entities[0] and entities[0]["availability"]

    await eventually(on_sale)
    seats = await booking.data("""query($r: [_Any!]!) { _entities(representations: $r) {
      ... on Show { seatStates { seatId } } } }""", {"r": [{"__typename": "Show",
                                                         "id": show["id"]}]})
    return Standing(show["id"], floor["id"],
                    [s["seatId"] for s in seats["_entities"][0]["seatStates"]])


async def hold_places(client: GraphQL, show: Standing, quantity: int, who: User | None,
                      key: str | None = None, section: str | None = None) -> dict[str, Any]:
    return await client.run(HOLD_GA, {"show": show.show_id, "section": section or show.section_id,
                                      "n": quantity, "key": key},
                            who.token if who else None)


async def held_places(client: GraphQL, show: Standing, quantity: int, who: User) -> str:
    body = await hold_places(client, show, quantity, who)
    assert body["data"]["holdGeneralAdmission"]["__typename"] == "SeatHold", body
    return str(body["data"]["holdGeneralAdmission"]["id"])


async def availability(client: GraphQL, show: Standing) -> dict[str, Any]:
    body = await client.data(AVAILABILITY, {"r": [{"__typename": "Show", "id": show.show_id}]})
    return body["_entities"][0]["availability"]  # type: ignore[no-any-return]


async def test_publishing_builds_the_standing_section_once(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    show = await standing_show(stack, actors.organizer, 40)
    async with dbs["booking"].reader() as session:
        sections = list(await session.scalars(
            select(AdmissionSection).where(AdmissionSection.show_id == show.show_id)))
    assert [(s.section_id, s.key, s.capacity, s.sold, s.category, s.price_amount)
            for s in sections] == [(show.section_id, "floor", 40, 0, "STANDING", STANDING_PRICE)]


async def test_holding_places_stores_one_line_and_counts_them_held(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    booking = stack.client("booking")
    show = await standing_show(stack, actors.organizer, 40)
    body = await hold_places(booking, show, 3, actors.customer)
    result = body["data"]["holdGeneralAdmission"]
    assert result["__typename"] == "SeatHold"
    assert (result["status"], result["seatIds"], result["generalAdmission"]) == (
        "ACTIVE", [], [{"sectionId": show.section_id, "quantity": 3}])
    assert await stored_lines(dbs["booking"], show.show_id) == {
        result["id"]: (3, "ACTIVE", actors.customer.id)}
    counts = await availability(booking, show)
    assert counts["generalAdmission"] == [{"sectionId": show.section_id, "key": "floor",
                                           "name": counts["generalAdmission"][0]["name"],
                                           "capacity": 40, "available": 37, "held": 3,
                                           "sold": 0}]
    assert counts["byCategory"] == [
        {"category": "STANDARD", "total": 2, "available": 2, "held": 0, "sold": 0},
        {"category": "STANDING", "total": 40, "available": 37, "held": 3, "sold": 0}]
    assert (counts["total"], counts["available"]) == (2, 2)  # numbered seats only


async def test_a_retry_with_the_same_key_returns_the_first_hold(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    booking = stack.client("booking")
    show = await standing_show(stack, actors.organizer, 40)
    key = uuid.uuid4().hex
    first = await hold_places(booking, show, 2, actors.customer, key)
    again = await hold_places(booking, show, 2, actors.customer, key)
    assert first["data"] == again["data"]
    assert len(await stored_lines(dbs["booking"], show.show_id)) == 1


async def test_fewer_places_than_asked_is_sold_out_and_holds_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    booking = stack.client("booking")
    show = await standing_show(stack, actors.organizer, 5)
    first = await held_places(booking, show, 4, actors.customer)
    before = await show_version(dbs["booking"], show.show_id)
    body = await hold_places(booking, show, 2, actors.other_customer)
    assert body["data"]["holdGeneralAdmission"] == {
        "__typename": "SoldOut", "code": "SOLD_OUT",
        "message": body["data"]["holdGeneralAdmission"]["message"], "available": 1}
    assert await stored_lines(dbs["booking"], show.show_id) == {
        first: (4, "ACTIVE", actors.customer.id)}
    assert await show_version(dbs["booking"], show.show_id) == before
    last = await held_places(booking, show, 1, actors.other_customer)
    assert (await availability(booking, show))["generalAdmission"][0]["available"] == 0
    assert (await stored_lines(dbs["booking"], show.show_id))[last] == (
        1, "ACTIVE", actors.other_customer.id)


@pytest.mark.parametrize("quantity", [0, -1, 21], ids=["zero", "negative", "over-hold-limit"])
async def test_a_quantity_outside_one_to_the_hold_limit_is_refused(
        stack: Stack, actors: Actors, dbs: dict[str, Database], quantity: int) -> None:
    assert stack.settings.max_seats_per_hold == 20
    show = await standing_show(stack, actors.organizer, 100)
    body = await hold_places(stack.client("booking"), show, quantity, actors.customer)
    assert refusal(body) == ("BAD_USER_INPUT", "quantity")
    assert await stored_lines(dbs["booking"], show.show_id) == {}


async def test_an_unknown_section_or_show_or_caller_is_refused(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    booking = stack.client("booking")
    show = await standing_show(stack, actors.organizer, 10)
    before = await show_version(dbs["booking"], show.show_id)
    unknown = await hold_places(booking, show, 1, actors.customer, section=str(uuid.uuid4()))
    assert refusal(unknown) == ("BAD_USER_INPUT", "sectionId")
    no_show = await booking.run(HOLD_GA, {"show": str(uuid.uuid4()), "section": show.section_id,
                                          "n": 1}, actors.customer.token)
    assert refusal(no_show) == ("NOT_FOUND", "showId")
    anonymous = await hold_places(booking, show, 1, None)
    assert refusal(anonymous) == ("UNAUTHENTICATED", None)
    assert await stored_lines(dbs["booking"], show.show_id) == {}
    assert await show_version(dbs["booking"], show.show_id) == before


async def test_a_show_no_longer_on_sale_is_refused(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    show = await standing_show(stack, actors.organizer, 10)
    await stack.client("venue").data("mutation($id: ID!) { cancelShow(id: $id) { status } }",
                                     {"id": show.show_id}, actors.organizer.token)

    async def cancelled() -> bool:
        async with dbs["booking"].reader() as session:
            return await session.scalar(select(BookableShow.status).where(
                BookableShow.id == show.show_id)) == "CANCELLED"

    await eventually(cancelled)
    body = await hold_places(stack.client("booking"), show, 1, actors.customer)
    assert refusal(body) == ("BAD_USER_INPUT", "showId")
    assert await stored_lines(dbs["booking"], show.show_id) == {}


async def test_releasing_a_standing_hold_gives_its_places_back(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    booking = stack.client("booking")
    show = await standing_show(stack, actors.organizer, 3)
    first = await held_places(booking, show, 3, actors.customer)
    await booking.data(RELEASE, {"h": first}, actors.customer.token)
    assert (await stored_lines(dbs["booking"], show.show_id))[first][1] == "RELEASED"
    await held_places(booking, show, 3, actors.other_customer)


async def test_a_change_of_places_sends_a_delta_with_the_new_counts(
        stack: Stack, actors: Actors) -> None:
    booking = stack.client("booking")
    show = await standing_show(stack, actors.organizer, 30)
    async with Subscription(stack.url("booking"), LIVE, {"show": show.show_id}) as live:
        snapshot = (await live.next())["data"]["seatAvailability"]
        await held_places(booking, show, 4, actors.customer)
        delta = (await live.next())["data"]["seatAvailability"]
    assert snapshot["generalAdmission"] == [{"sectionId": show.section_id, "capacity": 30,
                                             "available": 30, "held": 0, "sold": 0}]
    assert (delta["kind"], delta["version"], delta["seats"]) == (
        "DELTA", snapshot["version"] + 1, [])
    assert delta["generalAdmission"] == [{"sectionId": show.section_id, "capacity": 30,
                                          "available": 26, "held": 4, "sold": 0}]


async def test_checkout_prices_places_at_the_sections_price(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    booking = stack.client("booking")
    show = await standing_show(stack, actors.organizer, 30)
    hold = await held_places(booking, show, 3, actors.customer)
    body = await booking.data(CHECKOUT, {"hold": hold, "key": uuid.uuid4().hex},
                              actors.customer.token)
    booking_id = body["checkout"]["id"]
    assert body["checkout"]["total"] == {"amount": 3 * STANDING_PRICE, "currency": "EUR"}
    assert body["checkout"]["lines"] == []
    read = await booking.data(BOOKING_PLACES, {"id": booking_id}, actors.customer.token)
    assert read["booking"]["generalAdmission"] == [{
        "sectionId": show.section_id, "name": read["booking"]["generalAdmission"][0]["name"],
        "quantity": 3, "unitPrice": {"amount": STANDING_PRICE},
        "price": {"amount": 3 * STANDING_PRICE}}]
    async with dbs["booking"].reader() as session:
        stored = await session.get(Booking, booking_id)
        lines = list(await session.scalars(select(BookingAdmission).where(
            BookingAdmission.booking_id == booking_id)))
    assert stored is not None and stored.total_amount == 3 * STANDING_PRICE
    assert [(x.section_id, x.quantity, x.price_amount) for x in lines] == [
        (show.section_id, 3, STANDING_PRICE)]
    # A checked-out hold keeps its places until it is paid or lapses.
    assert (await availability(booking, show))["generalAdmission"][0]["held"] == 3


async def test_standing_places_count_towards_the_per_customer_limit(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    limit = stack.settings.max_seats_per_customer
    booking = stack.client("booking")
    show = await standing_show(stack, actors.organizer, 100)
    first = await held_places(booking, show, limit - 3, actors.customer)
    await booking.data(CHECKOUT, {"hold": first, "key": uuid.uuid4().hex}, actors.customer.token)
    await held_places(booking, show, 1, actors.customer)
    over = await hold_places(booking, show, 3, actors.customer)
    assert refusal(over) == ("BAD_USER_INPUT", "quantity")
    assert over["errors"][0]["extensions"]["limit"] == limit
    seats = await booking.run(HOLD, {"show": show.show_id, "seats": show.seat_ids},
                              actors.customer.token)
    assert seats["data"]["holdSeats"]["__typename"] == "SeatHold"  # exactly the limit
    one_more = await hold_places(booking, show, 1, actors.customer)
    assert refusal(one_more) == ("BAD_USER_INPUT", "quantity")
    assert sorted(q for q, _, user in (await stored_lines(dbs["booking"], show.show_id)).values()
                  if user == actors.customer.id) == sorted([limit - 3, 1])
    await held_places(booking, show, 3, actors.other_customer)


async def test_a_lapsed_standing_hold_never_counts_even_before_the_sweep(
        manual_sweep: Deployment) -> None:
    dep = manual_sweep
    booking = dep.stack.client("booking")
    show = await standing_show(dep.stack, dep.actors.organizer, 3)
    first = await held_places(booking, show, 3, dep.actors.customer)
    expires = await lapse_hold(dep.dbs["booking"], first)
    assert (await availability(booking, show))["generalAdmission"][0]["available"] == 3
    second = await held_places(booking, show, 3, dep.actors.other_customer)
    lines = await stored_lines(dep.dbs["booking"], show.show_id)
    assert lines[first][1] == "ACTIVE"  # the sweeper never ran
    assert lines[second] == (3, "ACTIVE", dep.actors.other_customer.id)
    await release_expired(dep.services["booking"], now=expires)
    assert (await stored_lines(dep.dbs["booking"], show.show_id))[first][1] == "EXPIRED"


async def test_a_hold_shows_its_seats_lines_and_total_before_checkout(
        stack: Stack, actors: Actors) -> None:
    standing = await standing_show(stack, actors.organizer, 10)
    booking = stack.client("booking")
    token = actors.customer.token
    seats = (await booking.data(HOLD, {"show": standing.show_id,
                                       "seats": standing.seat_ids[:2]}, token))["holdSeats"]
    places = (await booking.data(HOLD_GA, {"show": standing.show_id,
                                           "section": standing.section_id, "n": 3}, token))
    query = """query($r: [_Any!]!) { _entities(representations: $r) { ... on SeatHold {
      seats { seatId price { amount currency } }
      lines { seatId sectionId quantity unitPrice { amount } price { amount } }
      total { amount currency } } } }"""
    found = (await booking.data(query, {"r": [
        {"__typename": "SeatHold", "id": seats["id"]},
        {"__typename": "SeatHold", "id": places["holdGeneralAdmission"]["id"]}]}, token)
             )["_entities"]
    assert found[0]["seats"] == [{"seatId": s, "price": {"amount": SEAT_PRICE, "currency": "EUR"}}
                                 for s in standing.seat_ids[:2]]
    assert found[0]["total"] == {"amount": 2 * SEAT_PRICE, "currency": "EUR"}
    assert found[1]["seats"] == []
    assert found[1]["lines"] == [{"seatId": None, "sectionId": standing.section_id,
                                  "quantity": 3, "unitPrice": {"amount": STANDING_PRICE},
                                  "price": {"amount": 3 * STANDING_PRICE}}]
    assert found[1]["total"] == {"amount": 3 * STANDING_PRICE, "currency": "EUR"}
    # checkout charges exactly what the hold said
    booked = await booking.data(CHECKOUT, {"hold": seats["id"], "key": uuid.uuid4().hex}, token)
    assert booked["checkout"]["total"] == found[0]["total"]
    # holds are private: another customer is refused
    other = await booking.run(query, {"r": [{"__typename": "SeatHold", "id": seats["id"]}]},
                              actors.other_customer.token)
    assert refusal(other)[0] == "FORBIDDEN"
