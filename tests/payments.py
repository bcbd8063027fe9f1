"""Paying for bookings in tests, and the checks every payment scenario ends with.

``disagreements`` is invariant 4 of docs/architecture.md read from the two databases: for every
booking, what its payment captured minus what was refunded equals the booking's total if
it is CONFIRMED, and 0 otherwise; and the two services agree on where the booking stands.
Partial refunds an organizer granted on a confirmed booking (reason REQUESTED, or PROVIDER
when made in the provider's dashboard; booking still CONFIRMED) are goodwill: they come off
the total, and nothing else may. A duplicate capture given back (DUPLICATE_PAYMENT), or the
capture of a payment declined for its instrument (INSTRUMENT_REFUSED), never entered the
books; it only has to be settled.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from subgraphs.booking.models import TABLES as BOOKING_TABLES
from subgraphs.booking.models import Booking
from subgraphs.kernel.db import Database, utcnow
from subgraphs.payment.models import TABLES as PAYMENT_TABLES
from subgraphs.payment.models import Payment, Refund
from subgraphs.payment.providers.sandbox import (
    DECLINED,
    INSUFFICIENT_FUNDS,
    PROCESSING_DECLINED,
    PROCESSING_SUCCEEDS,
    SUCCEEDS,
)
from tests.flows import CHECKOUT, HOLD, User
from tests.harness import GraphQL, eventually

__all__ = ["DECLINED", "INSUFFICIENT_FUNDS", "PROCESSING_DECLINED", "PROCESSING_SUCCEEDS",
           "SUCCEEDS"]

PAYMENT_FIELDS = """id status attempts amount { amount currency } captured { amount }
  refunded { amount } provider providerPaymentId failure { code message }
  checkout { provider keyId orderId } refunds { id status amount { amount } reason }"""
START = """mutation($booking: ID!, $provider: PaymentProvider, $key: String) {
  startPayment(bookingId: $booking, provider: $provider, idempotencyKey: $key) {
    FIELDS } }""".replace("FIELDS", PAYMENT_FIELDS)
CONFIRM = """mutation($id: ID!, $card: String, $rzp: RazorpayProofInput) {
  confirmPayment(paymentId: $id, card: $card, razorpay: $rzp) {
    __typename
    ... on Payment { FIELDS }
    ... on PaymentDeclined { code message reason payment { id status } }
    ... on PaymentWindowClosed { code message payment { id status } } } }""".replace(
    "FIELDS", PAYMENT_FIELDS)
REFUND = """mutation($id: ID!, $amount: Int, $key: String!) {
  refundPayment(paymentId: $id, amount: $amount, idempotencyKey: $key) {
    id status reason amount { amount currency } providerRefundId payment { id status } } }"""
PAYMENT = "query($id: ID!) { payment(id: $id) { FIELDS } }".replace("FIELDS", PAYMENT_FIELDS)
BOOKING_PAYMENT = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Booking { payment { FIELDS } } } }""".replace("FIELDS", PAYMENT_FIELDS)
BOOKING = "query($id: ID!) { booking(id: $id) { id status total { amount } } }"
CANCEL_BOOKING = "mutation($id: ID!) { cancelBooking(bookingId: $id) { id status } }"


async def pending_booking(booking: GraphQL, who: User, show_id: str,
                          seat_ids: list[str]) -> dict[str, Any]:
    """Hold ``seat_ids`` and check out: the booking (PENDING_PAYMENT)."""
    held = await booking.data(HOLD, {"show": show_id, "seats": seat_ids}, who.token)
    assert held["holdSeats"]["__typename"] == "SeatHold", held
    out = await booking.data(CHECKOUT, {"hold": held["holdSeats"]["id"],
                                        "key": uuid.uuid4().hex}, who.token)
    assert out["checkout"]["__typename"] == "Booking", out
    return dict(out["checkout"])


