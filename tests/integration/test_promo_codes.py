"""Promo codes against booking's real database: the discount on a hold and a booking, the
rounding rule in currencies of 0, 2 and 3 decimals, validity, scopes, limits, refusals that
change nothing, who may do what, and redemptions given back once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from subgraphs.booking.models import Booking, BookingLine, Hold, HoldPromoCode, PromoCode
from subgraphs.kernel.db import Database
from subgraphs.kernel.events import Event, PaymentRefunded
from tests.flows import Actors, User
from tests.harness import Stack, eventually
from tests.integration.promo_support import (
    APPLY,
    CHECKOUT,
    CODES,
    CREATE_CODE,
    DEACTIVATE,
    REMOVE,
    TieredShow,
    apply,
    checkout,
    code_state,
    code_text,
    create_code,
    hold,
    hours,
    tiered_show,
)
from tests.integration.support import count, counts, refusal
from tests.payments import CANCEL_BOOKING, REFUND, pay, wait_booking

EUR = {"VIP": 5000, "STANDARD": 2000}


@pytest.fixture
async def eur(stack: Stack, actors: Actors) -> TieredShow:
    """A fresh EUR show: row A VIP at 50.00, row B STANDARD at 20.00, four seats each."""
    return await tiered_show(stack, actors.organizer, "EUR", EUR)


def amounts(hold_or_booking: dict[str, Any]) -> list[tuple[int, int]]:
    """(price, discount) of each line."""
    return [(line["price"]["amount"], line["discount"]["amount"])
            for line in hold_or_booking["lines"]]


async def stored_booking(db: Database, booking_id: str) -> tuple[Booking, list[BookingLine]]:
    async with db.reader() as session:
        booking = await session.get(Booking, booking_id)
        lines = list(await session.scalars(select(BookingLine)
                                           .where(BookingLine.booking_id == booking_id)
                                           .order_by(BookingLine.label)))
    assert booking is not None
    return booking, lines


# The discount on a hold and on its booking


async def test_a_percent_code_discounts_the_lines_in_scope_and_checkout_keeps_it(
        stack: Stack, actors: Actors, dbs: dict[str, Database], eur: TieredShow) -> None:
    booking = stack.client("booking")
    made = await create_code(booking, actors.organizer, percent=15, categories=["VIP"],
                             showIds=[eur.id])
    assert made["redeemed"] == 0 and made["active"] and made["categories"] == ["VIP"]
    hold_id = await hold(booking, actors.customer, eur.id, [eur.of("VIP")[0],
                                                            eur.of("STANDARD")[0]])
    held = await apply(booking, actors.customer, hold_id, made["code"].lower())
    assert held["__typename"] == "SeatHold", held
    assert held["promoCode"] == made["code"]
    # 15 % of 50.00 is 7.50; STANDARD is out of the code's scope.
    assert amounts(held) == [(5000, 750), (2000, 0)]
    assert held["discount"] == {"amount": 750, "currency": "EUR"}
    assert held["total"] == {"amount": 6250, "currency": "EUR"}

    booked = await checkout(booking, actors.customer, hold_id)
    assert booked["__typename"] == "Booking", booked
    assert booked["total"] == {"amount": 6250, "currency": "EUR"}
    assert booked["discount"] == {"amount": 750}
    assert sorted(amounts(booked)) == [(2000, 0), (5000, 750)]
    stored, lines = await stored_booking(dbs["booking"], booked["id"])
    assert (stored.total_amount, stored.discount_amount) == (6250, 750)
    assert sorted((line.price_amount, line.discount_amount) for line in lines) == [
        (2000, 0), (5000, 750)]
    state = await code_state(dbs["booking"], made["id"])
    assert (state.redeemed, state.redemptions) == (1, 1)

    # The booking keeps its discount whatever happens to the code afterwards.
    await booking.data(DEACTIVATE, {"id": made["id"]}, actors.organizer.token)
    again = await booking.data("""query($id: ID!) { booking(id: $id) { total { amount }
      discount { amount } } }""", {"id": booked["id"]}, actors.customer.token)
    assert again["booking"] == {"total": {"amount": 6250}, "discount": {"amount": 750}}


async def test_payment_charges_the_net_total(
        stack: Stack, actors: Actors, dbs: dict[str, Database], eur: TieredShow) -> None:
    booking = stack.client("booking")
    made = await create_code(booking, actors.organizer, kind="AMOUNT", percent=None,
                             amount={"amount": 1234, "currency": "EUR"})
    hold_id = await hold(booking, actors.customer, eur.id, eur.of("STANDARD")[:2])
    assert (await apply(booking, actors.customer, hold_id, made["code"]))["__typename"] \
        == "SeatHold"
    booked = await checkout(booking, actors.customer, hold_id)
    assert booked["total"]["amount"] == 4000 - 1234
    paid = await pay(stack.client("payment"), actors.customer, booked["id"])
    assert paid["__typename"] == "Payment", paid
    assert paid["amount"] == {"amount": 2766, "currency": "EUR"}
    assert paid["captured"] == {"amount": 2766}
    await wait_booking(booking, actors.customer, booked["id"], "CONFIRMED")


@pytest.mark.parametrize(("currency", "prices", "code", "expected"), [
    # JPY has no minor unit below the yen: 15 % of 999 is 149.85, rounded half up to 150.
    ("JPY", {"STANDARD": 999}, {"percent": 15}, [(999, 150), (999, 150)]),
    # Exactly half a yen rounds up: 50 % of 999 is 499.5.
    ("JPY", {"STANDARD": 999}, {"percent": 50}, [(999, 500), (999, 500)]),
    # KWD has three decimals: 10 % of 1.255 KWD is 0.1255, rounded half up to 0.126.
    ("KWD", {"STANDARD": 1255}, {"percent": 10}, [(1255, 126), (1255, 126)]),
    # Below half a fils rounds down: 3 % of 1.001 KWD is 0.03003, rounded to 0.030.
    ("KWD", {"STANDARD": 1001}, {"percent": 3}, [(1001, 30), (1001, 30)]),
    # An amount fills the lines in order, none below zero: 2.000 KWD over two of 1.255.
    ("KWD", {"STANDARD": 1255}, {"kind": "AMOUNT", "percent": None,
                                 "amount": {"amount": 2000, "currency": "KWD"}},
     [(1255, 1255), (1255, 745)]),
    # More than the whole hold: the total is zero, never below.
    ("EUR", {"STANDARD": 999}, {"kind": "AMOUNT", "percent": None,
                                "amount": {"amount": 5000, "currency": "EUR"}},
     [(999, 999), (999, 999)]),
    # 100 % off is free.
    ("EUR", {"STANDARD": 999}, {"percent": 100}, [(999, 999), (999, 999)]),
])
async def test_the_rounding_rule(stack: Stack, actors: Actors, currency: str,
                                 prices: dict[str, int], code: dict[str, Any],
                                 expected: list[tuple[int, int]]) -> None:
    booking = stack.client("booking")
    show = await tiered_show(stack, actors.organizer, currency, prices, seats_per_row=2)
    made = await create_code(booking, actors.organizer, showIds=[show.id], **code)
    hold_id = await hold(booking, actors.customer, show.id, show.of("STANDARD"))
    held = await apply(booking, actors.customer, hold_id, made["code"])
    assert amounts(held) == expected
    net = sum(p - d for p, d in expected)
    assert held["total"] == {"amount": net, "currency": currency}
    booked = await checkout(booking, actors.customer, hold_id)
    assert booked["total"] == {"amount": net, "currency": currency}
    assert sorted(amounts(booked)) == sorted(expected)


async def test_removing_the_code_restores_the_full_price_and_checkout_redeems_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database], eur: TieredShow) -> None:
    booking = stack.client("booking")
    made = await create_code(booking, actors.organizer, percent=50)
    hold_id = await hold(booking, actors.customer, eur.id, eur.of("VIP")[:1])
    await apply(booking, actors.customer, hold_id, made["code"])
    removed = await booking.data(REMOVE, {"hold": hold_id}, actors.customer.token)
    assert removed["removePromoCode"]["promoCode"] is None
    assert removed["removePromoCode"]["total"]["amount"] == 5000
    assert amounts(removed["removePromoCode"]) == [(5000, 0)]
    booked = await checkout(booking, actors.customer, hold_id)
    assert booked["total"]["amount"] == 5000 and booked["discount"] == {"amount": 0}
    state = await code_state(dbs["booking"], made["id"])
    assert (state.redeemed, state.redemptions, state.uses) == (0, 0, {})


# Validity and scope: refused codes change nothing


async def rejected(stack: Stack, who: User, hold_id: str, code: str) -> str:
    """Apply ``code``: it must be refused, and the hold keep no code; the reason."""
    answer = await apply(stack.client("booking"), who, hold_id, code)
    assert answer["__typename"] == "PromoCodeRejected", answer
    assert answer["code"] == "PROMO_CODE_REJECTED" and answer["promoCode"] == code
    assert answer["message"]
    return str(answer["reason"])


async def test_codes_outside_their_window_scope_or_currency_are_rejected(
        stack: Stack, actors: Actors, dbs: dict[str, Database], eur: TieredShow) -> None:
    booking, organizer = stack.client("booking"), actors.organizer
    other_show = await tiered_show(stack, organizer, "EUR", {"STANDARD": 1000}, seats_per_row=1)
    usd_show = await tiered_show(stack, organizer, "USD", {"STANDARD": 1000}, seats_per_row=1)
    later = await create_code(booking, organizer, validFrom=hours(1))
    over = await create_code(booking, organizer, validFrom=hours(-2), validUntil=hours(-1))
    withdrawn = await create_code(booking, organizer)
    await booking.data(DEACTIVATE, {"id": withdrawn["id"]}, organizer.token)
    elsewhere = await create_code(booking, organizer, showIds=[other_show.id])
    vip_only = await create_code(booking, organizer, categories=["VIP"])
    dollars = await create_code(booking, organizer, kind="AMOUNT", percent=None,
                                amount={"amount": 100, "currency": "USD"})
    theirs = await create_code(booking, actors.other_organizer)
    hold_id = await hold(booking, actors.customer, eur.id, eur.of("STANDARD")[:1])
    before = await counts(dbs["booking"], HoldPromoCode, PromoCode)
    assert await rejected(stack, actors.customer, hold_id, later["code"]) == "NOT_YET_VALID"
    assert await rejected(stack, actors.customer, hold_id, over["code"]) == "EXPIRED"
    assert await rejected(stack, actors.customer, hold_id, withdrawn["code"]) == "INACTIVE"
    assert await rejected(stack, actors.customer, hold_id, elsewhere["code"]) \
        == "NOT_APPLICABLE"
    assert await rejected(stack, actors.customer, hold_id, vip_only["code"]) == "NOT_APPLICABLE"
    assert await rejected(stack, actors.customer, hold_id, dollars["code"]) == "NOT_APPLICABLE"
    # Another organizer's code does not exist for this show.
    assert await rejected(stack, actors.customer, hold_id, theirs["code"]) == "NOT_FOUND"
    assert await rejected(stack, actors.customer, hold_id, "NO-SUCH-CODE") == "NOT_FOUND"
    assert await counts(dbs["booking"], HoldPromoCode, PromoCode) == before
    # The same USD code is fine on a USD show.
    usd_hold = await hold(booking, actors.customer, usd_show.id, usd_show.of("STANDARD"))
    assert (await apply(booking, actors.customer, usd_hold, dollars["code"]))["total"] == {
        "amount": 900, "currency": "USD"}


async def test_a_code_withdrawn_after_it_was_applied_is_rejected_at_checkout(
        stack: Stack, actors: Actors, dbs: dict[str, Database], eur: TieredShow) -> None:
    booking = stack.client("booking")
    made = await create_code(booking, actors.organizer)
    hold_id = await hold(booking, actors.customer, eur.id, eur.of("VIP")[:1])
    await apply(booking, actors.customer, hold_id, made["code"])
    await booking.data(DEACTIVATE, {"id": made["id"]}, actors.organizer.token)
    before = await count(dbs["booking"], Booking)
    answer = await checkout(booking, actors.customer, hold_id)
    assert answer == {"__typename": "PromoCodeRejected", "code": "PROMO_CODE_REJECTED",
                      "message": answer["message"], "reason": "INACTIVE",
                      "promoCode": made["code"]}
    assert await count(dbs["booking"], Booking) == before
    async with dbs["booking"].reader() as session:
        assert await session.scalar(select(Hold.status).where(Hold.id == hold_id)) == "ACTIVE"


# Limits


async def test_a_used_up_code_books_nothing_until_it_is_removed(
        stack: Stack, actors: Actors, dbs: dict[str, Database], eur: TieredShow) -> None:
    booking = stack.client("booking")
    made = await create_code(booking, actors.organizer, maxRedemptions=1)
    first = await hold(booking, actors.customer, eur.id, eur.of("VIP")[:1])
    second = await hold(booking, actors.other_customer, eur.id, eur.of("VIP")[1:2])
    # Both may apply it while it is not used up...
    await apply(booking, actors.customer, first, made["code"])
    await apply(booking, actors.other_customer, second, made["code"])
    assert (await checkout(booking, actors.customer, first))["__typename"] == "Booking"
    # ... the second checkout finds it used up, and books nothing.
    before = await count(dbs["booking"], Booking)
    answer = await checkout(booking, actors.other_customer, second)
    assert (answer["__typename"], answer["reason"]) == ("PromoCodeRejected", "EXHAUSTED")
    assert await count(dbs["booking"], Booking) == before
    state = await code_state(dbs["booking"], made["id"])
    assert (state.redeemed, state.redemptions) == (1, 1)
    # A new hold cannot apply it either; without it, the second customer pays full price.
    assert await rejected(stack, actors.other_customer,
                          await hold(booking, actors.other_customer, eur.id, eur.of("VIP")[2:3]),
                          made["code"]) == "EXHAUSTED"
    await booking.data(REMOVE, {"hold": second}, actors.other_customer.token)
    full = await checkout(booking, actors.other_customer, second)
    assert full["total"]["amount"] == 5000


async def test_the_per_customer_limit_and_a_cancellation_giving_the_use_back(
        stack: Stack, actors: Actors, dbs: dict[str, Database], eur: TieredShow) -> None:
    booking, db = stack.client("booking"), dbs["booking"]
    made = await create_code(booking, actors.organizer, maxPerCustomer=1, maxRedemptions=10)
    first = await hold(booking, actors.customer, eur.id, eur.of("STANDARD")[:1])
    second = await hold(booking, actors.customer, eur.id, eur.of("STANDARD")[1:2])
    await apply(booking, actors.customer, first, made["code"])
    await apply(booking, actors.customer, second, made["code"])
    booked = await checkout(booking, actors.customer, first)
    assert booked["__typename"] == "Booking"
    answer = await checkout(booking, actors.customer, second)
    assert (answer["__typename"], answer["reason"]) == ("PromoCodeRejected",
                                                       "CUSTOMER_LIMIT_REACHED")
    assert await rejected(stack, actors.customer, second, made["code"]) \
        == "CUSTOMER_LIMIT_REACHED"
    # Another customer is not limited by it.
    theirs = await hold(booking, actors.other_customer, eur.id, eur.of("STANDARD")[2:3])
    assert (await apply(booking, actors.other_customer, theirs, made["code"]))["__typename"] \
        == "SeatHold"
    state = await code_state(db, made["id"])
    assert (state.redeemed, state.redemptions, state.uses) == (1, 1, {actors.customer.id: 1})

    cancelled = await booking.data(CANCEL_BOOKING, {"id": booked["id"]}, actors.customer.token)
    assert cancelled["cancelBooking"]["status"] == "CANCELLED"
    state = await code_state(db, made["id"])
    assert (state.redeemed, state.redemptions, state.uses) == (0, 0, {actors.customer.id: 0})
    # Cancelling again is refused and gives nothing back twice.
    again = await booking.run(CANCEL_BOOKING, {"id": booked["id"]}, actors.customer.token)
    assert refusal(again) == ("CONFLICT", "bookingId")
    assert (await code_state(db, made["id"])).redeemed == 0
    # The use is the customer's again.
    assert (await checkout(booking, actors.customer, second))["__typename"] == "Booking"
    state = await code_state(db, made["id"])
    assert (state.redeemed, state.redemptions, state.uses) == (1, 1, {actors.customer.id: 1})


async def test_a_full_refund_gives_the_redemption_back_exactly_once(
        stack: Stack, actors: Actors, dbs: dict[str, Database], eur: TieredShow) -> None:
    booking, db = stack.client("booking"), dbs["booking"]
    made = await create_code(booking, actors.organizer, maxRedemptions=5, maxPerCustomer=2)
    hold_id = await hold(booking, actors.customer, eur.id, eur.of("VIP")[:1])
    await apply(booking, actors.customer, hold_id, made["code"])
    booked = await checkout(booking, actors.customer, hold_id)
    paid = await pay(stack.client("payment"), actors.customer, booked["id"])
    assert paid["amount"]["amount"] == 4500
    await wait_booking(booking, actors.customer, booked["id"], "CONFIRMED")
    assert (await code_state(db, made["id"])).redeemed == 1
    refund = await stack.client("payment").data(
        REFUND, {"id": paid["id"], "key": uuid.uuid4().hex}, actors.organizer.token)
    assert refund["refundPayment"]["amount"]["amount"] == 4500
    await wait_booking(booking, actors.customer, booked["id"], "CANCELLED")
    state = await code_state(db, made["id"])
    assert (state.redeemed, state.redemptions, state.uses) == (0, 0, {actors.customer.id: 0})

    # The refund reported again (another delivery, another event id) gives nothing back.
    bus = stack.services["payment"].runtime.bus
    async with stack.services["payment"].uow() as uow:
        again = uow.emit(PaymentRefunded(
            payment_id=paid["id"], booking_id=booked["id"], refund_id=str(uuid.uuid4()),
            amount=4500, currency="EUR", reason="REQUESTED", refunded_total=4500,
            fully_refunded=True, user_id=actors.customer.id))
        await uow.commit()
    await bus.publish("payment", again)
    await applied(db, again)
    state = await code_state(db, made["id"])
    assert (state.redeemed, state.redemptions, state.uses) == (0, 0, {actors.customer.id: 0})


async def test_an_expired_booking_gives_its_redemption_back(
        stack: Stack, actors: Actors, dbs: dict[str, Database], eur: TieredShow) -> None:
    from datetime import timedelta

    from subgraphs.booking.expiry import release_expired
    from subgraphs.kernel.db import utcnow

    booking, db = stack.client("booking"), dbs["booking"]
    made = await create_code(booking, actors.organizer, maxRedemptions=3)
    hold_id = await hold(booking, actors.customer, eur.id, eur.of("VIP")[:1])
    await apply(booking, actors.customer, hold_id, made["code"])
    booked = await checkout(booking, actors.customer, hold_id)
    assert (await code_state(db, made["id"])).redeemed == 1
    # The sweep of an hour from now finds the hold lapsed, and its booking unpaid.
    await release_expired(stack.services["booking"], now=utcnow() + timedelta(hours=1),
                          show_id=eur.id, user_id=actors.customer.id)
    async with db.reader() as session:
        assert await session.scalar(select(Booking.status)
                                    .where(Booking.id == booked["id"])) == "EXPIRED"
    state = await code_state(db, made["id"])
    assert (state.redeemed, state.redemptions) == (0, 0)


async def applied(db: Database, event: Event) -> None:
    from subgraphs.booking.models import TABLES
    processed = TABLES.processed
    await eventually(lambda: count(db, processed, processed.c.event_id == event.id,
                                   processed.c.consumer == "booking"))


# Making codes: bad input, duplicates, retries


@pytest.mark.parametrize(("fields", "field"), [
    ({"code": "x"}, "input.code"),
    ({"code": "has space"}, "input.code"),
    ({"code": "-dash-first"}, "input.code"),
    ({"percent": 0}, "input.percent"),
    ({"percent": 101}, "input.percent"),
    ({"percent": None}, "input.percent"),
    ({"kind": "AMOUNT", "percent": None}, "input.amount"),
    ({"kind": "AMOUNT", "percent": None, "amount": {"amount": 0, "currency": "EUR"}},
     "input.amount.amount"),
    ({"kind": "AMOUNT", "percent": None, "amount": {"amount": 100, "currency": "XYZ"}},
     "input.amount.currency"),
    ({"amount": {"amount": 100, "currency": "EUR"}}, "input.amount"),
    ({"maxRedemptions": 0}, "input.maxRedemptions"),
    ({"maxPerCustomer": -1}, "input.maxPerCustomer"),
    ({"validFrom": "2030-01-02T00:00:00Z", "validUntil": "2030-01-01T00:00:00Z"},
     "input.validUntil"),
    ({"categories": ["VIP", "VIP"]}, "input.categories"),
])
async def test_bad_input_is_refused_and_creates_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database], fields: dict[str, Any],
        field: str) -> None:
    before = await count(dbs["booking"], PromoCode)
    i = {"code": code_text(), "kind": "PERCENT", "percent": 10} | fields
    body = await stack.client("booking").run(CREATE_CODE, {"i": i}, actors.organizer.token)
    assert refusal(body) == ("BAD_USER_INPUT", field)
    assert await count(dbs["booking"], PromoCode) == before


async def test_an_amount_code_for_shows_of_another_currency_is_refused(
        stack: Stack, actors: Actors, dbs: dict[str, Database], eur: TieredShow) -> None:
    before = await count(dbs["booking"], PromoCode)
    body = await stack.client("booking").run(CREATE_CODE, {"i": {
        "code": code_text(), "kind": "AMOUNT", "amount": {"amount": 100, "currency": "USD"},
        "showIds": [eur.id]}}, actors.organizer.token)
    assert refusal(body) == ("BAD_USER_INPUT", "input.amount.currency")
    unknown = await stack.client("booking").run(CREATE_CODE, {"i": {
        "code": code_text(), "kind": "PERCENT", "percent": 5,
        "showIds": [str(uuid.uuid4())]}}, actors.organizer.token)
    assert refusal(unknown) == ("NOT_FOUND", "input.showIds")
    assert await count(dbs["booking"], PromoCode) == before


async def test_code_text_is_unique_per_organizer_whatever_its_case(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    booking = stack.client("booking")
    text = code_text("Summer")
    await create_code(booking, actors.organizer, code=text)
    before = await count(dbs["booking"], PromoCode)
    body = await booking.run(CREATE_CODE, {"i": {"code": text.upper(), "kind": "PERCENT",
                                                 "percent": 5}}, actors.organizer.token)
    assert refusal(body) == ("CONFLICT", "input.code")
    assert await count(dbs["booking"], PromoCode) == before
    # Another organizer may use the same text.
    assert (await create_code(booking, actors.other_organizer, code=text))["code"] == text


async def test_a_retry_with_the_same_key_returns_the_first_code(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    booking, key = stack.client("booking"), uuid.uuid4().hex
    i = {"code": code_text(), "kind": "PERCENT", "percent": 20}
    first = await booking.data(CREATE_CODE, {"i": i, "key": key}, actors.organizer.token)
    again = await booking.data(CREATE_CODE, {"i": i, "key": key}, actors.organizer.token)
    assert again["createPromoCode"]["id"] == first["createPromoCode"]["id"]
    other = await booking.run(CREATE_CODE, {"i": i | {"percent": 30}, "key": key},
                              actors.organizer.token)
    assert refusal(other) == ("CONFLICT", "idempotencyKey")
    assert await count(dbs["booking"], PromoCode,
                       PromoCode.code == i["code"]) == 1


async def test_applying_to_a_hold_that_is_not_active_is_a_conflict(
        stack: Stack, actors: Actors, eur: TieredShow) -> None:
    booking = stack.client("booking")
    made = await create_code(booking, actors.organizer)
    hold_id = await hold(booking, actors.customer, eur.id, eur.of("VIP")[:1])
    await checkout(booking, actors.customer, hold_id)
    body = await booking.run(APPLY, {"hold": hold_id, "code": made["code"]},
                             actors.customer.token)
    assert refusal(body) == ("CONFLICT", "holdId")
    assert only_status(body) == "CHECKED_OUT"
    empty = await booking.run(APPLY, {"hold": hold_id, "code": " "}, actors.customer.token)
    assert refusal(empty) == ("BAD_USER_INPUT", "code")
    missing = await booking.run(APPLY, {"hold": str(uuid.uuid4()), "code": made["code"]},
                                actors.customer.token)
    assert refusal(missing) == ("NOT_FOUND", "holdId")


def only_status(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["status"])


# Who may do what


async def test_who_may_make_withdraw_and_list_codes(
        stack: Stack, actors: Actors, eur: TieredShow) -> None:
    booking = stack.client("booking")

    async def make(who: User | None) -> dict[str, Any]:
        return await booking.run(CREATE_CODE, {"i": {
            "code": code_text(), "kind": "PERCENT", "percent": 5, "showIds": [eur.id]}},
            who.token if who else None)

    assert refusal(await make(None))[0] == "UNAUTHENTICATED"
    assert refusal(await make(actors.customer))[0] == "FORBIDDEN"
    assert refusal(await make(actors.other_organizer))[0] == "FORBIDDEN"
    mine = (await make(actors.organizer))["data"]["createPromoCode"]
    by_admin = (await make(actors.admin))["data"]["createPromoCode"]
    assert by_admin["organizerId"] == actors.organizer.id  # the show's organizer's code

    async def withdraw(who: User | None, code_id: str) -> dict[str, Any]:
        return await booking.run(DEACTIVATE, {"id": code_id}, who.token if who else None)

    assert refusal(await withdraw(None, mine["id"]))[0] == "UNAUTHENTICATED"
    assert refusal(await withdraw(actors.customer, mine["id"]))[0] == "FORBIDDEN"
    assert refusal(await withdraw(actors.other_organizer, mine["id"]))[0] == "FORBIDDEN"
    assert (await withdraw(actors.organizer, mine["id"]))["data"]["deactivatePromoCode"] == {
        "id": mine["id"], "active": False}
    assert (await withdraw(actors.admin, by_admin["id"]))["data"]["deactivatePromoCode"][
        "active"] is False
    assert refusal(await withdraw(actors.admin, str(uuid.uuid4())))[0] == "NOT_FOUND"

    async def listed(who: User | None, organizer_id: str | None = None) -> dict[str, Any]:
        return await booking.run(CODES, {"o": organizer_id}, who.token if who else None)

    assert refusal(await listed(None))[0] == "UNAUTHENTICATED"
    assert refusal(await listed(actors.customer))[0] == "FORBIDDEN"
    assert refusal(await listed(actors.other_organizer, actors.organizer.id))[0] == "FORBIDDEN"
    theirs = {c["id"] for c in (await listed(actors.other_organizer))["data"]["promoCodes"]}
    assert mine["id"] not in theirs
    own = {c["id"] for c in (await listed(actors.organizer))["data"]["promoCodes"]}
    assert {mine["id"], by_admin["id"]} <= own
    seen = {c["id"] for c in (await listed(actors.admin, actors.organizer.id))["data"][
        "promoCodes"]}
    assert seen == own


async def test_who_may_apply_and_remove_a_code(
        stack: Stack, actors: Actors, dbs: dict[str, Database], eur: TieredShow) -> None:
    booking = stack.client("booking")
    made = await create_code(booking, actors.organizer)
    hold_id = await hold(booking, actors.customer, eur.id, eur.of("VIP")[:1])
    for who in (actors.other_customer, actors.organizer, actors.other_organizer):
        assert refusal(await booking.run(APPLY, {"hold": hold_id, "code": made["code"]},
                                         who.token))[0] == "FORBIDDEN"
        assert refusal(await booking.run(REMOVE, {"hold": hold_id}, who.token))[0] \
            == "FORBIDDEN"
    assert refusal(await booking.run(APPLY, {"hold": hold_id, "code": made["code"]}))[0] \
        == "UNAUTHENTICATED"
    assert refusal(await booking.run(REMOVE, {"hold": hold_id}))[0] == "UNAUTHENTICATED"
    assert await count(dbs["booking"], HoldPromoCode, HoldPromoCode.hold_id == hold_id) == 0
    by_admin = await booking.data(APPLY, {"hold": hold_id, "code": made["code"]},
                                  actors.admin.token)
    assert by_admin["applyPromoCode"]["promoCode"] == made["code"]
    assert (await booking.data(REMOVE, {"hold": hold_id}, actors.admin.token))[
        "removePromoCode"]["promoCode"] is None
    assert (await apply(booking, actors.customer, hold_id, made["code"]))["promoCode"] \
        == made["code"]
    assert (await booking.data(REMOVE, {"hold": hold_id}, actors.customer.token))[
        "removePromoCode"]["promoCode"] is None
    # Reading the hold shows the same as the mutations did.
    read = await booking.data("query($id: ID!) { hold(id: $id) { promoCode total { amount } } }",
                              {"id": hold_id}, actors.customer.token)
    assert read["hold"] == {"promoCode": None, "total": {"amount": 5000}}
    body = await booking.run(CHECKOUT, {"hold": hold_id, "key": uuid.uuid4().hex},
                             actors.customer.token)
    assert body["data"]["checkout"]["total"]["amount"] == 5000


# Standing places: one line per section, discounted as a whole


HOLD_PLACES = """mutation($show: ID!, $section: ID!, $n: Int!) {
  holdGeneralAdmission(showId: $show, sectionId: $section, quantity: $n) {
    __typename ... on SeatHold { id } } }"""


async def test_standing_places_are_one_line_discounted_as_a_whole(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    from tests.integration.seating import Venues, at, small_map

    booking, venues = stack.client("booking"), Venues(stack.client("venue"))
    hall = await venues.hall(actors.organizer, small_map(standing=20))
    show = await venues.show(actors.organizer, hall["id"], at(19), price=None, currency="EUR",
                             priceTiers=[{"category": "STANDARD", "amount": 3000},
                                         {"category": "STANDING", "amount": 1333}])
    await venues.publish(actors.organizer, show["id"])
    section = next(s["id"] for s in hall["sections"] if s["generalAdmission"])

    async def held() -> str | None:
        body = await booking.run(HOLD_PLACES, {"show": show["id"], "section": section, "n": 3},
                                 actors.customer.token)
        found = (body.get("data") or {}).get("holdGeneralAdmission")
        return None if not found else str(found["id"])

    hold_id = await eventually(held)  # once booking has the show
    made = await create_code(booking, actors.organizer, percent=10, categories=["STANDING"],
                             showIds=[show["id"]])
    answer = await apply(booking, actors.customer, hold_id, made["code"])
    # Three places at 13.33 are one line of 39.99: 10 % is 3.999, rounded half up to 4.00.
    assert [(line["sectionId"], line["quantity"], line["price"]["amount"],
             line["discount"]["amount"]) for line in answer["lines"]] == [
        (section, 3, 3999, 400)]
    assert answer["total"]["amount"] == 3599
    booked = await checkout(booking, actors.customer, hold_id)
    assert booked["total"]["amount"] == 3599
    assert booked["generalAdmission"] == [{"sectionId": section, "price": {"amount": 3999},
                                           "discount": {"amount": 400}}]
