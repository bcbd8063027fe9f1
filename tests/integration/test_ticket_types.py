"""Ticket types: Adult, Child, Senior sold for the same seats and standing places.

A show is created with ticket types (each priced per category, with a minimum and maximum
per order); booking prices every seat or place of a hold at its type's price for its
category, frozen on the hold when it is made; lines, totals, bookings, e-tickets and the
confirmation mail name the type. A show without types sells as before.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from subgraphs.booking.models import Hold, HoldTicketLine, ShowTicketType
from subgraphs.kernel.events import Event, ShowPublished
from subgraphs.notification import tickets
from subgraphs.venue.models import Show as VenueShow
from subgraphs.venue.models import TicketType as VenueTicketType
from tests.flows import User
from tests.harness import eventually
from tests.integration.conftest import own_deployment
from tests.integration.mailbox import SmtpServer, mail_settings, text_body, tokens
from tests.integration.seating import Venues, at, small_map
from tests.integration.support import Deployment, count, refusal
from tests.integration.test_notifications import CONFIRMATION, known
from tests.payments import pay, wait_booking

PRICES = {  # type -> category -> minor units
    "ADULT": {"STANDARD": 1000, "PREMIUM": 1500, "STANDING": 800},
    "CHILD": {"STANDARD": 600, "PREMIUM": 900, "STANDING": 500},
    "SENIOR": {"STANDARD": 700, "PREMIUM": 1100, "STANDING": 600},
}
NAMES = {"ADULT": "Adult", "CHILD": "Child", "SENIOR": "Senior"}
TIERS = [{"category": "STANDARD", "amount": 1200}, {"category": "PREMIUM", "amount": 1800},
         {"category": "STANDING", "amount": 900}]
TYPES_QUERY = """query($id: ID!) { show(id: $id) { ticketTypes { key name eligibility
  prices { category price { amount currency } } minPerOrder maxPerOrder default } } }"""
LINES = """lines { seatId sectionId label quantity unitPrice { amount } price { amount }
  discount { amount } ticketType { key name } } total { amount currency }"""
HOLD = f"""mutation($show: ID!, $seats: [ID!]!, $types: [SeatTicketTypeInput!], $code: String) {{
  holdSeats(showId: $show, seatIds: $seats, ticketTypes: $types, promoCode: $code) {{
    __typename ... on SeatHold {{ id {LINES} }} ... on SeatsUnavailable {{ seatIds }} }} }}"""
HOLD_BEST = f"""mutation($show: ID!, $n: Int!, $type: String, $category: String) {{
  holdBestAvailable(showId: $show, quantity: $n, ticketType: $type, category: $category) {{
    __typename ... on SeatHold {{ id {LINES} }} ... on SoldOut {{ available }} }} }}"""
HOLD_GA = f"""mutation($show: ID!, $section: ID!, $n: Int!, $type: String) {{
  holdGeneralAdmission(showId: $show, sectionId: $section, quantity: $n, ticketType: $type) {{
    __typename ... on SeatHold {{ id {LINES} }} ... on SoldOut {{ available }} }} }}"""
READ_HOLD = f"query($id: ID!) {{ hold(id: $id) {{ id {LINES} }} }}"
CHECKOUT = """mutation($hold: ID!, $key: String!) { checkout(holdId: $hold, idempotencyKey: $key) {
  __typename ... on Booking { id status total { amount } discount { amount }
    lines { seatId label price { amount } discount { amount } ticketType { key name } }
    generalAdmission { sectionId quantity unitPrice { amount } price { amount }
                       ticketType { key name } } } } }"""
CREATE_SHOW = "mutation($i: CreateShowInput!) { createShow(input: $i) { id } }"
PUBLISH = "mutation($id: ID!) { publishShow(id: $id) { id status } }"
SEATS = "query($id: ID!) { venue(id: $id) { seats { id label category } } }"
CREATE_CODE = """mutation($i: CreatePromoCodeInput!) { createPromoCode(input: $i) { id code } }"""
AVAILABILITY = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Show { availability { total } } } }"""