async def start(payment: GraphQL, who: User, booking_id: str,
                provider: str | None = None) -> dict[str, Any]:
    """``startPayment`` for the booking: its payment."""
    body = await payment.data(START, {"booking": booking_id, "provider": provider}, who.token)
    return dict(body["startPayment"])


async def confirm(payment: GraphQL, who: User, payment_id: str, card: str) -> dict[str, Any]:
    """``confirmPayment`` with a sandbox card: the union member."""
    body = await payment.data(CONFIRM, {"id": payment_id, "card": card}, who.token)
    return dict(body["confirmPayment"])


async def pay(payment: GraphQL, who: User, booking_id: str, card: str = SUCCEEDS
              ) -> dict[str, Any]:
    """Start and confirm the booking's payment with ``card``."""
    started = await start(payment, who, booking_id)
    return await confirm(payment, who, started["id"], card)


async def settle_now(payment_db: Database, payment_id: str) -> None:
    """Make a PROCESSING sandbox payment due now: its settle time moves into the past, and
    the payment worker delivers the provider's webhook on its next round. (Test
    deployments give processing cards an hour, tests/harness.py: a card settles when the
    test says so, never by a race with a short delay.)"""
    past = utcnow() - timedelta(seconds=1)
    async with payment_db.writer() as session:
        due = list(await session.scalars(
            update(Payment).where(Payment.id == payment_id, Payment.settle_at.is_not(None))
            .values(settle_at=past).returning(Payment.id)))
        await session.commit()
    assert due == [payment_id], f"payment {payment_id} is not waiting to settle"


async def announced(payment_db: Database, event_type: str, payment_id: str) -> int:
    """How many ``event_type`` events about the payment payment's outbox holds."""
    outbox = PAYMENT_TABLES.outbox
    async with payment_db.reader() as session:
        found = await session.scalar(
            select(func.count()).select_from(outbox)
            .where(outbox.c.type == event_type, outbox.c.body.contains(payment_id)))
    return int(found or 0)


async def close_window(payment_db: Database, payment_id: str) -> datetime:
    """Make the payment's window close now, as payment sees it: the hold time payment was
    told (``booking_expires_at``) moves into the past. Booking's own hold is untouched
    (``support.lapse_hold`` makes that lapse). The new end of the window."""
    past = utcnow() - timedelta(seconds=1)
    async with payment_db.writer() as session:
        await session.execute(update(Payment).where(Payment.id == payment_id)
                              .values(booking_expires_at=past))
        await session.commit()
    return past


async def booking_status(booking: GraphQL, who: User, booking_id: str) -> str:
    body = await booking.data(BOOKING, {"id": booking_id}, who.token)
    return str(body["booking"]["status"])


async def wait_booking(booking: GraphQL, who: User, booking_id: str, status: str,
                       timeout: float = 20.0) -> None:
    """Wait until the booking reaches ``status`` (the saga runs through events)."""
    async def reached() -> bool:
        return await booking_status(booking, who, booking_id) == status

    await eventually(reached, timeout)


async def applied_by_booking(booking_db: Database, payment_db: Database, event_type: str,
                             payment_id: str) -> None:
    """Wait until booking has applied every ``event_type`` event payment emitted about
    ``payment_id`` (its processed-event record is there), so a test can then check that
    the event changed nothing."""
    outbox, processed = PAYMENT_TABLES.outbox, BOOKING_TABLES.processed
    async with payment_db.reader() as s:
        ids = [i for i, body in (await s.execute(
            select(outbox.c.event_id, outbox.c.body).where(outbox.c.type == event_type))).all()
               if payment_id in body]
    assert ids, f"payment emitted no {event_type} about {payment_id}"

    async def applied() -> bool:
        async with booking_db.reader() as s:
            done = await s.scalar(select(func.count()).select_from(processed).where(
                processed.c.event_id.in_(ids)))
        return done == len(ids)

    await eventually(applied)


