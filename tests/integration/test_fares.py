"""Journeys priced by segment (per-leg sums, an origin-destination table), fare classes with
per-leg quotas, bad fare input, prices fixed in a hold when it is made, and ticket types on
a journey with fares and a fare class (the combined rule)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from subgraphs.booking.models import (
    BookableShow,
    FareQuota,
    Hold,
    HoldFare,
    HoldTicketLine,
    ShowSeat,
    ShowTicketType,
)
from subgraphs.kernel.db import Database
from tests.flows import CREATE_SHOW, CREATE_VENUE, PUBLISH_SHOW, Actors, User
from tests.harness import Stack, eventually
from tests.integration.support import Deployment, customer, lapse_hold, refusal

STOPS = ["Amsterdam", "Brussels", "Cologne", "Dortmund"]  # legs 0, 1, 2
ROWS = [{"label": "A", "seats": 4, "category": "FIRST"},
        {"label": "B", "seats": 4, "category": "SECOND"}]
TIERS = [{"category": "FIRST", "amount": 9000}, {"category": "SECOND", "amount": 1000}]
HOLD = """mutation($show: ID!, $seats: [ID!]!, $segment: SegmentInput, $fc: String) {
  holdSeats(showId: $show, seatIds: $seats, segment: $segment, fareClass: $fc) {
    __typename
    ... on SeatHold { id fareClass expiresAt lines { seatId unitPrice { amount } price { amount } }
                      total { amount } } } }"""
BEST = """mutation($show: ID!, $n: Int!, $segment: SegmentInput, $fc: String) {
  holdBestAvailable(showId: $show, quantity: $n, segment: $segment, fareClass: $fc) {
    __typename ... on SeatHold { id fareClass total { amount } } } }"""
HOLD_PRICE = """query($id: ID!) { hold(id: $id) {
  lines { unitPrice { amount } } total { amount } } }"""
FARES = """query($r: [_Any!]!, $segment: SegmentInput) { _entities(representations: $r) {
  ... on Show { fares(segment: $segment) { category fareClass amount { amount currency }
                                           seatsLeft } } } }"""
RELEASE = "mutation($h: ID!) { releaseHold(holdId: $h) { status } }"
CHECKOUT = """mutation($hold: ID!, $key: String!) { checkout(holdId: $hold, idempotencyKey: $key) {
  ... on Booking { id total { amount } lines { price { amount } } } } }"""
BOOKING = "query($id: ID!) { booking(id: $id) { total { amount } lines { price { amount } } } }"
VENUE_SHOWS = "query($id: ID!) { venue(id: $id) { shows { nodes { id } } } }"


@dataclass
class FaredShow:
    id: str
    venue_id: str
    first: list[str]  # seat ids of row A (FIRST)
    second: list[str]  # of row B (SECOND)


async def venue_with_rows(stack: Stack, organizer: User) -> dict[str, Any]:
    v = await stack.client("venue").data(CREATE_VENUE, {"i": {
        "name": f"Train {uuid.uuid4().hex[:6]}", "timeZone": "Europe/Amsterdam",
        "rows": ROWS}}, organizer.token)
    return v["createVenue"]  # type: ignore[no-any-return]


def show_input(venue_id: str, **extra: Any) -> dict[str, Any]:
    return {"venueId": venue_id, "title": "Intercity", "kind": "TRAIN",
            "startsAt": f"2031-0{uuid.uuid4().int % 9 + 1}-01T08:00:00+00:00",
            "currency": "EUR", "priceTiers": TIERS, "stops": [{"name": n} for n in STOPS],
            **extra}


async def fared_show(stack: Stack, organizer: User, **extra: Any) -> FaredShow:
    """A train of two rows (FIRST, SECOND) with ``extra`` (fares, fareClasses), on sale."""
    venue = await venue_with_rows(stack, organizer)
    s = await stack.client("venue").data(CREATE_SHOW, {"i": show_input(venue["id"], **extra)},
                                         organizer.token)
    show_id = s["createShow"]["id"]
    await stack.client("venue").data(PUBLISH_SHOW, {"id": show_id}, organizer.token)

    async def ready() -> bool:
        return bool(await fares_of(stack, show_id))

    await eventually(ready)
    seats = venue["seats"]
    return FaredShow(show_id, venue["id"],
                     [x["id"] for x in seats if x["category"] == "FIRST"],
                     [x["id"] for x in seats if x["category"] == "SECOND"])


async def fares_of(stack: Stack, show: str, segment: tuple[int, int] | None = None
                   ) -> dict[tuple[str, str | None], tuple[int, int | None]]:
    body = await stack.client("booking").data(FARES, {
        "r": [{"__typename": "Show", "id": show}],
        "segment": None if segment is None else {"from": segment[0], "to": segment[1]}})
    return {(f["category"], f["fareClass"]): (f["amount"]["amount"], f["seatsLeft"])
            for f in body["_entities"][0]["fares"]}


async def hold(stack: Stack, who: User, show: str, seats: list[str],
               segment: tuple[int, int] | None, fare_class: str | None = None
               ) -> dict[str, Any]:
    return await stack.client("booking").run(HOLD, {
        "show": show, "seats": seats, "fc": fare_class,
        "segment": None if segment is None else {"from": segment[0], "to": segment[1]}},
        who.token)


async def held(stack: Stack, who: User, show: str, seats: list[str],
               segment: tuple[int, int] | None, fare_class: str | None = None
               ) -> dict[str, Any]:
    body = await hold(stack, who, show, seats, segment, fare_class)
    assert "errors" not in body, body
    found = body["data"]["holdSeats"]
    assert found["__typename"] == "SeatHold", found
    return found  # type: ignore[no-any-return]


def unit_prices(found: dict[str, Any]) -> list[int]:
    return [line["unitPrice"]["amount"] for line in found["lines"]]


async def quotas(db: Database, show: str) -> dict[tuple[str, int], int]:
    async with db.reader() as session:
        rows = await session.execute(select(FareQuota.fare_class, FareQuota.leg, FareQuota.used)
                                     .where(FareQuota.show_id == show))
    return {(c, leg): used for c, leg, used in rows}


LEG_FARES = {"legAmounts": [{"category": "FIRST", "amounts": [2000, 1500, 2500]}]}


async def test_a_segment_costs_the_sum_of_its_legs(stack: Stack, actors: Actors) -> None:
    show = await fared_show(stack, actors.organizer, fares=LEG_FARES)
    who = actors.customer
    assert unit_prices(await held(stack, who, show.id, show.first[:1], (0, 2))) == [3500]
    assert unit_prices(await held(stack, who, show.id, show.first[1:2], (1, 3))) == [4000]
    whole = await held(stack, who, show.id, show.first[2:3], None)
    assert unit_prices(whole) == [6000]
    # SECOND has no fares: its price tier whatever the segment.
    assert unit_prices(await held(stack, who, show.id, show.second[:1], (2, 3))) == [1000]
    assert await fares_of(stack, show.id, (1, 2)) == {("FIRST", None): (1500, None),
                                                      ("SECOND", None): (1000, None)}
    assert (await fares_of(stack, show.id))[("FIRST", None)] == (6000, None)


async def test_an_origin_destination_table_wins_and_falls_back_to_leg_sums(
        stack: Stack, actors: Actors) -> None:
    od = [{"from": a, "to": b, "category": "SECOND", "amount": 100 * (10 * a + b)}
          for a in range(4) for b in range(a + 1, 4)]
    od.append({"from": 0, "to": 3, "category": "FIRST", "amount": 5000})
    show = await fared_show(stack, actors.organizer, fares={**LEG_FARES, "odFares": od})
    who = actors.customer
    # FIRST: the table's 0-3, else per-leg sums; SECOND: the table for every pair.
    assert unit_prices(await held(stack, who, show.id, show.first[:1], None)) == [5000]
    assert unit_prices(await held(stack, who, show.id, show.first[1:2], (0, 2))) == [3500]
    two = await held(stack, who, show.id, show.second[:2], (1, 3))
    assert unit_prices(two) == [1300, 1300]
    assert two["total"]["amount"] == 2600
    booked = await stack.client("booking").data(
        CHECKOUT, {"hold": two["id"], "key": uuid.uuid4().hex}, who.token)
    assert booked["checkout"]["total"]["amount"] == 2600
    assert [x["price"]["amount"] for x in booked["checkout"]["lines"]] == [1300, 1300]


async def test_a_fare_class_prices_a_percent_of_the_fare_half_up(
        stack: Stack, actors: Actors) -> None:
    show = await fared_show(stack, actors.organizer, fares=LEG_FARES, fareClasses=[
        {"name": "SAVER", "percent": 55, "quota": 3}, {"name": "FLEX", "percent": 120}])
    who = actors.customer
    saver = await held(stack, who, show.id, show.first[:1], (0, 1), "SAVER")
    assert saver["fareClass"] == "SAVER"
    assert unit_prices(saver) == [1100]  # 55 % of 2000
    # 55 % of SECOND's 1000 tier is 550; 55 % of FIRST's 2500 is 1375.
    assert unit_prices(await held(stack, who, show.id, show.first[1:2], (2, 3), "SAVER")) \
        == [1375]
    flex = await held(stack, who, show.id, show.second[:1], (0, 3), "FLEX")
    assert unit_prices(flex) == [1200]
    plain = await held(stack, who, show.id, show.second[1:2], (0, 3))
    assert plain["fareClass"] is None and unit_prices(plain) == [1000]
    listed = await fares_of(stack, show.id, (0, 1))
    assert listed[("FIRST", "SAVER")] == (1100, 3 - 1)
    assert listed[("SECOND", "SAVER")] == (550, 2)
    assert listed[("FIRST", "FLEX")] == (2400, None)
    # 2500 * 55 / 100 = 1375 exactly; 1 % of 150 (a leg of 150) is 1.5: half up is 2.
    odd = await fared_show(stack, actors.organizer, fares={"legAmounts": [
        {"category": "FIRST", "amounts": [150, 150, 150]}]},
        fareClasses=[{"name": "CHEAP", "percent": 1}])
    assert unit_prices(await held(stack, who, odd.id, odd.first[:1], (0, 1), "CHEAP")) == [2]


async def test_a_fare_class_quota_holds_per_leg_and_comes_back_once(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    show = await fared_show(stack, actors.organizer, fares=LEG_FARES,
                            fareClasses=[{"name": "SAVER", "percent": 50, "quota": 2}])
    a, b = actors.customer, actors.other_customer
    first = await held(stack, a, show.id, show.first[:2], (0, 2), "SAVER")
    assert await quotas(dbs["booking"], show.id) == {("SAVER", 0): 2, ("SAVER", 1): 2,
                                                     ("SAVER", 2): 0}
    # Leg 1 has no SAVER seat left: CONFLICT naming the class, and nothing is held.
    refused = await hold(stack, b, show.id, show.first[2:3], (1, 3), "SAVER")
    assert refusal(refused) == ("CONFLICT", "fareClass")
    assert await quotas(dbs["booking"], show.id) == {("SAVER", 0): 2, ("SAVER", 1): 2,
                                                     ("SAVER", 2): 0}
    async with dbs["booking"].reader() as session:
        assert await session.scalar(select(ShowSeat.state).where(
            ShowSeat.show_id == show.id, ShowSeat.seat_id == show.first[2],
            ShowSeat.leg == 2)) == "AVAILABLE"
    # Without the class the seat sells; on leg 2 alone SAVER is still to be had.
    await held(stack, b, show.id, show.first[2:3], (1, 3))
    await held(stack, b, show.id, show.second[:1], (2, 3), "SAVER")
    best = (await stack.client("booking").run(BEST, {
        "show": show.id, "n": 1, "segment": {"from": 0, "to": 1}, "fc": "SAVER"},
        b.token))
    assert refusal(best) == ("CONFLICT", "fareClass")
    # Released: the two seats come back to legs 0 and 1, once.
    released = await stack.client("booking").data(RELEASE, {"h": first["id"]}, a.token)
    assert released["releaseHold"]["status"] == "RELEASED"
    again = await stack.client("booking").run(RELEASE, {"h": first["id"]}, a.token)
    assert refusal(again)[0] == "CONFLICT"
    assert await quotas(dbs["booking"], show.id) == {("SAVER", 0): 0, ("SAVER", 1): 0,
                                                     ("SAVER", 2): 1}
    best = await stack.client("booking").data(BEST, {
        "show": show.id, "n": 1, "segment": {"from": 0, "to": 1}, "fc": "SAVER"}, b.token)
    assert best["holdBestAvailable"]["fareClass"] == "SAVER"
    assert best["holdBestAvailable"]["total"]["amount"] == 1000
    assert (await quotas(dbs["booking"], show.id))[("SAVER", 0)] == 1


async def test_a_cancelled_booking_gives_its_fare_class_seats_back(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    show = await fared_show(stack, actors.organizer,
                            fareClasses=[{"name": "SAVER", "percent": 50, "quota": 1}])
    who = await customer(stack)
    one = await held(stack, who, show.id, show.second[:1], (0, 3), "SAVER")
    booked = await stack.client("booking").data(
        CHECKOUT, {"hold": one["id"], "key": uuid.uuid4().hex}, who.token)
    assert booked["checkout"]["total"]["amount"] == 500
    assert set((await quotas(dbs["booking"], show.id)).values()) == {1}
    await stack.client("booking").data(
        "mutation($b: ID!) { cancelBooking(bookingId: $b) { status } }",
        {"b": booked["checkout"]["id"]}, who.token)
    assert set((await quotas(dbs["booking"], show.id)).values()) == {0}


async def test_prices_changed_afterwards_never_alter_a_hold_or_a_booking(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    show = await fared_show(stack, actors.organizer, fares=LEG_FARES,
                            fareClasses=[{"name": "FLEX", "percent": 110}])
    who = actors.customer
    one = await held(stack, who, show.id, show.first[:1], (0, 2), "FLEX")
    assert unit_prices(one) == [3850]

    async def change_prices(factor: int) -> None:
        async with dbs["booking"].writer() as session, session.begin():
            await session.execute(update(ShowSeat).where(ShowSeat.show_id == show.id)
                                  .values(price_amount=ShowSeat.price_amount * factor))
            await session.execute(update(BookableShow).where(BookableShow.id == show.id)
                                  .values(fares={"legs": {"FIRST": [1, 1, 1]}, "od": {},
                                                 "classes": [{"name": "FLEX",
                                                              "percent": 999}]}))

    await change_prices(3)
    priced = (await stack.client("booking").data(HOLD_PRICE, {"id": one["id"]},
                                                 who.token))["hold"]
    assert [x["unitPrice"]["amount"] for x in priced["lines"]] == [3850]
    booked = await stack.client("booking").data(
        CHECKOUT, {"hold": one["id"], "key": uuid.uuid4().hex}, who.token)
    assert booked["checkout"]["total"]["amount"] == 3850
    await change_prices(2)
    again = await stack.client("booking").data(BOOKING, {"id": booked["checkout"]["id"]},
                                               who.token)
    assert again["booking"]["total"]["amount"] == 3850
    assert [x["price"]["amount"] for x in again["booking"]["lines"]] == [3850]
    async with dbs["booking"].reader() as session:
        stored = await session.scalar(select(HoldFare.prices).where(
            HoldFare.hold_id == one["id"]))
    assert stored == {"FIRST": 3850}


async def bad_show(stack: Stack, organizer: User, **extra: Any) -> tuple[str | None, str | None]:
    venue = await venue_with_rows(stack, organizer)
    body = await stack.client("venue").run(CREATE_SHOW, {"i": show_input(venue["id"], **extra)},
                                           organizer.token)
    shows = await stack.client("venue").data(VENUE_SHOWS, {"id": venue["id"]}, organizer.token)
    assert shows["venue"]["shows"]["nodes"] == []  # nothing was stored
    return refusal(body)


async def test_bad_fares_are_refused_naming_the_field(stack: Stack, actors: Actors) -> None:
    org = actors.organizer
    legs = "input.fares.legAmounts[0]"
    assert await bad_show(stack, org, fares={"legAmounts": [
        {"category": "FIRST", "amounts": [1, 2]}]}) == ("BAD_USER_INPUT", f"{legs}.amounts")
    assert await bad_show(stack, org, fares={"legAmounts": [
        {"category": "FIRST", "amounts": [1, -2, 3]}]}) == ("BAD_USER_INPUT",
                                                            f"{legs}.amounts[1]")
    assert await bad_show(stack, org, fares={"legAmounts": [
        {"category": "THIRD", "amounts": [1, 2, 3]}]}) == ("BAD_USER_INPUT", f"{legs}.category")
    assert await bad_show(stack, org, fares={"odFares": [
        {"from": 0, "to": 3, "category": "FIRST", "amount": 10}]}) == (
        "BAD_USER_INPUT", "input.fares.odFares")
    assert await bad_show(stack, org, fares={"odFares": [
        {"from": 2, "to": 1, "category": "FIRST", "amount": 10}]}) == (
        "BAD_USER_INPUT", "input.fares.odFares[0].from")
    assert await bad_show(stack, org, fares={"odFares": [
        {"from": 0, "to": 1, "category": "FIRST", "amount": -1}]}) == (
        "BAD_USER_INPUT", "input.fares.odFares[0].amount")
    assert await bad_show(stack, org, fareClasses=[{"name": "SAVER", "quota": 9}]) == (
        "BAD_USER_INPUT", "input.fareClasses[0].quota")  # the hall has 8 seats
    assert await bad_show(stack, org, fareClasses=[{"name": "saver"}]) == (
        "BAD_USER_INPUT", "input.fareClasses[0].name")
    assert await bad_show(stack, org, fareClasses=[{"name": "SAVER", "percent": 0}]) == (
        "BAD_USER_INPUT", "input.fareClasses[0].percent")
    assert await bad_show(stack, org, fareClasses=[{"name": "A"}, {"name": "A"}]) == (
        "BAD_USER_INPUT", "input.fareClasses[1].name")


async def test_an_unknown_fare_class_is_refused_and_holds_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    show = await fared_show(stack, actors.organizer,
                            fareClasses=[{"name": "SAVER", "percent": 50, "quota": 2}])
    body = await hold(stack, actors.customer, show.id, show.first[:1], (0, 1), "FIRSTCLASS")
    assert refusal(body) == ("BAD_USER_INPUT", "fareClass")
    async with dbs["booking"].reader() as session:
        assert await session.scalar(select(Hold.id).where(Hold.show_id == show.id)) is None


async def test_a_lapsed_hold_gives_its_fare_class_seats_to_the_next_buyer(
        manual_sweep: Deployment) -> None:
    dep = manual_sweep
    show = await fared_show(dep.stack, dep.actors.organizer,
                            fareClasses=[{"name": "SAVER", "percent": 50, "quota": 1}])
    first = await held(dep.stack, dep.actors.customer, show.id, show.first[:1], None, "SAVER")
    await lapse_hold(dep.dbs["booking"], first["id"])
    # The quota is full until the lapsed hold is swept; the hold sweeps it and goes on.
    second = await held(dep.stack, dep.actors.other_customer, show.id, show.second[:1],
                        (0, 1), "SAVER")
    assert second["fareClass"] == "SAVER"
    async with dep.dbs["booking"].reader() as session:
        assert await session.scalar(select(Hold.status).where(Hold.id == first["id"])) \
            == "EXPIRED"
    assert await quotas(dep.dbs["booking"], show.id) == {("SAVER", 0): 1, ("SAVER", 1): 0,
                                                         ("SAVER", 2): 0}


TYPED_HOLD = """mutation($show: ID!, $seats: [ID!]!, $segment: SegmentInput, $fc: String,
                  $types: [SeatTicketTypeInput!]) {
  holdSeats(showId: $show, seatIds: $seats, segment: $segment, fareClass: $fc,
            ticketTypes: $types) {
    __typename ... on SeatHold { id fareClass
      lines { seatId unitPrice { amount } ticketType { key } } total { amount } } } }"""
TYPED_BEST = """mutation($show: ID!, $n: Int!, $segment: SegmentInput, $fc: String, $t: String,
                  $category: String) {
  holdBestAvailable(showId: $show, quantity: $n, segment: $segment, fareClass: $fc,
                    ticketType: $t, category: $category) {
    __typename ... on SeatHold { id fareClass
      lines { unitPrice { amount } ticketType { key } } total { amount } } } }"""
TYPED_READ = """query($id: ID!) { hold(id: $id) {
  lines { seatId unitPrice { amount } ticketType { key } } total { amount } } }"""
TYPED_CHECKOUT = """mutation($hold: ID!, $key: String!) {
  checkout(holdId: $hold, idempotencyKey: $key) {
    ... on Booking { id total { amount } lines { seatId price { amount } ticketType { key } } }
  } }"""
TYPED_BOOKING = """query($id: ID!) { booking(id: $id) {
  total { amount } lines { seatId price { amount } ticketType { key } } } }"""
# ADULT at the tiers; CHILD at 6093 of FIRST's 9000 and 650 of SECOND's 1000.
JOURNEY_TYPES = [
    {"key": "ADULT", "name": "Adult", "prices": [{"category": "FIRST", "amount": 9000},
                                                 {"category": "SECOND", "amount": 1000}]},
    {"key": "CHILD", "name": "Child", "prices": [{"category": "FIRST", "amount": 6093},
                                                 {"category": "SECOND", "amount": 650}]},
]


async def test_ticket_types_on_a_journey_with_fares_and_a_fare_class(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    """The fare replaces the tier, the type scales it by its price over the tier (half up),
    the class takes its percent (half up); frozen on the hold, copied by checkout."""
    show = await fared_show(stack, actors.organizer, fares=LEG_FARES, ticketTypes=JOURNEY_TYPES,
                            fareClasses=[{"name": "SAVER", "percent": 55, "quota": 3}])
    who = await customer(stack)
    body = await stack.client("booking").run(TYPED_HOLD, {
        "show": show.id, "seats": [show.first[0], show.first[1], show.second[0]],
        "segment": {"from": 0, "to": 2}, "fc": "SAVER",
        "types": [{"seatId": show.first[1], "ticketType": "CHILD"},
                  {"seatId": show.second[0], "ticketType": "child"}]}, who.token)
    assert "errors" not in body, body
    one = body["data"]["holdSeats"]
    # FIRST over legs 0-1: fare 2000 + 1500 = 3500.
    #   ADULT: 3500 * 9000/9000 = 3500, SAVER 55 % = 1925.
    #   CHILD: 3500 * 6093/9000 = 2369.5 -> 2370, SAVER 55 % = 1303.5 -> 1304.
    # SECOND has no fares: its tier 1000, so CHILD is its own price 650; 55 % = 357.5 -> 358.
    expected = [(show.first[0], 1925, "ADULT"), (show.first[1], 1304, "CHILD"),
                (show.second[0], 358, "CHILD")]

    def lines(found: dict[str, Any], price: str = "unitPrice") -> list[tuple[str, int, str]]:
        return [(x["seatId"], x[price]["amount"], x["ticketType"]["key"])
                for x in found["lines"]]

    assert one["fareClass"] == "SAVER"
    assert lines(one) == expected and one["total"]["amount"] == 1925 + 1304 + 358
    assert await quotas(dbs["booking"], show.id) == {("SAVER", 0): 3, ("SAVER", 1): 3,
                                                     ("SAVER", 2): 0}
    # One seat over leg 2 (fare 2500) as CHILD in SAVER, the best available:
    # 2500 * 6093/9000 = 1692.5 -> 1693, 55 % = 931.15 -> 931.
    best = await stack.client("booking").data(TYPED_BEST, {
        "show": show.id, "n": 1, "segment": {"from": 2, "to": 3}, "fc": "SAVER", "t": "CHILD",
        "category": "FIRST"}, who.token)
    assert [(x["unitPrice"]["amount"], x["ticketType"]["key"])
            for x in best["holdBestAvailable"]["lines"]] == [(931, "CHILD")]
    # Without a class, on the whole journey (fare 6000): CHILD 6000 * 6093/9000 = 4062.
    plain = await stack.client("booking").data(TYPED_HOLD, {
        "show": show.id, "seats": [show.first[3]], "segment": None, "fc": None,
        "types": [{"seatId": show.first[3], "ticketType": "CHILD"}]}, who.token)
    assert lines(plain["holdSeats"]) == [(show.first[3], 4062, "CHILD")]

    # Every price source changes afterwards: the hold and its booking keep theirs.
    async with dbs["booking"].writer() as session, session.begin():
        await session.execute(update(ShowSeat).where(ShowSeat.show_id == show.id)
                              .values(price_amount=ShowSeat.price_amount * 3))
        await session.execute(update(BookableShow).where(BookableShow.id == show.id).values(
            fares={"legs": {"FIRST": [1, 1, 1]}, "od": {},
                   "classes": [{"name": "SAVER", "percent": 999, "quota": 3}]}))
        await session.execute(update(ShowTicketType).where(ShowTicketType.show_id == show.id)
                              .values(prices={"FIRST": 1, "SECOND": 1}))
    read = (await stack.client("booking").data(TYPED_READ, {"id": one["id"]},
                                               who.token))["hold"]
    assert lines(read) == expected and read["total"]["amount"] == 3587
    booked = (await stack.client("booking").data(
        TYPED_CHECKOUT, {"hold": one["id"], "key": uuid.uuid4().hex}, who.token))["checkout"]
    assert booked["total"]["amount"] == 3587 and lines(booked, "price") == expected
    again = await stack.client("booking").data(TYPED_BOOKING, {"id": booked["id"]}, who.token)
    assert lines(again["booking"], "price") == expected
    async with dbs["booking"].reader() as session:
        frozen = dict((await session.execute(
            select(HoldTicketLine.place_id, HoldTicketLine.price_amount)
            .where(HoldTicketLine.hold_id == one["id"]))).all())
        fare = await session.get(HoldFare, one["id"])
    assert frozen == {seat: price for seat, price, _ in expected}
    # The hold's fare keeps its class (the quota comes back from it) and untyped prices.
    assert fare is not None and fare.fare_class == "SAVER"
    assert fare.prices == {"FIRST": 1925, "SECOND": 550}