def types_input(**changes: dict[str, Any]) -> list[dict[str, Any]]:
    """ADULT (the default), CHILD (at most 4 a hold) and SENIOR (at least 2 a hold)."""
    found: list[dict[str, Any]] = [{"key": key, "name": NAMES[key],
              "prices": [{"category": c, "amount": a} for c, a in prices.items()]}
             for key, prices in PRICES.items()]
    found[1] |= {"eligibility": "Under 12", "maxPerOrder": 4}
    found[2] |= {"minPerOrder": 2}
    for t in found:
        t |= changes.get(str(t["key"]), {})
    return found


@dataclass
class TypedShow:
    id: str
    section_id: str
    seats: dict[str, list[str]]  # category -> seat ids, map order


@pytest.fixture(scope="module")
async def typed(mode: str, tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer
                ) -> AsyncIterator[Deployment]:
    async with own_deployment(mode, tmp_path_factory, "types", **mail_settings(smtp),
                              notification_retry_seconds=0.3) as running:
        yield running


async def new_show(d: Deployment, ticket_types: list[dict[str, Any]] | None) -> TypedShow:
    """A show on sale in a hall of two STANDARD seats, two PREMIUM seats and a floor of 20."""
    organizer = d.actors.organizer
    venues = Venues(d.stack.client("venue"))
    hall = await venues.hall(organizer, small_map(categories=("STANDARD", "PREMIUM"),
                                                  standing=20))
    venue = d.stack.client("venue")
    made = await venue.data(CREATE_SHOW, {"i": {
        "hallId": hall["id"], "title": "Typed Show", "startsAt": at(19, day=5),
        "currency": "EUR", "priceTiers": TIERS,
        **({"ticketTypes": ticket_types} if ticket_types is not None else {})}},
        organizer.token)
    show_id = made["createShow"]["id"]
    await venue.data(PUBLISH, {"id": show_id}, organizer.token)
    booking = d.stack.client("booking")

    async def on_sale() -> bool:
        body = await booking.run(AVAILABILITY, {"r": [{"__typename": "Show", "id": show_id}]})
        found = ((body.get("data") or {}).get("_entities") or [None])[0]
        return bool(found and found["availability"])

    await eventually(on_sale)
    seats = (await venue.data(SEATS, {"id": hall["venueId"]}))["venue"]["seats"]
    by_category: dict[str, list[str]] = {}
    for s in seats:
        by_category.setdefault(s["category"], []).append(s["id"])
    floor = next(s for s in hall["sections"] if s["generalAdmission"])
    return TypedShow(show_id, floor["id"], by_category)


def line_view(lines: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(x["seatId"] or x["sectionId"], x["quantity"], x["unitPrice"]["amount"],
             x["price"]["amount"], x["ticketType"] and x["ticketType"]["key"],
             x["ticketType"] and x["ticketType"]["name"]) for x in lines]


async def hold_seats(d: Deployment, who: User, show: TypedShow, seats: list[str],
                     types: list[dict[str, str]] | None = None,
                     code: str | None = None) -> dict[str, Any]:
    return await d.stack.client("booking").run(
        HOLD, {"show": show.id, "seats": seats, "types": types, "code": code}, who.token)


async def checkout(d: Deployment, who: User, hold_id: str) -> dict[str, Any]:
    body = await d.stack.client("booking").data(
        CHECKOUT, {"hold": hold_id, "key": uuid.uuid4().hex}, who.token)
    assert body["checkout"]["__typename"] == "Booking", body
    return body["checkout"]  # type: ignore[no-any-return]


