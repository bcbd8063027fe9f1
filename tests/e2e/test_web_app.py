"""The web app in a real browser against the real processes and router, in both modes.

The data comes through the API (an organizer's show and journey on sale, customers with
passwords); ``web/e2e/customer.mjs`` drives Chromium through the customer's flows on the app
the router serves (web/dist, built by ``make web``); then the graph and the e-tickets' signatures
are checked here. Screenshots of every step: ``test-artifacts/web/<mode>/NN-step.png``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import jwt
import pytest

from tests.e2e.browser import (
    artifacts_of,
    customer,
    organizer_sign_in,
    require_browser,
    run_browser,
)
from tests.flows import Actors, login, show_on_sale
from tests.harness import GraphQL, Processes, Stack, another_router, eventually

BOOKING = """query($id: ID!) { booking(id: $id) {
  id status show { id } lines { seatId label }
  payment { status attempts refunded { amount } } tickets { id label token } } }"""
HOLD = """query($id: ID!) { hold(id: $id) { id status seatIds segment { from to }
  show { id } } }"""
AVAILABILITY = """query($id: ID!) { show(id: $id) { availability {
  total available held sold } } }"""
MY_BOOKINGS = """{ me { email bookings { id status show { id }
  payment { status refunded { amount currency } } } } }"""
PROMO_CODES = """{ promoCodes { code kind percent amount { amount } showIds categories
  maxRedemptions maxPerCustomer redeemed unlocksCategories active } }"""
PROMO_BOOKING = """query($id: ID!) { booking(id: $id) { status show { id } lines { seatId }
  discount { amount currency } total { amount currency } } }"""


CREATE_HALL = """mutation($v: ID!, $m: JSON!) { createHall(venueId: $v, seatMap: $m) {
  id sections { id } } }"""
CREATE_SHOW = """mutation($i: CreateShowInput!) { createShow(input: $i) { id } }"""
PUBLISH = """mutation($id: ID!) { publishShow(id: $id) { status } }"""
STANDING_AVAILABILITY = """query($id: ID!) { show(id: $id) { availability {
  generalAdmission { sectionId available held } } } }"""


async def standing_show(router: GraphQL, token: str, venue_id: str) -> tuple[str, str]:
    """A show on sale in a standing-only hall (50 places of "Floor" at 1.250 KWD, a currency
    of three minor digits): its id and the section's."""
    seat_map = {"format": "ticketflow.seatmap/v1", "name": "Web Standing",
                "sections": [{"key": "floor", "name": "Floor",
                              "generalAdmission": {"capacity": 50, "category": "STANDING"}}]}
    hall = (await router.data(CREATE_HALL, {"v": venue_id, "m": seat_map}, token))["createHall"]
    show = await router.data(CREATE_SHOW, {"i": {
        "hallId": hall["id"], "title": "Standing Web Show", "startsAt": "2031-05-18T18:00:00+00:00",
        "price": {"amount": 1250, "currency": "KWD"}}}, token)
    show_id = show["createShow"]["id"]
    await router.data(PUBLISH, {"id": show_id}, token)

    async def on_sale() -> bool:
        body = await router.run(STANDING_AVAILABILITY, {"id": show_id})
        availability = ((body.get("data") or {}).get("show") or {}).get("availability")
        return bool(availability and availability["generalAdmission"])

    await eventually(on_sale)
    return show_id, hall["sections"][0]["id"]


