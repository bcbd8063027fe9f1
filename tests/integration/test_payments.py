"""Paying with the sandbox: each test card, retries, the booking it confirms, refunds, and
the saga's answers when booking and payment cross (invariant 4 of docs/architecture.md).

Every scenario ends with ``settled``: both databases agree, and for each booking captured
minus refunded is its total if CONFIRMED and 0 otherwise.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from subgraphs.booking.models import SOLD, ShowSeat
from subgraphs.payment.models import Payment, Refund
from subgraphs.payment.worker import settle_sandbox
from tests.flows import ShowOnSale, User, show_on_sale
from tests.flows import seat_ids as seats
from tests.harness import eventually
from tests.integration.conftest import own_deployment
from tests.integration.support import Deployment, count, lapse_booking, refusal
from tests.payments import (
    BOOKING_PAYMENT,
    CANCEL_BOOKING,
    CONFIRM,
    DECLINED,
    INSUFFICIENT_FUNDS,
    PAYMENT,
    PROCESSING_DECLINED,
    PROCESSING_SUCCEEDS,
    REFUND,
    START,
    SUCCEEDS,
    applied_by_booking,
    booking_status,
    close_window,
    confirm,
    pay,
    pending_booking,
    settle_now,
    settled,
    start,
    wait_booking,
)


@pytest.fixture(scope="module")
async def paying(mode: str, tmp_path_factory: pytest.TempPathFactory
                 ) -> AsyncIterator[Deployment]:
    """Sandbox "processing" cards settle when a test says so (``settle_now``: test
    deployments give them an hour, so "still processing" is a state the test holds, not a
    race with a short delay); the worker looks every 0.2 s."""
    async with own_deployment(mode, tmp_path_factory, "payments",
                              payment_worker_interval_seconds=0.2) as running:
        yield running


@pytest.fixture
async def show(paying: Deployment) -> ShowOnSale:
    stack = paying.stack
    return await show_on_sale(stack.client("venue"), stack.client("booking"),
                              paying.actors.organizer, price=1500)


async def sold_seats(d: Deployment, show_id: str) -> set[str]:
    async with d.dbs["booking"].reader() as s:
        return set(await s.scalars(select(ShowSeat.seat_id).where(
            ShowSeat.show_id == show_id, ShowSeat.state == SOLD)))


async def payment_row(d: Deployment, payment_id: str) -> Payment:
    async with d.dbs["payment"].reader() as s:
        found = await s.get(Payment, payment_id)
    assert found is not None
    return found


async def test_the_good_card_pays_and_the_booking_is_confirmed_with_its_seats_sold(
        paying: Deployment, show: ShowOnSale) -> None:
    c, pay_api = paying.actors.customer, paying.stack.client("payment")
    booking = await pending_booking(paying.stack.client("booking"), c, show.id, seats(show, 0, 1))
    paid = await pay(pay_api, c, booking["id"])
    assert paid["__typename"] == "Payment"
    assert paid["status"] == "SUCCEEDED"
    assert paid["amount"] == {"amount": 3000, "currency": "EUR"}
    assert paid["captured"]["amount"] == 3000 and paid["attempts"] == 1
    await wait_booking(paying.stack.client("booking"), c, booking["id"], "CONFIRMED")
    assert await sold_seats(paying, show.id) == set(seats(show, 0, 1))
    await settled(paying.dbs["booking"], paying.dbs["payment"], [booking["id"]])


@pytest.mark.parametrize(("card", "reason"), [(DECLINED, "card_declined"),
                                              (INSUFFICIENT_FUNDS, "insufficient_funds")])
async def test_a_declined_card_leaves_the_booking_pending_and_another_card_pays(
        paying: Deployment, show: ShowOnSale, card: str, reason: str) -> None:
    c, pay_api = paying.actors.customer, paying.stack.client("payment")
    book_api = paying.stack.client("booking")
    booking = await pending_booking(book_api, c, show.id, seats(show, 2))
    declined = await pay(pay_api, c, booking["id"], card)
    assert declined["__typename"] == "PaymentDeclined"
    assert (declined["code"], declined["reason"]) == ("PAYMENT_FAILED", reason)
    assert declined["payment"]["status"] == "FAILED"
    # Nothing was captured and the booking keeps its seats for the customer.
    row = await payment_row(paying, declined["payment"]["id"])
    assert row.captured_amount == 0 and row.failure_code == reason
    await applied_by_booking(paying.dbs["booking"], paying.dbs["payment"], "PaymentFailed",
                             row.id)  # ... and changed nothing there
    assert await booking_status(book_api, c, booking["id"]) == "PENDING_PAYMENT"
    again = await confirm(pay_api, c, declined["payment"]["id"], SUCCEEDS)
    assert again["status"] == "SUCCEEDED" and again["attempts"] == 2
    assert again["failure"] is None
    await wait_booking(book_api, c, booking["id"], "CONFIRMED")
    await settled(paying.dbs["booking"], paying.dbs["payment"], [booking["id"]])


async def test_a_processing_card_is_settled_by_the_providers_webhook(
        paying: Deployment, show: ShowOnSale) -> None:
    c, pay_api = paying.actors.customer, paying.stack.client("payment")
    book_api = paying.stack.client("booking")
    booking = await pending_booking(book_api, c, show.id, seats(show, 3))
    processing = await pay(pay_api, c, booking["id"], PROCESSING_SUCCEEDS)
    assert processing["status"] == "PROCESSING"
    assert await booking_status(book_api, c, booking["id"]) == "PENDING_PAYMENT"
    # Confirming again while it processes charges nothing more.
    assert (await confirm(pay_api, c, processing["id"], SUCCEEDS))["status"] == "PROCESSING"
    # The worker settles nothing before the card's settle time (a round run here and now).
    assert await settle_sandbox(paying.services["payment"]) == 0
    assert await booking_status(book_api, c, booking["id"]) == "PENDING_PAYMENT"
    await settle_now(paying.dbs["payment"], processing["id"])  # the provider decides
    await wait_booking(book_api, c, booking["id"], "CONFIRMED")
    body = await pay_api.data(PAYMENT, {"id": processing["id"]}, c.token)
    assert body["payment"]["status"] == "SUCCEEDED" and body["payment"]["attempts"] == 1
    await settled(paying.dbs["booking"], paying.dbs["payment"], [booking["id"]])


async def test_a_processing_card_that_is_declined_later_can_be_retried(
        paying: Deployment, show: ShowOnSale) -> None:
    c, pay_api = paying.actors.customer, paying.stack.client("payment")
    book_api = paying.stack.client("booking")
    booking = await pending_booking(book_api, c, show.id, seats(show, 4))
    processing = await pay(pay_api, c, booking["id"], PROCESSING_DECLINED)
    assert processing["status"] == "PROCESSING"
    await settle_now(paying.dbs["payment"], processing["id"])  # the provider declines

    async def failed() -> bool:
        body = await pay_api.data(PAYMENT, {"id": processing["id"]}, c.token)
        return bool(body["payment"]["status"] == "FAILED")

    await eventually(failed)
    assert await booking_status(book_api, c, booking["id"]) == "PENDING_PAYMENT"
    assert (await confirm(pay_api, c, processing["id"], SUCCEEDS))["status"] == "SUCCEEDED"
    await wait_booking(book_api, c, booking["id"], "CONFIRMED")
    await settled(paying.dbs["booking"], paying.dbs["payment"], [booking["id"]])


async def test_confirming_twice_at_once_charges_once(paying: Deployment,
                                                     show: ShowOnSale) -> None:
    c, pay_api = paying.actors.customer, paying.stack.client("payment")
    booking = await pending_booking(paying.stack.client("booking"), c, show.id, seats(show, 5))
    started = await start(pay_api, c, booking["id"])
    results = await asyncio.gather(*[confirm(pay_api, c, started["id"], SUCCEEDS)
                                     for _ in range(6)])
    assert {r["status"] for r in results} == {"SUCCEEDED"}
    row = await payment_row(paying, started["id"])
    assert (row.captured_amount, row.attempts) == (1500, 1)
    async with paying.dbs["payment"].reader() as s:
        events = [e for e in await s.scalars(select(paying.services["payment"].spec.tables
                                                    .outbox.c.body))
                  if started["id"] in e and "PaymentSucceeded" in e]
    assert len(events) == 1
    await settled(paying.dbs["booking"], paying.dbs["payment"], [booking["id"]])


async def test_start_payment_is_repeatable_and_a_key_for_other_arguments_conflicts(
        paying: Deployment, show: ShowOnSale) -> None:
    c, pay_api = paying.actors.customer, paying.stack.client("payment")
    booking = await pending_booking(paying.stack.client("booking"), c, show.id, seats(show, 6))
    key = uuid.uuid4().hex
    first = await pay_api.data(START, {"booking": booking["id"], "key": key}, c.token)
    again = await pay_api.data(START, {"booking": booking["id"], "key": key}, c.token)
    plain = await start(pay_api, c, booking["id"])
    assert first["startPayment"]["id"] == again["startPayment"]["id"] == plain["id"]
    assert first["startPayment"]["checkout"] == {"provider": "SANDBOX", "keyId": None,
                                                "orderId": None}
    other = await pending_booking(paying.stack.client("booking"), c, show.id, seats(show, 7))
    clash = await pay_api.run(START, {"booking": other["id"], "key": key}, c.token)
    assert refusal(clash) == ("CONFLICT", "idempotencyKey")
    async with paying.dbs["payment"].reader() as s:
        assert (await s.get(Payment, plain["id"])).status == "REQUIRES_PAYMENT"  # type: ignore[union-attr]


async def test_bad_payment_input_is_refused_and_changes_nothing(
        paying: Deployment, show: ShowOnSale) -> None:
    c, pay_api = paying.actors.customer, paying.stack.client("payment")
    booking = await pending_booking(paying.stack.client("booking"), c, show.id, seats(show, 8))
    payment_id = (await start(pay_api, c, booking["id"]))["id"]
    cases = [
        ({"id": payment_id}, ("BAD_USER_INPUT", "card")),  # no proof at all
        ({"id": payment_id, "card": "4111 1111 1111 1111"}, ("BAD_USER_INPUT", "card")),
        ({"id": payment_id, "card": "   "}, ("BAD_USER_INPUT", "card")),
        ({"id": payment_id, "card": SUCCEEDS,
          "rzp": {"orderId": "order_x", "paymentId": "pay_x", "signature": "s"}},
         ("BAD_USER_INPUT", "card")),  # both proofs
        ({"id": payment_id, "rzp": {"orderId": "order_x", "paymentId": "pay_x",
                                    "signature": "s"}},
         ("BAD_USER_INPUT", "provider")),  # this payment is the sandbox's
        ({"id": str(uuid.uuid4()), "card": SUCCEEDS}, ("NOT_FOUND", "paymentId")),
    ]
    for variables, expected in cases:
        body = await pay_api.run(CONFIRM, variables, c.token)
        assert refusal(body) == expected, (variables, body)
    for variables, expected in [
        ({"booking": str(uuid.uuid4())}, ("NOT_FOUND", "bookingId")),
        ({"booking": booking["id"], "key": ""}, ("BAD_USER_INPUT", "idempotencyKey")),
        ({"booking": booking["id"], "provider": "RAZORPAY"}, ("BAD_USER_INPUT", "provider")),
    ]:
        body = await pay_api.run(START, variables, c.token)
        assert refusal(body) == expected, (variables, body)
    row = await payment_row(paying, payment_id)
    assert (row.status, row.attempts, row.captured_amount, row.provider) == (
        "REQUIRES_PAYMENT", 0, 0, "sandbox")


async def test_only_the_buyer_pays(paying: Deployment, show: ShowOnSale) -> None:
    a = paying.actors
    pay_api = paying.stack.client("payment")
    booking = await pending_booking(paying.stack.client("booking"), a.customer, show.id,
                                    seats(show, 9))
    payment_id = (await start(pay_api, a.customer, booking["id"]))["id"]
    for who, code in [(None, "UNAUTHENTICATED"), (a.other_customer, "FORBIDDEN"),
                      (a.organizer, "FORBIDDEN"), (a.admin, "FORBIDDEN")]:
        token = who.token if who else None
        body = await pay_api.run(CONFIRM, {"id": payment_id, "card": SUCCEEDS}, token)
        assert refusal(body)[0] == code, (who, body)
        body = await pay_api.run(START, {"booking": booking["id"]}, token)
        assert refusal(body)[0] == code, (who, body)
    # The buyer, the show's organizer and an admin may look; nobody else.
    for who, visible in [(a.customer, True), (a.organizer, True), (a.admin, True),
                         (a.other_customer, False), (a.other_organizer, False)]:
        body = await pay_api.run(PAYMENT, {"id": payment_id}, who.token)
        if visible:
            assert body["data"]["payment"]["id"] == payment_id, (who, body)
        else:
            assert refusal(body)[0] == "FORBIDDEN", (who, body)
    assert (await payment_row(paying, payment_id)).status == "REQUIRES_PAYMENT"
    assert (await pay(pay_api, a.customer, booking["id"]))["status"] == "SUCCEEDED"


async def refund(d: Deployment, who: User | None, payment_id: str, amount: int | None = None,
                 key: str | None = None) -> dict:  # type: ignore[type-arg]
    return await d.stack.client("payment").run(
        REFUND,
        {"id": payment_id, "amount": amount, "key": uuid.uuid4().hex if key is None else key},
        who.token if who else None)


async def paid_booking(d: Deployment, show: ShowOnSale, *indexes: int) -> tuple[str, str]:
    c = d.actors.customer
    booking = await pending_booking(d.stack.client("booking"), c, show.id, seats(show, *indexes))
    paid = await pay(d.stack.client("payment"), c, booking["id"])
    await wait_booking(d.stack.client("booking"), c, booking["id"], "CONFIRMED")
    return booking["id"], paid["id"]


async def test_a_partial_refund_keeps_the_booking_and_the_rest_cancels_it(
        paying: Deployment, show: ShowOnSale) -> None:
    a = paying.actors
    booking_id, payment_id = await paid_booking(paying, show, 0, 1)
    key = uuid.uuid4().hex
    part = await refund(paying, a.organizer, payment_id, 1000, key)
    assert part["data"]["refundPayment"]["status"] == "SUCCEEDED", part
    assert part["data"]["refundPayment"]["reason"] == "REQUESTED"
    assert part["data"]["refundPayment"]["payment"]["status"] == "PARTIALLY_REFUNDED"
    # The same key again is the same refund: nothing more is paid back.
    same = await refund(paying, a.organizer, payment_id, 1000, key)
    assert same["data"]["refundPayment"]["id"] == part["data"]["refundPayment"]["id"]
    assert (await payment_row(paying, payment_id)).refunded_amount == 1000
    await applied_by_booking(paying.dbs["booking"], paying.dbs["payment"], "PaymentRefunded",
                             payment_id)  # a partial refund: the booking stands
    assert await booking_status(paying.stack.client("booking"), a.customer,
                                booking_id) == "CONFIRMED"
    await settled(paying.dbs["booking"], paying.dbs["payment"], [booking_id])
    rest = await refund(paying, a.admin, payment_id)
    assert rest["data"]["refundPayment"]["amount"]["amount"] == 2000, rest
    assert rest["data"]["refundPayment"]["payment"]["status"] == "REFUNDED"
    await wait_booking(paying.stack.client("booking"), a.customer, booking_id, "CANCELLED")
    assert not await sold_seats(paying, show.id) & set(seats(show, 0, 1))
    await settled(paying.dbs["booking"], paying.dbs["payment"], [booking_id])


async def test_refund_input_and_who_may_refund(paying: Deployment, show: ShowOnSale) -> None:
    a = paying.actors
    booking_id, payment_id = await paid_booking(paying, show, 2)
    for who, amount, expected in [
        (None, None, ("UNAUTHENTICATED", None)),
        (a.customer, None, ("FORBIDDEN", None)),
        (a.other_organizer, None, ("FORBIDDEN", None)),
        (a.organizer, 0, ("BAD_USER_INPUT", "amount")),
        (a.organizer, -5, ("BAD_USER_INPUT", "amount")),
        (a.organizer, 1501, ("BAD_USER_INPUT", "amount")),
    ]:
        assert refusal(await refund(paying, who, payment_id, amount)) == expected, (who, amount)
    too_much = await refund(paying, a.organizer, payment_id, 1501)
    assert "At most 15.00 EUR (1500 minor units)" in too_much["errors"][0]["message"]
    assert refusal(await refund(paying, a.organizer, payment_id, key="")) == (
        "BAD_USER_INPUT", "idempotencyKey")
    assert refusal(await refund(paying, a.organizer, str(uuid.uuid4()))) == (
        "NOT_FOUND", "paymentId")
    assert await count(paying.dbs["payment"], Refund, Refund.payment_id == payment_id) == 0
    # A payment that captured nothing has nothing to refund.
    unpaid = await pending_booking(paying.stack.client("booking"), a.customer, show.id,
                                   seats(show, 3))
    open_id = (await start(paying.stack.client("payment"), a.customer, unpaid["id"]))["id"]
    assert refusal(await refund(paying, a.organizer, open_id)) == ("CONFLICT", "paymentId")
    # The organizer refunds everything: nothing is left for a second refund.
    assert (await refund(paying, a.organizer, payment_id))["data"]["refundPayment"]["status"] \
        == "SUCCEEDED"
    assert refusal(await refund(paying, a.organizer, payment_id)) == ("CONFLICT", "paymentId")
    await wait_booking(paying.stack.client("booking"), a.customer, booking_id, "CANCELLED")
    await settled(paying.dbs["booking"], paying.dbs["payment"], [booking_id])


async def test_cancelling_a_paid_booking_refunds_it_and_an_unpaid_one_cancels_its_payment(
        paying: Deployment, show: ShowOnSale) -> None:
    c, pay_api = paying.actors.customer, paying.stack.client("payment")
    book_api = paying.stack.client("booking")
    paid_id, payment_id = await paid_booking(paying, show, 4)
    unpaid = await pending_booking(book_api, c, show.id, seats(show, 5))
    unpaid_payment = (await start(pay_api, c, unpaid["id"]))["id"]
    for booking_id in (paid_id, unpaid["id"]):
        await book_api.data(CANCEL_BOOKING, {"id": booking_id}, c.token)
    await settled(paying.dbs["booking"], paying.dbs["payment"], [paid_id, unpaid["id"]])
    refunded = await pay_api.data(PAYMENT, {"id": payment_id}, c.token)
    assert refunded["payment"]["status"] == "REFUNDED"
    assert [(r["reason"], r["status"], r["amount"]["amount"])
            for r in refunded["payment"]["refunds"]] == [("BOOKING_CANCELLED", "SUCCEEDED", 1500)]
    assert (await payment_row(paying, unpaid_payment)).status == "CANCELLED"
    # A cancelled booking's payment can no longer be paid.
    late = await confirm(pay_api, c, unpaid_payment, SUCCEEDS)
    assert late["__typename"] == "PaymentWindowClosed" and late["code"] == "HOLD_EXPIRED"
    assert (await payment_row(paying, unpaid_payment)).captured_amount == 0


async def test_the_booking_shows_its_payment(paying: Deployment, show: ShowOnSale) -> None:
    c = paying.actors.customer
    booking_id, payment_id = await paid_booking(paying, show, 6)
    body = await paying.stack.client("payment").data(
        BOOKING_PAYMENT, {"r": [{"__typename": "Booking", "id": booking_id}]}, c.token)
    assert body["_entities"][0]["payment"]["id"] == payment_id
    assert body["_entities"][0]["payment"]["status"] == "SUCCEEDED"


# --- payments that cross a hold's expiry ------------------------------------------------------

@pytest.fixture(scope="module")
async def lapsing(mode: str, tmp_path_factory: pytest.TempPathFactory
                  ) -> AsyncIterator[Deployment]:
    """The sweeper runs often; holds last their usual time and processing cards an hour: a
    test makes a hold lapse (``lapse_booking``) or a card settle (``settle_now``) in the
    database, in the order it is about, instead of racing two short clocks."""
    async with own_deployment(mode, tmp_path_factory, "lapsing", sweep_interval_seconds=0.3,
                              payment_worker_interval_seconds=0.2) as running:
        yield running


async def test_a_payment_that_succeeds_after_the_hold_lapsed_is_refunded_automatically(
        lapsing: Deployment) -> None:
    stack, c = lapsing.stack, lapsing.actors.customer
    show = await show_on_sale(stack.client("venue"), stack.client("booking"),
                              lapsing.actors.organizer, price=700)
    booking = await pending_booking(stack.client("booking"), c, show.id, seats(show, 0))
    processing = await pay(stack.client("payment"), c, booking["id"], PROCESSING_SUCCEEDS)
    assert processing["status"] == "PROCESSING"
    # The hold lapses before the card settles: the sweeper expires the booking, seats free.
    await lapse_booking(lapsing.dbs["booking"], booking["id"])
    await wait_booking(stack.client("booking"), c, booking["id"], "EXPIRED")
    await settle_now(lapsing.dbs["payment"], processing["id"])  # then the card succeeds

    async def refunded() -> bool:
        body = await stack.client("payment").data(PAYMENT, {"id": processing["id"]}, c.token)
        return bool(body["payment"]["status"] == "REFUNDED")

    await eventually(refunded)
    body = await stack.client("payment").data(PAYMENT, {"id": processing["id"]}, c.token)
    assert body["payment"]["captured"]["amount"] == body["payment"]["refunded"]["amount"] == 700
    assert [r["reason"] for r in body["payment"]["refunds"]] == ["BOOKING_NOT_CONFIRMED"]
    assert not await sold_seats(lapsing, show.id)
    await settled(lapsing.dbs["booking"], lapsing.dbs["payment"], [booking["id"]])


async def test_paying_after_the_hold_lapsed_is_refused_and_charges_nothing(
        lapsing: Deployment) -> None:
    stack, c = lapsing.stack, lapsing.actors.customer
    show = await show_on_sale(stack.client("venue"), stack.client("booking"),
                              lapsing.actors.organizer)
    booking = await pending_booking(stack.client("booking"), c, show.id, seats(show, 1))
    payment_id = (await start(stack.client("payment"), c, booking["id"]))["id"]
    assert (await payment_row(lapsing, payment_id)).booking_expires_at is not None
    # The hold's time is up as payment sees it, before booking has swept anything: payment
    # refuses on its own clock, not because it heard the booking expired.
    await close_window(lapsing.dbs["payment"], payment_id)
    late = await confirm(stack.client("payment"), c, payment_id, SUCCEEDS)
    assert late["__typename"] == "PaymentWindowClosed"
    assert await booking_status(stack.client("booking"), c, booking["id"]) == "PENDING_PAYMENT"
    await lapse_booking(lapsing.dbs["booking"], booking["id"])
    await wait_booking(stack.client("booking"), c, booking["id"], "EXPIRED")

    # Payment cancels when BookingExpired reaches it, a moment after the booking expired.
    async def cancelled() -> bool:
        row = await payment_row(lapsing, payment_id)
        assert (row.captured_amount, row.attempts) == (0, 0)
        return bool(row.status == "CANCELLED")

    await eventually(cancelled)
    await settled(lapsing.dbs["booking"], lapsing.dbs["payment"], [booking["id"]])


async def test_the_books_balance_for_every_booking_of_both_deployments(
        paying: Deployment, lapsing: Deployment) -> None:
    # Last in the module: every scenario above, and anything they left behind, has settled.
    for d in (paying, lapsing):
        await settled(d.dbs["booking"], d.dbs["payment"])
        assert await count(d.dbs["payment"], Payment) > 0