async def test_a_show_lists_its_types_and_holds_price_each_seat_by_its_type(
        typed: Deployment) -> None:
    d, who = typed, typed.actors.customer
    show = await new_show(d, types_input())
    listed = await d.stack.client("venue").data(TYPES_QUERY, {"id": show.id})
    assert [(t["key"], t["name"], t["eligibility"], t["minPerOrder"], t["maxPerOrder"],
             t["default"]) for t in listed["show"]["ticketTypes"]] == [
        ("ADULT", "Adult", None, 0, None, True), ("CHILD", "Child", "Under 12", 0, 4, False),
        ("SENIOR", "Senior", None, 2, None, False)]
    assert {p["category"]: p["price"] for p in listed["show"]["ticketTypes"][1]["prices"]} == {
        c: {"amount": a, "currency": "EUR"} for c, a in PRICES["CHILD"].items()}

    standard, premium = show.seats["STANDARD"], show.seats["PREMIUM"]
    # One child in premium among adults; the seats named nothing are the default (Adult).
    body = await hold_seats(d, who, show, [standard[0], premium[0], premium[1]],
                            [{"seatId": premium[1], "ticketType": "child"}])
    held = body["data"]["holdSeats"]
    assert held["__typename"] == "SeatHold", body
    expected = [(standard[0], 1, 1000, 1000, "ADULT", "Adult"),
                (premium[0], 1, 1500, 1500, "ADULT", "Adult"),
                (premium[1], 1, 900, 900, "CHILD", "Child")]
    assert sorted(line_view(held["lines"])) == sorted(expected)
    assert held["total"] == {"amount": 3400, "currency": "EUR"}
    # Read back (not the answer the mutation primed): the same.
    again = await d.stack.client("booking").data(READ_HOLD, {"id": held["id"]}, who.token)
    assert sorted(line_view(again["hold"]["lines"])) == sorted(expected)
    assert again["hold"]["total"]["amount"] == 3400

    booking = await checkout(d, who, held["id"])
    assert booking["total"] == {"amount": 3400}
    assert sorted((x["seatId"], x["price"]["amount"], x["ticketType"]["key"],
                   x["ticketType"]["name"]) for x in booking["lines"]) == sorted(
        (s, p, k, n) for s, _, p, _, k, n in expected)


async def test_best_seats_and_standing_places_are_all_of_the_type_asked_for(
        typed: Deployment) -> None:
    d, who = typed, typed.actors.other_customer
    show = await new_show(d, types_input())
    booking = d.stack.client("booking")
    best = (await booking.data(HOLD_BEST, {"show": show.id, "n": 2, "type": "CHILD",
                                           "category": "PREMIUM"}, who.token))
    held = best["holdBestAvailable"]
    assert held["__typename"] == "SeatHold", best
    assert sorted(line_view(held["lines"])) == sorted(
        (s, 1, 900, 900, "CHILD", "Child") for s in show.seats["PREMIUM"])
    assert held["total"]["amount"] == 1800

    places = (await booking.data(HOLD_GA, {"show": show.id, "section": show.section_id,
                                           "n": 3, "type": "SENIOR"}, who.token))
    held = places["holdGeneralAdmission"]
    assert line_view(held["lines"]) == [(show.section_id, 3, 600, 1800, "SENIOR", "Senior")]
    assert held["total"]["amount"] == 1800
    bought = await checkout(d, who, held["id"])
    assert bought["total"] == {"amount": 1800}
    assert [(g["quantity"], g["unitPrice"]["amount"], g["price"]["amount"],
             g["ticketType"]["key"]) for g in bought["generalAdmission"]] == [
        (3, 600, 1800, "SENIOR")]

    # Without a type: the default type's price, not the price tier.
    plain = (await booking.data(HOLD_GA, {"show": show.id, "section": show.section_id,
                                          "n": 1, "type": None}, who.token))
    assert line_view(plain["holdGeneralAdmission"]["lines"]) == [
        (show.section_id, 1, 800, 800, "ADULT", "Adult")]