AGREE = {
    "CONFIRMED": {"SUCCEEDED", "PARTIALLY_REFUNDED"},
    "PENDING_PAYMENT": {"REQUIRES_PAYMENT", "FAILED", "PROCESSING"},
    "EXPIRED": {"CANCELLED", "REFUNDED"},
    "CANCELLED": {"CANCELLED", "REFUNDED"},
}


async def disagreements(booking_db: Database, payment_db: Database,
                        booking_ids: list[str] | None = None) -> list[str]:
    """Every way the two databases disagree about money and bookings (empty when settled).

    Also unsettled work counts: a pending refund, a processing payment, an unpublished
    outbox row in either database.
    """
    problems: list[str] = []
    async with booking_db.reader() as bs, payment_db.reader() as ps:
        query = select(Booking)
        if booking_ids is not None:
            query = query.where(Booking.id.in_(booking_ids))
        bookings = list(await bs.scalars(query))
        payments = {p.booking_id: p for p in await ps.scalars(
            select(Payment).where(Payment.booking_id.in_([b.id for b in bookings])))}
        refunds: dict[str, list[Refund]] = {}
        for r in await ps.scalars(select(Refund).where(
                Refund.payment_id.in_([p.id for p in payments.values()]))):
            refunds.setdefault(r.payment_id, []).append(r)
        for db_session, tables, name in ((bs, BOOKING_TABLES, "booking"),
                                         (ps, PAYMENT_TABLES, "payment")):
            unpublished = await db_session.scalar(
                select(func.count()).select_from(tables.outbox)
                .where(tables.outbox.c.published_at.is_(None)))
            if unpublished:
                problems.append(f"{name}: {unpublished} outbox rows not yet published")
    for b in bookings:
        p = payments.get(b.id)
        if p is None:
            problems.append(f"booking {b.id} ({b.status}) has no payment")
            continue
        mine = refunds.get(p.id, [])
        if any(r.status == "PENDING" for r in mine):
            problems.append(f"payment {p.id} has a refund under way")
        if p.status == "PROCESSING":
            problems.append(f"payment {p.id} is still processing")
        if p.status not in AGREE.get(b.status, set()):
            problems.append(f"booking {b.id} is {b.status} but its payment is {p.status}")
        if p.booking_status != b.status:
            problems.append(f"payment {p.id} thinks booking {b.id} is {p.booking_status}, "
                            f"booking says {b.status}")
        # A second capture given back whole (DUPLICATE_PAYMENT), or one of a payment declined
        # for its instrument (INSTRUMENT_REFUSED), is outside the books.
        mine = [r for r in mine if r.reason not in ("DUPLICATE_PAYMENT", "INSTRUMENT_REFUSED")]
        succeeded = sum(r.amount for r in mine if r.status == "SUCCEEDED")
        if succeeded != p.refunded_amount:
            problems.append(f"payment {p.id} refunded {p.refunded_amount} but its refunds "
                            f"sum to {succeeded}")
        goodwill = sum(r.amount for r in mine if r.status == "SUCCEEDED"
                       and r.reason in ("REQUESTED", "PROVIDER")) if b.status == "CONFIRMED" else 0
        expected = b.total_amount - goodwill if b.status == "CONFIRMED" else 0
        net = p.captured_amount - p.refunded_amount
        if net != expected:
            problems.append(f"booking {b.id} is {b.status} (total {b.total_amount}): captured "
                            f"{p.captured_amount} - refunded {p.refunded_amount} = {net}, "
                            f"not {expected}")
    return problems


async def settled(booking_db: Database, payment_db: Database,
                  booking_ids: list[str] | None = None, timeout: float = 30.0) -> None:
    """Wait until money and seats agree for these bookings (all when ``None``); fail with
    the disagreements left when they do not."""
    last: list[str] = []

    async def agree() -> bool:
        nonlocal last
        last = await disagreements(booking_db, payment_db, booking_ids)
        return not last

    try:
        await eventually(agree, timeout, 0.2)
    except AssertionError:
        raise AssertionError("money and seats disagree:\n" + "\n".join(last)) from None
