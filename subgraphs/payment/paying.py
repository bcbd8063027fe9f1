"""The customer's payment: ``startPayment`` gets it ready with a provider,
``confirmPayment`` completes it with the provider's proof."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select

from subgraphs.kernel.auth import Caller, require_caller
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.errors import BadUserInput, Conflict, Forbidden, NotFound
from subgraphs.kernel.events import PaymentFailed
from subgraphs.kernel.faults import crash_point
from subgraphs.kernel.idempotency import clean_key, create_once
from subgraphs.kernel.inputs import could_be_id
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork
from subgraphs.payment import instruments
from subgraphs.payment.charges import (
    apply_charge,
    get_payment,
    give_back_capture,
    locked_payment,
    provider_of,
)
from subgraphs.payment.models import (
    CANCELLED,
    CAPTURED,
    FAILED,
    PAYABLE,
    PROCESSING,
    SUCCEEDED,
    BookingStatus,
    Payment,
    RefundReason,
)
from subgraphs.payment.outcomes import PaymentDeclined, PaymentWindowClosed
from subgraphs.payment.providers import Charge, Instrument, Proof, Provider

log = logging.getLogger("ticketflow.payment")


async def _payment_of_booking(service: Service, booking_id: str) -> Payment | None:
    """The booking's payment, waiting a moment for a BookingCreated still on its way."""
    if not could_be_id(booking_id):  # no booking of ours: nothing is on its way
        return None
    deadline = asyncio.get_running_loop().time() + service.settings.payment_wait_seconds
    while True:
        async with service.db.reader() as session:
            found = await session.scalar(select(Payment).where(Payment.booking_id == booking_id))
        if found is not None or asyncio.get_running_loop().time() >= deadline:
            return found
        await asyncio.sleep(0.05)


def _require_buyer(who: Caller, payment: Payment) -> None:
    if who.user_id != payment.user_id:
        raise Forbidden("Only the booking's owner can pay for it.")


# Paid, or the provider is deciding: starting or confirming again returns it as it is.
UNDER_WAY = (*CAPTURED, PROCESSING)


def _payable(payment: Payment) -> bool:
    """Whether the customer may still pay: the payment is open and its booking waits."""
    expired = payment.booking_expires_at is not None and payment.booking_expires_at <= utcnow()
    return payment.status in PAYABLE and payment.booking_status == BookingStatus.PENDING_PAYMENT \
        and not expired


async def start_payment(service: Service, caller: Caller | None, booking_id: str,
                        provider: str | None, idempotency_key: str | None) -> Payment:
    """Get the booking's payment ready with ``provider`` (a Razorpay order, say).

    Idempotent by nature (one payment per booking, one order per provider); a key reused
    for another booking or provider is a ``CONFLICT``.
    """
    who = require_caller(caller)
    key = clean_key(idempotency_key)
    payment = await _payment_of_booking(service, booking_id)
    if payment is None:
        raise NotFound("No booking awaiting payment with this id.", field="bookingId")
    _require_buyer(who, payment)
    name = provider or payment.provider
    chosen = provider_of(service, name)
    if payment.status in UNDER_WAY:
        return payment
    if not _payable(payment):
        raise Conflict("This booking can no longer be paid for; hold the seats again.",
                       field="bookingId", status=payment.status)
    # An order, once made, is kept whatever the provider: if the customer pays it after all
    # (another tab), its webhook still finds this payment.
    order_id = payment.provider_order_id
    if order_id is None:
        order_id = await chosen.start(payment)

    async def create(uow: UnitOfWork) -> tuple[Payment, str]:
        p = await locked_payment(uow, payment.id)
        if p.status in PAYABLE:
            p.provider = name
            p.provider_order_id = p.provider_order_id or order_id
        return p, p.id

    return await create_once(
        service, service.idempotency, user_id=who.user_id, key=key, operation="startPayment",
        request={"booking_id": booking_id, "provider": name}, create=create,
        load=lambda id: get_payment(service, id))


_NOTHING_KEPT = " Nothing is kept: an amount already captured is refunded in full."
# What the buyer reads in PaymentDeclined.message, by reason.
DECLINES = {
    instruments.INSTRUMENT_LIMIT: (
        "This card (or UPI id) already paid for as many bookings of this show as one may; "
        "pay with another." + _NOTHING_KEPT),
    instruments.INSTRUMENT_UNIDENTIFIED: (
        "This show limits the bookings one card may pay for, and this way of paying cannot "
        "be told apart from another: pay with UPI, or with a card saved with Razorpay."
        + _NOTHING_KEPT),
}