async def test_a_show_without_types_sells_at_its_tiers_and_refuses_a_type(
        typed: Deployment) -> None:
    d, who = typed, typed.actors.customer
    show = await new_show(d, None)
    listed = await d.stack.client("venue").data(TYPES_QUERY, {"id": show.id})
    assert listed["show"]["ticketTypes"] == []
    body = await hold_seats(d, who, show, show.seats["PREMIUM"][:1])
    held = body["data"]["holdSeats"]
    assert line_view(held["lines"]) == [(show.seats["PREMIUM"][0], 1, 1800, 1800, None, None)]
    booking = await checkout(d, who, held["id"])
    assert [x["ticketType"] for x in booking["lines"]] == [None]
    assert booking["total"] == {"amount": 1800}
    async with d.dbs["booking"].reader() as s:
        assert await s.scalar(select(HoldTicketLine).where(
            HoldTicketLine.hold_id == held["id"])) is None

    before = await count(d.dbs["booking"], Hold)
    body = await hold_seats(d, who, show, show.seats["STANDARD"][:1],
                            [{"seatId": show.seats["STANDARD"][0], "ticketType": "ADULT"}])
    assert refusal(body) == ("BAD_USER_INPUT", "ticketTypes")
    body = await d.stack.client("booking").run(
        HOLD_GA, {"show": show.id, "section": show.section_id, "n": 1, "type": "ADULT"},
        who.token)
    assert refusal(body) == ("BAD_USER_INPUT", "ticketType")
    assert await count(d.dbs["booking"], Hold) == before


async def test_minimum_and_maximum_per_order_and_unknown_choices_hold_nothing(
        typed: Deployment) -> None:
    d, who = typed, typed.actors.other_customer
    show = await new_show(d, types_input())
    standard, premium = show.seats["STANDARD"], show.seats["PREMIUM"]
    booking = d.stack.client("booking")
    before = await count(d.dbs["booking"], Hold)

    # Senior: at least two a hold.
    body = await hold_seats(d, who, show, [standard[0], standard[1]],
                            [{"seatId": standard[0], "ticketType": "SENIOR"}])
    error = body["errors"][0]
    assert refusal(body) == ("BAD_USER_INPUT", "ticketTypes")
    assert error["extensions"]["ticketType"] == "SENIOR"
    assert error["extensions"]["minPerOrder"] == 2
    # Child: at most four a hold.
    body = await booking.run(HOLD_GA, {"show": show.id, "section": show.section_id, "n": 5,
                                       "type": "CHILD"}, who.token)
    assert refusal(body) == ("BAD_USER_INPUT", "ticketType")
    assert body["errors"][0]["extensions"]["maxPerOrder"] == 4
    # An unknown type, a seat that is not held, a seat typed twice.
    body = await hold_seats(d, who, show, [standard[0]],
                            [{"seatId": standard[0], "ticketType": "STUDENT"}])
    assert refusal(body) == ("BAD_USER_INPUT", "ticketTypes[0].ticketType")
    body = await hold_seats(d, who, show, [standard[0]],
                            [{"seatId": premium[0], "ticketType": "CHILD"}])
    assert refusal(body) == ("BAD_USER_INPUT", "ticketTypes[0].seatId")
    body = await hold_seats(d, who, show, [standard[0]],
                            [{"seatId": standard[0], "ticketType": "CHILD"},
                             {"seatId": standard[0], "ticketType": "ADULT"}])
    assert refusal(body) == ("BAD_USER_INPUT", "ticketTypes[1].seatId")
    body = await booking.run(HOLD_BEST, {"show": show.id, "n": 1, "type": "NOPE"}, who.token)
    assert refusal(body) == ("BAD_USER_INPUT", "ticketType")
    assert await count(d.dbs["booking"], Hold) == before

    # Two seniors are fine.
    body = await hold_seats(d, who, show, [standard[0], standard[1]],
                            [{"seatId": standard[0], "ticketType": "SENIOR"},
                             {"seatId": standard[1], "ticketType": "SENIOR"}])
    assert body["data"]["holdSeats"]["total"]["amount"] == 1400