async def test_customer_flows_in_a_browser(
    e2e: tuple[Stack, Processes], e2e_actors: Actors, mode: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    require_browser()
    stack, _ = e2e
    router = GraphQL(stack.router_url)
    organizer = e2e_actors.organizer
    # A day no other test uses, in Berlin: the shows list filtered to that day finds it,
    # at 20:00 local time.
    show = await show_on_sale(router, router, organizer, via_router=True, price=1250,
                              time_zone="Europe/Berlin", starts_at="2031-05-17T18:00:00+00:00")
    journey = await show_on_sale(router, router, organizer, via_router=True,
                                 stops=["Berlin", "Leipzig", "Munich"],
                                 starts_at="2030-01-02T08:00:00+00:00")
    standing_id, floor_id = await standing_show(router, organizer.token, show.venue_id)
    a = await customer(stack, router, "Ada Web")
    b = await customer(stack, router, "Bob Web")
    newcomer = {"email": f"new-{uuid.uuid4().hex[:8]}@example.com",
                "password": "a long web password", "name": "Cleo Web"}
    seats = [{"id": s["id"], "label": s["label"]} for s in show.seats]
    data = {"customerA": a, "customerB": b, "newCustomer": newcomer,
            "show": {"id": show.id, "seats": seats[:2], "day": "2031-05-17"},
            "standing": {"id": standing_id, "section": "Floor"},
            "journey": {"id": journey.id, "from": 1, "to": 2,
                        "seats": [{"id": s["id"], "label": s["label"]} for s in journey.seats[:1]]},
            "organizer": organizer_sign_in(e2e_actors),
            "promo": {"code": f"WEB-{uuid.uuid4().hex[:6].upper()}", "seat": seats[2]}}

    # The browser goes through a router of its own that runs trusted documents only: every
    # document the app sends on these flows must be in schema/trusted-documents.json.
    work = tmp_path_factory.mktemp("web")
    async with another_router(stack, work, {"TICKETFLOW_TRUSTED_DOCUMENTS": "true"}) as url:
        status, printed, seen = await run_browser("customer.mjs", url, artifacts_of(mode), data,
                                                  work)
    assert status == 0, f"the browser flows failed:\n{printed}\n{json.dumps(seen, indent=2)}"
    assert not seen.get("pageErrors"), seen["pageErrors"]

    # the shows list, filtered to the show's day: its local time in Berlin and its price
    assert "20:00" in seen["showCard"] and "Europe/Berlin" in seen["showCard"], seen["showCard"]
    assert "from €12.50" in seen["showCard"]

    # (1) B was told in words, and got nothing
    assert f"Seat {seats[0]['label']} was just taken by someone else" in seen["takenWords"]
    assert seen["holdTotal"] == "€25.00"  # two seats at 12.50 EUR, en-GB
    b_bookings = await router.data(MY_BOOKINGS, token=b["token"])
    assert b_bookings["me"]["bookings"] == []

    # (2) A's booking is paid (a declined attempt, then a good one), its two seats sold
    booked = (await router.data(BOOKING, {"id": seen["bookingA"]}, a["token"]))["booking"]
    assert booked["status"] == "CONFIRMED"
    assert booked["show"]["id"] == show.id
    assert sorted(line["seatId"] for line in booked["lines"]) == sorted(s["id"] for s in seats[:2])
    assert booked["payment"]["status"] == "SUCCEEDED"
    assert booked["payment"]["attempts"] == 2
    assert "card_declined" in seen["declinedWords"]

    # ... and its QR codes are e-tickets signed with a key of Query.ticketKeys, one per seat
    keys = (await router.data("{ ticketKeys }"))["ticketKeys"]
    claims = [verify(ticket["token"], keys) for ticket in seen["tickets"]]
    assert {c["bid"] for c in claims} == {seen["bookingA"]}
    assert {c["sid"] for c in claims} == {show.id}
    assert sorted(c["tid"] for c in claims) == sorted(
        f"{seen['bookingA']}:{s['id']}" for s in seats[:2])
    assert sorted(c["seat"] for c in claims) == sorted(s["label"] for s in seats[:2])
    assert sorted(t["token"] for t in seen["tickets"]) == sorted(
        t["token"] for t in booked["tickets"])
    assert sorted(t["label"] for t in seen["tickets"]) == sorted(
        f"E-ticket for seat {s['label']}" for s in seats[:2])

    # (3) the newcomer registered, paid, cancelled, and was refunded in full
    them = await login(router, newcomer["email"], newcomer["password"])
    mine = (await router.data(MY_BOOKINGS, token=them.token))["me"]
    assert mine["email"] == newcomer["email"]
    assert [(x["id"], x["status"]) for x in mine["bookings"]] == [(seen["bookingC"], "CANCELLED")]
    assert mine["bookings"][0]["payment"] == {"status": "REFUNDED",
                                              "refunded": {"amount": 1250, "currency": "EUR"}}
    assert seen["refundWords"] == "Refunded €12.50."

    # ... held two standing places (at 1.250 KWD each, three minor digits) and let them go
    assert seen["standingTotal"] == "KWD 2.500"
    let_go = (await router.data(HOLD, {"id": seen["standingHold"]}, them.token))["hold"]
    assert (let_go["show"]["id"], let_go["status"]) == (standing_id, "RELEASED")
    floor = (await router.data(STANDING_AVAILABILITY, {"id": standing_id}))["show"]
    assert floor["availability"]["generalAdmission"] == [
        {"sectionId": floor_id, "available": 50, "held": 0}]

    async def settled() -> dict[str, Any] | None:
        got = (await router.data(AVAILABILITY, {"id": show.id}))["show"]["availability"]
        return got if got["held"] == 0 else None

    # A's two seats and the seat booked with the promo code sold; the newcomer's seat back on
    # sale; B holds nothing
    assert await eventually(settled) == {"total": 10, "available": 7, "held": 0, "sold": 3}

    # (4) the journey's hold is A's, on the segment picked, for the seat clicked
    hold = (await router.data(HOLD, {"id": seen["journeyHold"]}, a["token"]))["hold"]
    assert hold["show"]["id"] == journey.id
    assert hold["status"] == "ACTIVE"
    assert hold["segment"] == {"from": 1, "to": 2}
    assert hold["seatIds"] == [journey.seats[0]["id"]]

    # (5) the organizer's list: the show's seats per category, live (sold, held, available,
    # total); the show's page: the live totals, and A's seats drawn sold on the map
    assert seen["organizerRow"] == ["STANDARD", "2", "0", "8", "10"], seen["organizerRow"]
    assert seen["organizerLive"] == "Live: 2 sold, 0 held, 8 available of 10 seats."

    # (6) the promo code: a percentage over 100 refused in words before anything was sent;
    # made in the panel for this show; A's booking with it 20 % off; redeemed once; withdrawn
    code = data["promo"]["code"]
    assert seen["promoRefused"] == "Give the percentage as a whole number from 1 to 100."
    assert seen["promoCreated"] == f"{code} is ready: 20% off."
    assert seen["promoListed"] == "20% off · on every category · 0 of 5 redeemed · 1 per customer"
    assert seen["promoDiscount"] == "\u2212€2.50" and seen["promoTotal"] == "€10.00"
    assert seen["promoRedeemed"] == "20% off · on every category · 1 of 5 redeemed · 1 per customer"
    assert seen["promoWithdrawn"].endswith(" · withdrawn"), seen["promoWithdrawn"]
    codes = (await router.data(PROMO_CODES, token=organizer.token))["promoCodes"]
    assert [c for c in codes if show.id in c["showIds"]] == [{
        "code": code, "kind": "PERCENT", "percent": 20, "amount": None, "showIds": [show.id],
        "categories": [], "maxRedemptions": 5, "maxPerCustomer": 1, "redeemed": 1,
        "unlocksCategories": [], "active": False}]
    with_code = (await router.data(PROMO_BOOKING, {"id": seen["promoBooking"]},
                                   a["token"]))["booking"]
    assert with_code == {"status": "CONFIRMED", "show": {"id": show.id},
                         "lines": [{"seatId": seats[2]["id"]}],
                         "discount": {"amount": 250, "currency": "EUR"},
                         "total": {"amount": 1000, "currency": "EUR"}}

    shots = sorted(p.name for p in artifacts_of(mode).glob("*.png"))
    assert shots[0] == "01-a-signed-in.png" and len(shots) == len(seen["steps"])


def verify(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """A ticket's claims, its EdDSA signature checked with the key its header names."""
    kid = jwt.get_unverified_header(token)["kid"]
    [key] = [k for k in jwks["keys"] if k["kid"] == kid]
    return jwt.decode(token, jwt.PyJWK(key), algorithms=["EdDSA"], issuer="ticketflow-tickets")  # type: ignore[no-any-return]
