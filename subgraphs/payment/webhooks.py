"""Provider webhooks: verified, then applied at most once per event id."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork
from subgraphs.payment import instruments
from subgraphs.payment.charges import apply_charge, locked_payment, providers
from subgraphs.payment.models import (
    CAPTURED,
    REFUND_SUCCEEDED,
    SUCCEEDED,
    Payment,
    Refund,
    RefundReason,
    WebhookEvent,
)
from subgraphs.payment.outcomes import PaymentDeclined
from subgraphs.payment.paying import check_instrument
from subgraphs.payment.providers import (
    InvalidWebhook,
    Notice,
    Provider,
    RefundNotice,
    RefundResult,
)
from subgraphs.payment.refunds import apply_refund_result

log = logging.getLogger("ticketflow.payment")


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
    declined = payment is not None and await _instrument_declined(service, found, payment,
                                                                  notice)
    if declined:
        charge = None  # neither captured nor booked
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
                locked = await locked_payment(uow, payment.id)
                changed = False
                if charge is not None:
                    changed = await apply_charge(service, uow, locked, charge, found)
                if notice.refund is not None:
                    changed = await _apply_refund_notice(uow, locked, notice.refund, provider)
                row.outcome = "DECLINED" if declined else "APPLIED" if changed else "IGNORED"
            outcome = row.outcome
            await uow.commit()
    except IntegrityError:
        return WebhookAnswer(200, "DUPLICATE")  # the same event, applied concurrently
    return WebhookAnswer(200, outcome)


async def _instrument_declined(service: Service, provider: Provider, payment: Payment,
                               notice: Notice) -> bool:
    """Whether a queued show's payment the provider says took money (authorized or
    captured), paid without ``confirmPayment`` taking its instrument's slot, fails the
    instrument check ``confirmPayment`` makes (``paying.check_instrument``): then it is not
    captured, or refunded if captured, and never booked."""
    charge = notice.charge
    if not payment.queued or payment.status in CAPTURED or charge is None \
            or not charge.provider_payment_id \
            or not (notice.authorized or charge.status == SUCCEEDED):
        return False
    if await instruments.held(service, payment):
        return False  # checked and counted (confirmPayment, or an earlier event)
    found = await provider.instrument_of(payment, charge.provider_payment_id)
    verdict = await check_instrument(service, provider, payment.id, found)
    return isinstance(verdict, PaymentDeclined)


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
        if notice.status != REFUND_SUCCEEDED:
            return False
        # Refunded outside TicketFlow (the provider's dashboard): record it so the books agree.
        refund = Refund(payment_id=payment.id, amount=notice.amount, currency=payment.currency,
                        reason=RefundReason.PROVIDER, provider=provider,
                        provider_refund_id=notice.provider_refund_id)
        uow.session.add(refund)
        await uow.session.flush()
    return apply_refund_result(uow, payment, refund, RefundResult(
        notice.status, notice.provider_refund_id, notice.failure_message))