@pytest.mark.parametrize(("changes", "field"), [
    ({"CHILD": {"prices": [{"category": "STANDARD", "amount": 600},
                           {"category": "STANDING", "amount": 500}]}},
     "input.ticketTypes[1].prices"),  # PREMIUM is not priced
    ({"CHILD": {"prices": [{"category": c, "amount": 1} for c in
                           ("STANDARD", "PREMIUM", "STANDING", "BALCONY")]}},
     "input.ticketTypes[1].prices"),  # the hall has no BALCONY
    ({"CHILD": {"prices": [{"category": "STANDARD", "amount": -1},
                           {"category": "PREMIUM", "amount": 1},
                           {"category": "STANDING", "amount": 1}]}},
     "input.ticketTypes[1].prices[0].amount"),
    ({"CHILD": {"prices": [{"category": "STANDARD", "amount": 1},
                           {"category": "STANDARD", "amount": 2}]}},
     "input.ticketTypes[1].prices[1].category"),
    ({"CHILD": {"key": "ADULT"}}, "input.ticketTypes[1].key"),
    ({"CHILD": {"key": "child pass"}}, "input.ticketTypes[1].key"),
    ({"CHILD": {"name": "  "}}, "input.ticketTypes[1].name"),
    ({"SENIOR": {"minPerOrder": 3, "maxPerOrder": 2}}, "input.ticketTypes[2].maxPerOrder"),
    ({"SENIOR": {"minPerOrder": -1}}, "input.ticketTypes[2].minPerOrder"),
])
async def test_bad_ticket_types_are_refused_naming_the_field_and_store_nothing(
        typed: Deployment, changes: dict[str, dict[str, Any]], field: str) -> None:
    d, organizer = typed, typed.actors.organizer
    hall = await Venues(d.stack.client("venue")).hall(
        organizer, small_map(categories=("STANDARD", "PREMIUM"), standing=20))
    before = (await count(d.dbs["venue"], VenueShow), await count(d.dbs["venue"],
                                                                  VenueTicketType))
    body = await d.stack.client("venue").run(CREATE_SHOW, {"i": {
        "hallId": hall["id"], "title": "Bad Types", "startsAt": at(19, day=6),
        "currency": "EUR", "priceTiers": TIERS, "ticketTypes": types_input(**changes)}},
        organizer.token)
    assert refusal(body) == ("BAD_USER_INPUT", field)
    assert (await count(d.dbs["venue"], VenueShow),
            await count(d.dbs["venue"], VenueTicketType)) == before


async def test_a_price_change_after_the_hold_alters_neither_hold_nor_booking(
        typed: Deployment) -> None:
    d, who = typed, typed.actors.customer
    show = await new_show(d, types_input())
    standard = show.seats["STANDARD"]
    body = await hold_seats(d, who, show, [standard[0]],
                            [{"seatId": standard[0], "ticketType": "CHILD"}])
    held = body["data"]["holdSeats"]
    assert held["total"]["amount"] == 600
    # The show's Child price goes up in booking (as a price change would bring it) and
    # this process forgets what it read of the types.
    async with d.dbs["booking"].writer() as s:
        await s.execute(update(ShowTicketType).where(
            ShowTicketType.show_id == show.id, ShowTicketType.key == "CHILD")
            .values(prices={"STANDARD": 650, "PREMIUM": 950, "STANDING": 550}))
        await s.commit()
    d.services["booking"].state.pop("ticket_types", None)

    read = await d.stack.client("booking").data(READ_HOLD, {"id": held["id"]}, who.token)
    assert line_view(read["hold"]["lines"]) == [(standard[0], 1, 600, 600, "CHILD", "Child")]
    assert read["hold"]["total"]["amount"] == 600
    bought = await checkout(d, who, held["id"])
    assert bought["total"] == {"amount": 600}
    assert [x["price"]["amount"] for x in bought["lines"]] == [600]
    # A hold made now pays the new price: the change did reach booking.
    body = await hold_seats(d, who, show, [standard[1]],
                            [{"seatId": standard[1], "ticketType": "CHILD"}])
    assert body["data"]["holdSeats"]["total"]["amount"] == 650


async def test_a_promo_code_discounts_the_typed_prices(typed: Deployment) -> None:
    d, who = typed, typed.actors.other_customer
    show = await new_show(d, types_input())
    code = f"HALF{uuid.uuid4().hex[:6].upper()}"
    await d.stack.client("booking").data(CREATE_CODE, {"i": {
        "code": code, "kind": "PERCENT", "percent": 50, "showIds": [show.id]}},
        d.actors.organizer.token)
    premium = show.seats["PREMIUM"]
    body = await hold_seats(d, who, show, premium,
                            [{"seatId": premium[1], "ticketType": "CHILD"}], code=code)
    held = body["data"]["holdSeats"]
    assert held["__typename"] == "SeatHold", body
    assert sorted((x["price"]["amount"], x["discount"]["amount"]) for x in held["lines"]) == [
        (900, 450), (1500, 750)]
    assert held["total"]["amount"] == 1200
    bought = await checkout(d, who, held["id"])
    assert bought["total"] == {"amount": 1200} and bought["discount"] == {"amount": 1200}


