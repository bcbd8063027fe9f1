"""What a payment provider says about a payment, applied: its providers, the payment's row
lock, and the charge that moves a payment (docs/payments.md draws the state machine).

The rule everywhere in payment: talk to the provider outside any transaction, then apply
what it reported under the payment's row lock, and only if the payment can still move that
way. So a report that comes late, twice, or out of order changes nothing it should not, and
each change commits with the event that tells booking (transactional outbox).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from subgraphs.kernel.db import utcnow
from subgraphs.kernel.errors import BadUserInput, NotFound, present
from subgraphs.kernel.events import PaymentCancelled, PaymentFailed, PaymentSucceeded
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork
from subgraphs.payment import instruments
from subgraphs.payment.models import (
    CANCELLED,
    CAPTURED,
    FAILED,
    PAYABLE,
    PROCESSING,
    REQUIRES_PAYMENT,
    SUCCEEDED,
    BookingStatus,
    Payment,
    Refund,
    RefundReason,
)
from subgraphs.payment.providers import Charge, Provider, build_providers

log = logging.getLogger("ticketflow.payment")


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


async def locked_payment(uow: UnitOfWork, payment_id: str) -> Payment:
    return present(await uow.session.get(Payment, payment_id, with_for_update=True,
                                         populate_existing=True), "a payment")


async def get_payment(service: Service, payment_id: str) -> Payment:
    payment = await service.get(Payment, payment_id)
    if payment is None:
        raise NotFound("No payment with this id.", field="paymentId")
    return payment


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
    if charge.status == SUCCEEDED:
        if payment.status in CAPTURED:
            return await _refund_duplicate(service, uow, payment, charge, provider)
        payment.status = SUCCEEDED
        payment.provider = provider.name  # refunds go where the money is
        payment.captured_amount = charge.amount or payment.amount
        payment.provider_payment_id = charge.provider_payment_id or payment.provider_payment_id
        payment.succeeded_at = utcnow()
        payment.failure_code = payment.failure_message = None
        payment.settle_at = payment.settle_outcome = None
        uow.emit(PaymentSucceeded(
            payment_id=payment.id, booking_id=payment.booking_id, user_id=payment.user_id,
            amount=payment.captured_amount, currency=payment.currency,
            provider=payment.provider, succeeded_at=payment.succeeded_at.isoformat()))
        return True
    if charge.status == FAILED:
        if payment.status not in (REQUIRES_PAYMENT, PROCESSING):
            return False
        if payment.status == PROCESSING and payment.queued:  # settled: nothing captured
            await instruments.give_back(uow, payment)
        # Once booking is over, a failed payment cannot be retried: it is cancelled.
        payment.status = (FAILED if payment.booking_status == BookingStatus.PENDING_PAYMENT
                          else CANCELLED)
        payment.provider_payment_id = charge.provider_payment_id or payment.provider_payment_id
        payment.failure_code = charge.failure_code
        payment.failure_message = charge.failure_message
        payment.settle_at = payment.settle_outcome = None
        uow.emit(PaymentFailed(
            payment_id=payment.id, booking_id=payment.booking_id, user_id=payment.user_id,
            code=charge.failure_code, message=charge.failure_message, status=payment.status))
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
    if charge.provider_payment_id == payment.provider_payment_id:
        return False
    return await give_back_capture(service, uow, payment, charge, provider,
                                   RefundReason.DUPLICATE_PAYMENT)


async def give_back_capture(service: Service, uow: UnitOfWork, payment: Payment, charge: Charge,
                            provider: Provider, reason: str) -> bool:
    """Refund all of ``charge``'s capture, money that never was the booking's (``reason``
    one of ``RefundReason.NOT_THE_BOOKINGS``), once per provider payment; opened?"""
    paid_by = charge.provider_payment_id
    if provider.virtual or not paid_by:
        return False
    known = await uow.session.scalar(select(Refund.id).where(
        Refund.payment_id == payment.id, Refund.provider_payment_id == paid_by))
    if known is not None:
        return False
    log.warning("payment %s: %s captured by %s is given back (%s)",
                payment.id, charge.amount or payment.amount, paid_by, reason)
    uow.session.add(Refund(payment_id=payment.id, amount=charge.amount or payment.amount,
                           currency=payment.currency, reason=reason,
                           provider=provider.name, provider_payment_id=paid_by))
    service.wake_after_commit(uow)
    return True


async def cancel_payment(uow: UnitOfWork, payment: Payment) -> None:
    payment.status = CANCELLED
    if payment.queued:  # it captured nothing: its card's slot is free
        await instruments.give_back(uow, payment)
    uow.emit(PaymentCancelled(payment_id=payment.id, booking_id=payment.booking_id))
