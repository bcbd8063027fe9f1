"""Refunds: opening one on a payment, settling it with the provider, and the organizer's
``refundPayment``."""

from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kernel.auth import Caller, require_caller
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.errors import BadUserInput, Conflict, Forbidden, present
from subgraphs.kernel.events import PaymentRefunded, PaymentRefundFailed
from subgraphs.kernel.faults import crash_point
from subgraphs.kernel.idempotency import clean_key, create_once
from subgraphs.kernel.l10n import format_money
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork
from subgraphs.payment.charges import get_payment, locked_payment, provider_of
from subgraphs.payment.models import (
    CAPTURED,
    PARTIALLY_REFUNDED,
    REFUND_FAILED,
    REFUND_PENDING,
    REFUND_SUCCEEDED,
    REFUNDED,
    Payment,
    Refund,
    RefundReason,
)
from subgraphs.payment.providers import PaymentProviderError, RefundResult

log = logging.getLogger("ticketflow.payment")


async def _pending_refunds(session: AsyncSession, payment_id: str) -> int:
    return int(await session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0))
        .where(Refund.payment_id == payment_id, Refund.status == REFUND_PENDING,
               Refund.reason.not_in(RefundReason.NOT_THE_BOOKINGS))) or 0)


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
        raise BadUserInput(f"At most {format_money(left, payment.currency)} ({left} minor "
                           "units) can still be refunded.", field="amount", refundable=left)
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
    if result.status == REFUND_PENDING:
        return False
    refund.settled_at = utcnow()
    if result.status == REFUND_FAILED:
        refund.status = REFUND_FAILED
        refund.failure_message = (result.failure_message or "The provider refused.")[:300]
        uow.emit(PaymentRefundFailed(
            payment_id=payment.id, booking_id=payment.booking_id, refund_id=refund.id,
            amount=refund.amount, currency=refund.currency, message=refund.failure_message))
        return True
    refund.status = REFUND_SUCCEEDED
    if refund.reason not in RefundReason.NOT_THE_BOOKINGS:  # never the booking's money
        payment.refunded_amount += refund.amount
        payment.status = REFUNDED if payment.refunded_amount >= payment.captured_amount \
            else PARTIALLY_REFUNDED
    uow.emit(PaymentRefunded(
        payment_id=payment.id, booking_id=payment.booking_id, refund_id=refund.id,
        user_id=payment.user_id, provider=refund.provider, amount=refund.amount,
        currency=refund.currency, reason=refund.reason,
        refunded_total=payment.refunded_amount, fully_refunded=payment.status == REFUNDED))
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
        result = RefundResult(REFUND_PENDING)
    crash_point("payment.refund_sent")
    async with service.uow() as uow:
        payment = await locked_payment(uow, payment.id)
        refund = present(await uow.session.get(Refund, refund_id, with_for_update=True,
                                               populate_existing=True), "a refund")
        if refund.status == REFUND_PENDING:
            refund.attempts += 1
        apply_refund_result(uow, payment, refund, result)
        await uow.commit()
    return refund


async def refund_payment(service: Service, caller: Caller | None, payment_id: str,
                         amount: int | None, idempotency_key: str) -> Refund:
    """Give back ``amount`` (all that is left when ``None``): the show's organizer or an admin.

    A full refund of a confirmed booking cancels it (booking hears ``PaymentRefunded``) and
    its seats go back on sale; a partial one leaves the booking as it is.
    """
    who = require_caller(caller)
    key = clean_key(idempotency_key)
    payment = await get_payment(service, payment_id)
    if not (who.is_admin or who.user_id == payment.organizer_id):
        raise Forbidden("Only the show's organizer or an admin can refund.")
    if key is None:
        raise BadUserInput("Give an idempotency key.", field="idempotencyKey")
    if amount is not None and amount <= 0:
        raise BadUserInput("Refund a positive amount (minor units), or leave amount out to "
                           "refund everything left.", field="amount")

    async def create(uow: UnitOfWork) -> tuple[Refund, str]:
        p = await locked_payment(uow, payment_id)
        if p.status not in CAPTURED:
            raise Conflict(f"A {p.status} payment has nothing to refund.", field="paymentId",
                           status=p.status)
        refund = await open_refund(service, uow, p, amount, RefundReason.REQUESTED, who.user_id)
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