async def test_the_confirmation_mail_and_the_e_tickets_name_the_type(
        typed: Deployment, smtp: SmtpServer) -> None:
    d, who = typed, typed.actors.customer
    await known(d, who)
    show = await new_show(d, types_input())
    premium = show.seats["PREMIUM"]
    body = await hold_seats(d, who, show, premium,
                            [{"seatId": premium[0], "ticketType": "CHILD"}])
    bought = await checkout(d, who, body["data"]["holdSeats"]["id"])
    paid = await pay(d.stack.client("payment"), who, bought["id"])
    assert paid["status"] == "SUCCEEDED", paid
    await wait_booking(d.stack.client("booking"), who, bought["id"], "CONFIRMED")
    subject = CONFIRMATION + "Typed Show"

    async def confirmation() -> Any:
        found = [m for m in smtp.mailbox.to(who.email, subject) if bought["id"] in text_body(m)]
        return found[0] if found else None

    mail = await eventually(confirmation)
    labels = {s["id"]: s["label"] for s in (await d.stack.client("venue").data(
        "query($id: ID!) { show(id: $id) { venue { seats { id label } } } }",
        {"id": show.id}))["show"]["venue"]["seats"]}
    text = text_body(mail)
    assert f"{labels[premium[0]]} (Child)," in text
    assert f"{labels[premium[1]]} (Adult)," in text
    base = d.stack.url("notification").removesuffix("/graphql")
    async with httpx.AsyncClient() as client:
        jwks = (await client.get(f"{base}/.well-known/ticket-keys.json")).json()
    claims = {c["seat"]: c.get("type") for c in
              (tickets.verify_ticket(t, jwks) for t in tokens(mail))}
    assert claims == {labels[premium[0]]: "Child", labels[premium[1]]: "Adult"}


def test_an_older_show_published_event_reads_without_ticket_types() -> None:
    old = Event(type="ShowPublished", source="venue", payload={
        "show_id": "s", "venue_id": "v", "organizer_id": "o", "title": "t",
        "starts_at": "2030-01-01T00:00:00+00:00", "ends_at": "2030-01-01T02:00:00+00:00",
        "currency": "EUR", "seats": []})
    assert ShowPublished.read(old).ticket_types == []


HOLD_KEYED = """mutation($show: ID!, $seats: [ID!]!, $types: [SeatTicketTypeInput!], $key: String) {
  holdSeats(showId: $show, seatIds: $seats, ticketTypes: $types, idempotencyKey: $key) {
    __typename ... on SeatHold { id total { amount } } } }"""


async def test_a_retried_hold_returns_the_first_and_other_types_under_its_key_conflict(
        typed: Deployment) -> None:
    d, who = typed, typed.actors.customer
    show = await new_show(d, types_input())
    booking, seat = d.stack.client("booking"), show.seats["STANDARD"][0]
    key = uuid.uuid4().hex
    child = [{"seatId": seat, "ticketType": "CHILD"}]
    first = await booking.data(HOLD_KEYED, {"show": show.id, "seats": [seat], "types": child,
                                            "key": key}, who.token)
    again = await booking.data(HOLD_KEYED, {"show": show.id, "seats": [seat], "types": child,
                                            "key": key}, who.token)
    assert again["holdSeats"] == first["holdSeats"]
    assert first["holdSeats"]["total"] == {"amount": 600}
    before = await count(d.dbs["booking"], Hold)
    body = await booking.run(HOLD_KEYED, {"show": show.id, "seats": [seat], "types": None,
                                          "key": key}, who.token)
    assert refusal(body)[0] == "CONFLICT"
    assert await count(d.dbs["booking"], Hold) == before