async def check_instrument(service: Service, provider: Provider, payment_id: str,
                           found: Instrument
                           ) -> Payment | PaymentDeclined | PaymentWindowClosed | None:
    """The instrument check of a queued show's payment (subgraphs/payment/instruments.py),
    for ``confirmPayment`` and the provider's webhooks alike, before anything is charged or
    captured: None when it may be paid (its slot taken, or an unidentified instrument
    allowed); else what to answer.

    Declined (``instrument_limit``, or ``instrument_unidentified`` unless
    ``TICKETFLOW_QUEUE_UNIDENTIFIED_INSTRUMENTS=allow``), the payment is FAILED and the
    booking stays pending: another instrument pays. Money the provider only authorized is
    left uncaptured (it releases it); money it captured already is refunded in full
    (``INSTRUMENT_REFUSED``)."""
    async with service.uow() as uow:
        payment = await locked_payment(uow, payment_id)
        if payment.status in UNDER_WAY:  # paid meanwhile (another tab)
            return payment
        if not _payable(payment):
            return PaymentWindowClosed(payment)
        if found.fingerprint is None:
            if service.settings.queue_unidentified_instruments == "allow":
                log.info("payment %s (%s) of a queued show: instrument not identified, paid "
                         "uncapped", payment.id, found.charge and found.charge.provider_payment_id)
                return None
            code = instruments.INSTRUMENT_UNIDENTIFIED
        elif await instruments.take(service, uow, payment, found.fingerprint):
            await uow.commit()
            return None
        else:
            code = instruments.INSTRUMENT_LIMIT
        _decline(uow, payment, code, found.charge)
        if found.charge is not None and found.charge.status == SUCCEEDED:
            await give_back_capture(service, uow, payment, found.charge, provider,
                                    RefundReason.INSTRUMENT_REFUSED)
        await uow.commit()
        return PaymentDeclined(payment)


def _decline(uow: UnitOfWork, payment: Payment, code: str, charge: Charge | None) -> None:
    paid_by = charge.provider_payment_id if charge is not None else None
    if paid_by and (payment.status, payment.failure_code, payment.provider_payment_id) == (
            FAILED, code, paid_by):
        return  # declined already (its webhook after confirmPayment, say)
    payment.attempts += 1
    payment.status = FAILED
    payment.provider_payment_id = paid_by or payment.provider_payment_id
    payment.failure_code = code
    payment.failure_message = DECLINES[code]
    uow.emit(PaymentFailed(
        payment_id=payment.id, booking_id=payment.booking_id, user_id=payment.user_id,
        code=payment.failure_code, message=payment.failure_message, status=payment.status))


async def _give_back_unless_paid(service: Service, payment_id: str, fingerprint: str) -> None:
    async with service.uow() as uow:
        payment = await locked_payment(uow, payment_id)
        if payment.status not in UNDER_WAY:
            await instruments.give_back(uow, payment, fingerprint)
        await uow.commit()


def _proof_provider(proof: Proof) -> str:
    card = proof.card is not None
    razorpay = any(v is not None for v in (proof.razorpay_order_id, proof.razorpay_payment_id,
                                           proof.razorpay_signature))
    if card == razorpay:
        raise BadUserInput("Give either card (sandbox) or razorpay (Razorpay Checkout's "
                           "answer).", field="card")
    return "sandbox" if card else "razorpay"


async def confirm_payment(service: Service, caller: Caller | None, payment_id: str,
                          proof: Proof) -> Payment | PaymentDeclined | PaymentWindowClosed:
    """Complete a payment with the provider's proof; the amount is the booking's, always.

    A payment that already succeeded (or is processing) is returned as it is: confirming
    twice never charges twice.
    """
    who = require_caller(caller)
    payment = await get_payment(service, payment_id)
    _require_buyer(who, payment)
    name = _proof_provider(proof)
    if payment.provider != name:
        raise BadUserInput(f"This payment is set up for {payment.provider}; start it again "
                           f"with provider {name.upper()} first.", field="provider")
    chosen = provider_of(service, name)
    if payment.status in UNDER_WAY:
        return payment
    if not _payable(payment):
        return PaymentWindowClosed(payment)
    fingerprint = None
    if payment.queued:
        found = await chosen.instrument(payment, proof)
        refused = await check_instrument(service, chosen, payment_id, found)
        if refused is not None:
            return refused
        fingerprint = found.fingerprint
    try:
        charge = await chosen.confirm(payment, proof)
    except BaseException:
        if fingerprint is not None:
            await _give_back_unless_paid(service, payment_id, fingerprint)
        raise
    crash_point("payment.charged")
    async with service.uow() as uow:
        payment = await locked_payment(uow, payment_id)
        if payment.status in PAYABLE:
            payment.attempts += 1
        await apply_charge(service, uow, payment, charge, chosen)
        if fingerprint is not None and payment.status not in UNDER_WAY:
            await instruments.give_back(uow, payment, fingerprint)
        await uow.commit()
    if charge.status == FAILED and payment.status in (FAILED, CANCELLED):
        return PaymentDeclined(payment)
    return payment
