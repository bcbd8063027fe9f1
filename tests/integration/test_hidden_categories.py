"""Hidden price categories: venue marks a tier hidden, booking sells its seats and places
only to holds whose promo code unlocks it, and a hold never loses the code that does."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from subgraphs.booking.models import Hold, HoldPromoCode
from subgraphs.kernel.db import Database
from tests.flows import Actors, User
from tests.harness import Stack, eventually
from tests.integration.promo_support import (
    REMOVE,
    TieredShow,
    apply,
    checkout,
    create_code,
    hold,
    tiered_show,
)
from tests.integration.support import count, counts, refusal, seat_rows

HOLD_WITH = """mutation($show: ID!, $seats: [ID!]!, $code: String) {
  holdSeats(showId: $show, seatIds: $seats, promoCode: $code) {
    __typename ... on SeatHold { id promoCode total { amount } discount { amount } }
    ... on SeatsUnavailable { seatIds }
    ... on PromoCodeRejected { reason } } }"""
BEST_WITH = """mutation($show: ID!, $n: Int!, $category: String, $code: String) {
  holdBestAvailable(showId: $show, quantity: $n, category: $category, promoCode: $code) {
    __typename ... on SeatHold { id seatIds promoCode }
    ... on SoldOut { available }
    ... on PromoCodeRejected { reason } } }"""
PLACES_WITH = """mutation($show: ID!, $section: ID!, $n: Int!, $code: String) {
  holdGeneralAdmission(showId: $show, sectionId: $section, quantity: $n, promoCode: $code) {
    __typename ... on SeatHold { id promoCode total { amount } }
    ... on SoldOut { available }
    ... on PromoCodeRejected { reason } } }"""
TIERS = """query($id: ID!) { show(id: $id) { priceTiers { category hidden
  price { amount } } } }"""


@pytest.fixture
async def presale(stack: Stack, actors: Actors) -> TieredShow:
    """VIP (row A, 50.00) is hidden; STANDARD (row B, 20.00) is not; two seats each."""
    return await tiered_show(stack, actors.organizer, "EUR", {"VIP": 5000, "STANDARD": 2000},
                             seats_per_row=2, hidden=("VIP",))


async def holding(stack: Stack, who: User, show_id: str, seats: list[str],
                  code: str | None = None) -> dict[str, Any]:
    return await stack.client("booking").run(HOLD_WITH, {"show": show_id, "seats": seats,
                                                         "code": code}, who.token)


async def test_venue_shows_which_tiers_are_hidden(stack: Stack, presale: TieredShow) -> None:
    body = await stack.client("venue").data(TIERS, {"id": presale.id})
    assert sorted((t["category"], t["hidden"]) for t in body["show"]["priceTiers"]) == [
        ("STANDARD", False), ("VIP", True)]


async def test_hidden_seats_are_held_only_with_a_code_that_unlocks_them(
        stack: Stack, actors: Actors, dbs: dict[str, Database], presale: TieredShow) -> None:
    booking, db = stack.client("booking"), dbs["booking"]
    vip, standard = presale.of("VIP"), presale.of("STANDARD")
    opens = await create_code(booking, actors.organizer, percent=10,
                              unlocksCategories=["VIP"])
    other = await create_code(booking, actors.organizer, percent=10)
    before = (await seat_rows(db, presale.id), await counts(db, Hold, HoldPromoCode))
    for code in (None, other["code"]):
        body = await holding(stack, actors.customer, presale.id, [standard[0], vip[0]], code)
        assert refusal(body) == ("BAD_USER_INPUT", "seatIds")
        assert body["errors"][0]["extensions"]["seatIds"] == [vip[0]]
    # A code that cannot be used holds nothing either.
    body = await holding(stack, actors.customer, presale.id, [standard[0]], "NO-SUCH-CODE")
    assert body["data"]["holdSeats"] == {"__typename": "PromoCodeRejected",
                                         "reason": "NOT_FOUND"}
    assert (await seat_rows(db, presale.id), await counts(db, Hold, HoldPromoCode)) == before
    # Anyone may hold the open category without a code.
    assert (await holding(stack, actors.other_customer, presale.id, [standard[1]]))["data"][
        "holdSeats"]["__typename"] == "SeatHold"

    held = (await holding(stack, actors.customer, presale.id, [vip[0]], opens["code"]))[
        "data"]["holdSeats"]
    assert held["__typename"] == "SeatHold", held
    assert (held["promoCode"], held["total"], held["discount"]) == (
        opens["code"], {"amount": 4500}, {"amount": 500})
    # The code unlocks the seat: it can be neither removed nor swapped for one that doesn't.
    removed = await booking.run(REMOVE, {"hold": held["id"]}, actors.customer.token)
    assert refusal(removed) == ("CONFLICT", "holdId")
    swapped = await apply(booking, actors.customer, held["id"], other["code"])
    assert (swapped["__typename"], swapped["reason"]) == ("PromoCodeRejected",
                                                         "NOT_APPLICABLE")
    read = await booking.data("query($id: ID!) { hold(id: $id) { promoCode } }",
                              {"id": held["id"]}, actors.customer.token)
    assert read["hold"]["promoCode"] == opens["code"]
    booked = await checkout(booking, actors.customer, held["id"])
    assert (booked["__typename"], booked["total"]["amount"]) == ("Booking", 4500)


async def test_a_code_that_unlocks_may_take_nothing_off(
        stack: Stack, actors: Actors, presale: TieredShow) -> None:
    booking = stack.client("booking")
    access = await create_code(booking, actors.organizer, percent=0, unlocksCategories=["VIP"])
    held = (await holding(stack, actors.customer, presale.id, presale.of("VIP"),
                          access["code"]))["data"]["holdSeats"]
    assert (held["total"], held["discount"]) == ({"amount": 10000}, {"amount": 0})
    assert (await checkout(booking, actors.customer, held["id"]))["total"]["amount"] == 10000


async def test_an_unlocking_code_used_up_before_checkout_books_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database], presale: TieredShow) -> None:
    booking = stack.client("booking")
    once = await create_code(booking, actors.organizer, percent=5, maxRedemptions=1,
                             unlocksCategories=["VIP"])
    first = (await holding(stack, actors.customer, presale.id, presale.of("VIP")[:1],
                           once["code"]))["data"]["holdSeats"]["id"]
    second = (await holding(stack, actors.other_customer, presale.id, presale.of("VIP")[1:],
                            once["code"]))["data"]["holdSeats"]["id"]
    assert (await checkout(booking, actors.customer, first))["__typename"] == "Booking"
    refused = await checkout(booking, actors.other_customer, second)
    assert (refused["__typename"], refused["reason"]) == ("PromoCodeRejected", "EXHAUSTED")
    # The hidden seat cannot be bought without the code: removing it is refused.
    assert refusal(await booking.run(REMOVE, {"hold": second},
                                     actors.other_customer.token)) == ("CONFLICT", "holdId")
    # The hold keeps its code (and its seat) until it is released or lapses.
    assert await count(dbs["booking"], HoldPromoCode, HoldPromoCode.hold_id == second) == 1


async def test_best_available_leaves_hidden_seats_out_unless_unlocked(
        stack: Stack, actors: Actors, presale: TieredShow) -> None:
    booking = stack.client("booking")
    await hold(booking, actors.other_customer, presale.id, presale.of("STANDARD"))

    async def best(n: int, category: str | None = None, code: str | None = None
                   ) -> dict[str, Any]:
        return await booking.run(BEST_WITH, {"show": presale.id, "n": n,
                                             "category": category, "code": code},
                                 actors.customer.token)

    # Only hidden seats are left: without a code there is nothing to hold.
    assert (await best(1))["data"]["holdBestAvailable"] == {"__typename": "SoldOut",
                                                            "available": 0}
    assert refusal(await best(1, "VIP")) == ("BAD_USER_INPUT", "category")
    opens = await create_code(booking, actors.organizer, percent=10,
                              unlocksCategories=["VIP"])
    held = (await best(2, None, opens["code"]))["data"]["holdBestAvailable"]
    assert held["__typename"] == "SeatHold", held
    assert sorted(held["seatIds"]) == sorted(presale.of("VIP"))
    assert held["promoCode"] == opens["code"]


async def test_a_hidden_standing_section_needs_an_unlocking_code(
        stack: Stack, actors: Actors) -> None:
    from tests.integration.seating import Venues, at, small_map

    booking, venues = stack.client("booking"), Venues(stack.client("venue"))
    hall = await venues.hall(actors.organizer, small_map(standing=10))
    show = await venues.show(actors.organizer, hall["id"], at(20), price=None, currency="EUR",
                             priceTiers=[{"category": "STANDARD", "amount": 3000},
                                         {"category": "STANDING", "amount": 1000,
                                          "hidden": True}])
    await venues.publish(actors.organizer, show["id"])
    section = next(s["id"] for s in hall["sections"] if s["generalAdmission"])

    async def places(code: str | None) -> dict[str, Any]:
        return await booking.run(PLACES_WITH, {"show": show["id"], "section": section,
                                               "n": 2, "code": code}, actors.customer.token)

    async def on_sale() -> bool:
        body = await places(None)
        return (body.get("errors") or [{}])[0].get("extensions", {}).get("code") \
            != "NOT_FOUND"

    await eventually(on_sale)
    assert refusal(await places(None)) == ("BAD_USER_INPUT", "sectionId")
    opens = await create_code(booking, actors.organizer, percent=50,
                              unlocksCategories=["STANDING"], showIds=[show["id"]])
    held = (await places(opens["code"]))["data"]["holdGeneralAdmission"]
    assert (held["__typename"], held["total"]) == ("SeatHold", {"amount": 1000})


async def test_a_retried_hold_with_another_code_is_a_conflict(
        stack: Stack, actors: Actors, presale: TieredShow) -> None:
    booking = stack.client("booking")
    first = await create_code(booking, actors.organizer, unlocksCategories=["VIP"])
    second = await create_code(booking, actors.organizer, unlocksCategories=["VIP"])
    key = uuid.uuid4().hex
    query = """mutation($show: ID!, $seats: [ID!]!, $code: String, $key: String) {
      holdSeats(showId: $show, seatIds: $seats, promoCode: $code, idempotencyKey: $key) {
        __typename ... on SeatHold { id } } }"""
    seats = presale.of("VIP")[:1]
    made = await booking.data(query, {"show": presale.id, "seats": seats,
                                      "code": first["code"], "key": key},
                              actors.customer.token)
    again = await booking.data(query, {"show": presale.id, "seats": seats,
                                       "code": first["code"], "key": key},
                               actors.customer.token)
    assert again["holdSeats"]["id"] == made["holdSeats"]["id"]
    other = await booking.run(query, {"show": presale.id, "seats": seats,
                                      "code": second["code"], "key": key},
                              actors.customer.token)
    assert refusal(other) == ("CONFLICT", "idempotencyKey")

