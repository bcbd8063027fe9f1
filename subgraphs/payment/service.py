"""Payment use cases: pay for a booking, refund it, and follow booking through events.

The rule everywhere: talk to the provider outside any transaction, then apply what it
reported under the payment's row lock, and only if the payment can still move that way.
So a report that comes late, twice, or out of order changes nothing it should not, and
each change commits with the event that tells booking (transactional outbox).
docs/payments.md draws the state machine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kernel.auth import Caller, require_caller
from subgraphs.kernel.db import all_each, one_each, utcnow
from subgraphs.kernel.errors import BadUserInput, Conflict, Forbidden, NotFound, present
from subgraphs.kernel.events import Event
from subgraphs.kernel.faults import crash_point
from subgraphs.kernel.idempotency import clean_key, create_once
from subgraphs.kernel.inputs import could_be_id
from subgraphs.kernel.service import Service, repeat
from subgraphs.kernel.uow import UnitOfWork
from subgraphs.payment.models import (
    CANCELLED,
    CAPTURED,
    DUPLICATE_PAYMENT,
    FAILED,
    PARTIALLY_REFUNDED,
    PAYABLE,
    PROCESSING,
    REFUND_FAILED,
    REFUND_PENDING,
    REFUND_SUCCEEDED,
    REFUNDED,
    REQUIRES_PAYMENT,
    SUCCEEDED,
    Payment,
    Refund,
    WebhookEvent,
)
from subgraphs.payment.providers import (
    Charge,
    InvalidWebhook,
    Notice,
    PaymentProviderError,
    Proof,
    Provider,
    RefundNotice,
    RefundResult,
    build_providers,
)
from subgraphs.payment.providers.sandbox import Sandbox

log = logging.getLogger("ticketflow.payment")

PENDING_BOOKING = "PENDING_PAYMENT"


# --- providers and the worker's wake-up --------------------------------------------------

def providers(service: Service) -> dict[str, Provider]:
    """The providers this process can use, built once."""
    return service.once("providers", lambda: build_providers(service.settings))


def provider_of(service: Service, name: str) -> Provider:
    """The provider called ``name``; ``BAD_USER_INPUT`` if this deployment has none."""
    found = providers(service).get(name)
    if found is None:
        raise BadUserInput(f"The payment provider {name} is not configured here.",
                           field="provider")
    return found


async def _locked(uow: UnitOfWork, payment_id: str) -> Payment:
    return present(await uow.session.get(Payment, payment_id, with_for_update=True,
                                         populate_existing=True), "a payment")


# --- charges: what the provider says about a payment ---------------------------------------

async def apply_charge(service: Service, uow: UnitOfWork, payment: Payment, charge: Charge,
                       provider: Provider) -> bool:
    """Move a locked payment as ``provider``'s ``charge`` reports, if it may still move so;
    changed?

    SUCCEEDED wins over everything that captured nothing (even CANCELLED: the money
    arrived, so booking decides, and a booking that cannot take it gets it refunded).
    A second capture of real money for a payment already paid (a second browser tab, or
    an order paid after switching provider) is given back whole. FAILED and PROCESSING
    only move a payment that is not settled.
    """
    if charge.status == "SUCCEEDED":
        if payment.status in CAPTURED:
            return await _refund_duplicate(service, uow, payment, charge, provider)
        payment.status = SUCCEEDED
        payment.provider = provider.name  # refunds go where the money is
        payment.captured_amount = charge.amount or payment.amount
        payment.provider_payment_id = charge.provider_payment_id or payment.provider_payment_id
        payment.succeeded_at = utcnow()
        payment.failure_code = payment.failure_message = None
        payment.settle_at = payment.settle_outcome = None
        uow.emit("PaymentSucceeded", {
            "payment_id": payment.id, "booking_id": payment.booking_id,
            "user_id": payment.user_id, "amount": payment.captured_amount,
            "currency": payment.currency, "provider": payment.provider,
            "succeeded_at": payment.succeeded_at.isoformat()})
        return True
    if charge.status == "FAILED":
        if payment.status not in (REQUIRES_PAYMENT, PROCESSING):
            return False
        # Once booking is over, a failed payment cannot be retried: it is cancelled.
        payment.status = FAILED if payment.booking_status == PENDING_BOOKING else CANCELLED
        payment.provider_payment_id = charge.provider_payment_id or payment.provider_payment_id
        payment.failure_code = charge.failure_code
        payment.failure_message = charge.failure_message
        payment.settle_at = payment.settle_outcome = None
        uow.emit("PaymentFailed", {
            "payment_id": payment.id, "booking_id": payment.booking_id,
            "user_id": payment.user_id, "code": charge.failure_code,
            "message": charge.failure_message, "status": payment.status})
        return True
    if payment.status not in PAYABLE:
        return False
    payment.status = PROCESSING
    payment.provider_payment_id = charge.provider_payment_id or payment.provider_payment_id
    payment.failure_code = payment.failure_message = None
    payment.settle_at, payment.settle_outcome = charge.settle_at, charge.settle_outcome
    return True


async def _refund_duplicate(service: Service, uow: UnitOfWork, payment: Payment, charge: Charge,
                            provider: Provider) -> bool:
    paid_by = charge.provider_payment_id
    if provider.virtual or not paid_by or paid_by == payment.provider_payment_id:
        return False
    known = await uow.session.scalar(select(Refund.id).where(
        Refund.payment_id == payment.id, Refund.provider_payment_id == paid_by))
    if known is not None:
        return False
    log.warning("payment %s was paid twice (%s and %s): refunding the second",
                payment.id, payment.provider_payment_id, paid_by)
    uow.session.add(Refund(payment_id=payment.id, amount=charge.amount or payment.amount,
                           currency=payment.currency, reason=DUPLICATE_PAYMENT,
                           provider=provider.name, provider_payment_id=paid_by))
    service.wake_after_commit(uow)
    return True


def _cancel(uow: UnitOfWork, payment: Payment) -> None:
    payment.status = CANCELLED
    uow.emit("PaymentCancelled", {"payment_id": payment.id, "booking_id": payment.booking_id})


# --- refunds -------------------------------------------------------------------------------

async def _pending_refunds(session: AsyncSession, payment_id: str) -> int:
    return int(await session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0))
        .where(Refund.payment_id == payment_id, Refund.status == REFUND_PENDING,
               Refund.reason != DUPLICATE_PAYMENT)) or 0)


async def open_refund(service: Service, uow: UnitOfWork, payment: Payment, amount: int | None,
                      reason: str, requested_by: str | None = None) -> Refund | None:
    """Record a refund of ``amount`` (``None``: all that is left) of a locked payment.

    The provider is called after commit (the worker, or the caller straight away), with
    the refund's id as idempotency key. Nothing left to refund gives ``None``.
    """
    left = payment.refundable - await _pending_refunds(uow.session, payment.id)
    if amount is None:
        amount = left
    elif amount > left:
        raise BadUserInput(f"At most {left} ({payment.currency} minor units) can still be "
                           "refunded.", field="amount", refundable=left)
    if amount <= 0:
        return None
    refund = Refund(payment_id=payment.id, amount=amount, currency=payment.currency,
                    reason=reason, requested_by=requested_by, provider=payment.provider)
    uow.session.add(refund)
    await uow.session.flush()
    service.wake_after_commit(uow)
    return refund


def apply_refund_result(uow: UnitOfWork, payment: Payment, refund: Refund,
                        result: RefundResult) -> bool:
    """Settle a locked pending refund as the provider reports it; changed?"""
    if refund.status != REFUND_PENDING:
        return False
    refund.provider_refund_id = result.provider_refund_id or refund.provider_refund_id
    if result.status == "PENDING":
        return False
    refund.settled_at = utcnow()
    if result.status == "FAILED":
        refund.status = REFUND_FAILED
        refund.failure_message = (result.failure_message or "The provider refused.")[:300]
        uow.emit("PaymentRefundFailed", {
            "payment_id": payment.id, "booking_id": payment.booking_id, "refund_id": refund.id,
            "amount": refund.amount, "currency": refund.currency,
            "message": refund.failure_message})
        return True
    refund.status = REFUND_SUCCEEDED
    if refund.reason != DUPLICATE_PAYMENT:  # a duplicate was never the booking's money
        payment.refunded_amount += refund.amount
        payment.status = REFUNDED if payment.refunded_amount >= payment.captured_amount \
            else PARTIALLY_REFUNDED
    uow.emit("PaymentRefunded", {
        "payment_id": payment.id, "booking_id": payment.booking_id, "refund_id": refund.id,
        "user_id": payment.user_id, "provider": refund.provider,
        "amount": refund.amount, "currency": refund.currency, "reason": refund.reason,
        "refunded_total": payment.refunded_amount,
        "fully_refunded": payment.status == REFUNDED})
    return True


async def settle_refund(service: Service, refund_id: str) -> Refund:
    """Ask the provider to pay a pending refund back (again: it is idempotent) and record
    the answer. A provider that does not answer leaves it pending for the worker."""
    refund = present(await service.get(Refund, refund_id), "a refund")
    if refund.status != REFUND_PENDING:
        return refund
    payment = present(await service.get(Payment, refund.payment_id), "a refund's payment")
    try:
        result = await provider_of(service, refund.provider).refund(payment, refund)
    except (PaymentProviderError, BadUserInput) as exc:
        log.warning("refund %s of payment %s not sent yet: %s", refund.id, payment.id, exc)
        result = RefundResult("PENDING")
    crash_point("payment.refund_sent")
    async with service.uow() as uow:
        payment = await _locked(uow, payment.id)
        refund = present(await uow.session.get(Refund, refund_id, with_for_update=True,
                                               populate_existing=True), "a refund")
        if refund.status == REFUND_PENDING:
            refund.attempts += 1
        apply_refund_result(uow, payment, refund, result)
    return refund


# --- booking's events --------------------------------------------------------------------

async def apply_booking_event(service: Service, uow: UnitOfWork, event: Event) -> None:
    """Follow the booking: a new booking owes a payment; one that ended cancels the payment
    or gives back what was paid."""
    p = event.payload
    if event.type == "BookingCreated":
        await _create_payment(service, uow, p)
        return
    if event.type not in ("BookingExpired", "BookingCancelled", "BookingNotConfirmed",
                          "BookingConfirmed"):
        return
    found = await uow.session.scalar(
        select(Payment.id).where(Payment.booking_id == p["booking_id"]))
    if found is None:
        log.warning("%s for booking %s, which has no payment", event.type, p["booking_id"])
        return
    payment = await _locked(uow, found)
    if event.type == "BookingConfirmed":
        payment.booking_status = "CONFIRMED"
        return
    if event.type == "BookingNotConfirmed":
        payment.booking_status = str(p.get("status") or "EXPIRED")
        await open_refund(service, uow, payment, None, "BOOKING_NOT_CONFIRMED")
        return
    payment.booking_status = "EXPIRED" if event.type == "BookingExpired" else "CANCELLED"
    if payment.status in PAYABLE:
        _cancel(uow, payment)
    elif payment.status in CAPTURED:
        reason = "SHOW_CANCELLED" if p.get("reason") == "SHOW_CANCELLED" else "BOOKING_CANCELLED"
        await open_refund(service, uow, payment, None, reason)
    # PROCESSING: the provider has not decided. If it succeeds, booking answers
    # BookingNotConfirmed and the money goes back; if it fails, the payment is cancelled.


async def _create_payment(service: Service, uow: UnitOfWork, p: Mapping[str, Any]) -> None:
    exists = await uow.session.scalar(
        select(Payment.id).where(Payment.booking_id == p["booking_id"]))
    if exists is not None:
        return
    expires = p.get("expires_at")
    payment = Payment(booking_id=p["booking_id"], user_id=p["user_id"],
                      organizer_id=p["organizer_id"], show_id=p.get("show_id", ""),
                      amount=p["amount"], currency=p["currency"],
                      provider=service.settings.payment_provider,
                      booking_expires_at=datetime.fromisoformat(expires) if expires else None)
    uow.session.add(payment)
    await uow.session.flush()
    if payment.amount == 0:  # a free booking is paid by definition
        await apply_charge(service, uow, payment, Charge("SUCCEEDED", None, 0, payment.currency),
                           provider_of(service, payment.provider))


# --- the customer's and the organizer's mutations ----------------------------------------

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


def _require_buyer(caller: Caller | None, payment: Payment) -> Caller:
    who = require_caller(caller)
    if who.user_id != payment.user_id:
        raise Forbidden("Only the booking's owner can pay for it.")
    return who


# Paid, or the provider is deciding: starting or confirming again returns it as it is.
UNDER_WAY = (*CAPTURED, PROCESSING)


def _payable(payment: Payment) -> bool:
    """Whether the customer may still pay: the payment is open and its booking waits."""
    expired = payment.booking_expires_at is not None and payment.booking_expires_at <= utcnow()
    return payment.status in PAYABLE and payment.booking_status == PENDING_BOOKING \
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
        p = await _locked(uow, payment.id)
        if p.status in PAYABLE:
            p.provider = name
            p.provider_order_id = p.provider_order_id or order_id
        return p, p.id

    return await create_once(
        service, service.idempotency, user_id=who.user_id, key=key, operation="startPayment",
        request={"booking_id": booking_id, "provider": name}, create=create,
        load=lambda id: _get_payment(service, id))


async def _get_payment(service: Service, payment_id: str) -> Payment:
    payment = await service.get(Payment, payment_id)
    if payment is None:
        raise NotFound("No payment with this id.", field="paymentId")
    return payment


@dataclass(frozen=True)
class Declined:
    """The provider declined the card: the booking stays pending; pay again."""

    payment: Payment


@dataclass(frozen=True)
class TooLate:
    """The booking is no longer waiting for this payment (its hold lapsed, or it ended)."""

    payment: Payment


def _proof_provider(proof: Proof) -> str:
    card = proof.card is not None
    razorpay = any(v is not None for v in (proof.razorpay_order_id, proof.razorpay_payment_id,
                                           proof.razorpay_signature))
    if card == razorpay:
        raise BadUserInput("Give either card (sandbox) or razorpay (Razorpay Checkout's "
                           "answer).", field="card")
    return "sandbox" if card else "razorpay"


async def confirm_payment(service: Service, caller: Caller | None, payment_id: str,
                          proof: Proof) -> Payment | Declined | TooLate:
    """Complete a payment with the provider's proof; the amount is the booking's, always.

    A payment that already succeeded (or is processing) is returned as it is: confirming
    twice never charges twice.
    """
    who = require_caller(caller)
    payment = await _get_payment(service, payment_id)
    _require_buyer(who, payment)
    name = _proof_provider(proof)
    if payment.provider != name:
        raise BadUserInput(f"This payment is set up for {payment.provider}; start it again "
                           f"with provider {name.upper()} first.", field="provider")
    chosen = provider_of(service, name)
    if payment.status in UNDER_WAY:
        return payment
    if not _payable(payment):
        return TooLate(payment)
    charge = await chosen.confirm(payment, proof)
    crash_point("payment.charged")
    async with service.uow() as uow:
        payment = await _locked(uow, payment_id)
        if payment.status in PAYABLE:
            payment.attempts += 1
        await apply_charge(service, uow, payment, charge, chosen)
    if charge.status == "FAILED" and payment.status in (FAILED, CANCELLED):
        return Declined(payment)
    return payment


async def refund_payment(service: Service, caller: Caller | None, payment_id: str,
                         amount: int | None, idempotency_key: str) -> Refund:
    """Give back ``amount`` (all that is left when ``None``): the show's organizer or an admin.

    A full refund of a confirmed booking cancels it (booking hears ``PaymentRefunded``) and
    its seats go back on sale; a partial one leaves the booking as it is.
    """
    who = require_caller(caller)
    key = clean_key(idempotency_key)
    payment = await _get_payment(service, payment_id)
    if not (who.is_admin or who.user_id == payment.organizer_id):
        raise Forbidden("Only the show's organizer or an admin can refund.")
    if key is None:
        raise BadUserInput("Give an idempotency key.", field="idempotencyKey")
    if amount is not None and amount <= 0:
        raise BadUserInput("Refund a positive amount (minor units), or leave amount out to "
                           "refund everything left.", field="amount")

    async def create(uow: UnitOfWork) -> tuple[Refund, str]:
        p = await _locked(uow, payment_id)
        if p.status not in CAPTURED:
            raise Conflict(f"A {p.status} payment has nothing to refund.", field="paymentId",
                           status=p.status)
        refund = await open_refund(service, uow, p, amount, "REQUESTED", who.user_id)
        if refund is None:
            raise Conflict("Everything paid is refunded or being refunded.",
                           field="paymentId", status=p.status)
        return refund, refund.id

    refund = await create_once(
        service, service.idempotency, user_id=who.user_id, key=key, operation="refundPayment",
        request={"payment_id": payment_id, "amount": amount}, create=create,
        load=lambda id: _get_refund(service, id))
    return await settle_refund(service, refund.id)


async def _get_refund(service: Service, refund_id: str) -> Refund:
    return present(await service.get(Refund, refund_id), "a refund")


# --- webhooks ------------------------------------------------------------------------------

@dataclass(frozen=True)
class WebhookAnswer:
    """The HTTP status and body the webhook endpoint answers with."""

    status: int
    outcome: str


async def _payment_for(service: Service, notice: Notice) -> Payment | None:
    async with service.db.reader() as session:
        if notice.payment_id:
            return await session.get(Payment, notice.payment_id)
        if notice.order_id:
            return await session.scalar(
                select(Payment).where(Payment.provider_order_id == notice.order_id))
        if notice.refund:
            return await session.scalar(select(Payment).where(
                Payment.provider_payment_id == notice.refund.provider_payment_id))
    return None


async def _seen(service: Service, provider: str, event_id: str) -> bool:
    async with service.db.reader() as session:
        return await session.get(WebhookEvent, (provider, event_id)) is not None


async def receive_webhook(service: Service, provider: str, raw: bytes,
                          headers: Mapping[str, str]) -> WebhookAnswer:
    """Verify and apply one provider event, at most once per event id.

    A bad signature is 400 and changes nothing. The event's row in ``webhook_events``
    commits with the change it made, so a replay finds it and stops; events may come in
    any order, because each only moves a payment forward.
    """
    found = providers(service).get(provider)
    if found is None:
        return WebhookAnswer(404, "unknown provider")
    try:
        notice = found.verify_webhook(raw, headers)
    except InvalidWebhook as exc:
        log.warning("rejected a %s webhook: %s", provider, exc)
        return WebhookAnswer(400, str(exc))
    if await _seen(service, provider, notice.event_id):
        return WebhookAnswer(200, "DUPLICATE")
    payment = await _payment_for(service, notice)
    charge = notice.charge
    if notice.authorized and payment is not None and charge is not None \
            and payment.status not in CAPTURED and charge.provider_payment_id:
        charge = await found.capture(payment, charge.provider_payment_id)
    try:
        async with service.uow() as uow:
            row = WebhookEvent(provider=provider, event_id=notice.event_id,
                               event_type=notice.event_type[:60], outcome="UNMATCHED")
            uow.session.add(row)
            await uow.session.flush()
            if payment is not None:
                locked = await _locked(uow, payment.id)
                changed = False
                if charge is not None:
                    changed = await apply_charge(service, uow, locked, charge, found)
                if notice.refund is not None:
                    changed = await _apply_refund_notice(uow, locked, notice.refund, provider)
                row.outcome = "APPLIED" if changed else "IGNORED"
            outcome = row.outcome
    except IntegrityError:
        return WebhookAnswer(200, "DUPLICATE")  # the same event, applied concurrently
    return WebhookAnswer(200, outcome)


async def _apply_refund_notice(uow: UnitOfWork, payment: Payment, notice: RefundNotice,
                               provider: str) -> bool:
    refund = None
    if notice.refund_id:
        refund = await uow.session.get(Refund, notice.refund_id, with_for_update=True)
    if refund is None:
        refund = await uow.session.scalar(
            select(Refund).where(Refund.provider_refund_id == notice.provider_refund_id)
            .with_for_update())
    if refund is None:
        if notice.status != "SUCCEEDED":
            return False
        # Refunded outside TicketFlow (the provider's dashboard): record it so the books agree.
        refund = Refund(payment_id=payment.id, amount=notice.amount, currency=payment.currency,
                        reason="PROVIDER", provider=provider,
                        provider_refund_id=notice.provider_refund_id)
        uow.session.add(refund)
        await uow.session.flush()
    return apply_refund_result(uow, payment, refund, RefundResult(
        notice.status, notice.provider_refund_id, notice.failure_message))


# --- the worker: sandbox settlements and refunds under way -----------------------------------

async def settle_sandbox(service: Service) -> int:
    """Deliver the webhook of every sandbox payment whose processing time is up."""
    sandbox = providers(service).get("sandbox")
    if not isinstance(sandbox, Sandbox):
        return 0
    async with service.db.reader() as session:
        due = list(await session.scalars(
            select(Payment).where(Payment.status == PROCESSING, Payment.provider == "sandbox",
                                  Payment.settle_at <= utcnow()).limit(100)))
    for payment in due:
        raw, headers = sandbox.settlement(payment)
        await receive_webhook(service, "sandbox", raw, headers)
    return len(due)


async def retry_refunds(service: Service) -> int:
    """Send (or re-read) pending refunds, backing off per refund; the number tried."""
    interval = service.settings.payment_worker_interval_seconds
    now = utcnow()
    async with service.db.reader() as session:
        pending = list(await session.scalars(
            select(Refund).where(Refund.status == REFUND_PENDING)
            .order_by(Refund.created_at).limit(100)))
    tried = 0
    for refund in pending:
        wait = timedelta(seconds=min(interval * 2 ** refund.attempts, 300))
        if refund.attempts and refund.updated_at + wait > now:
            continue
        tried += 1
        await settle_refund(service, refund.id)
    return tried


async def worker(service: Service) -> None:
    """Background job: settle due sandbox payments and drive pending refunds."""
    async def step() -> None:
        await settle_sandbox(service)
        await retry_refunds(service)

    try:
        await repeat(step, every=service.settings.payment_worker_interval_seconds,
                     what="payment worker", wake=service.wake())
    finally:
        for provider in providers(service).values():
            await provider.close()


# --- loaders -------------------------------------------------------------------------------

async def payments_by_id(session: AsyncSession, ids: Sequence[str]) -> list[Payment | None]:
    """Payments in the order of ``ids``, in one query."""
    return await one_each(session, Payment.id, ids)


async def payments_by_booking(session: AsyncSession,
                              booking_ids: Sequence[str]) -> list[Payment | None]:
    """Each booking's payment (or ``None``), in one query."""
    return await one_each(session, Payment.booking_id, booking_ids)


async def refunds_by_payment(session: AsyncSession,
                             payment_ids: Sequence[str]) -> list[list[Refund]]:
    """Each payment's refunds, oldest first, in one query."""
    return await all_each(session, Refund.payment_id, payment_ids, Refund.created_at)


async def refunds_by_id(session: AsyncSession, ids: Sequence[str]) -> list[Refund | None]:
    """Refunds in the order of ``ids``, in one query."""
    return await one_each(session, Refund.id, ids)
