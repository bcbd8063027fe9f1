"""What payment does with booking's events: a new booking owes a payment; one that ended
cancels the payment or gives back what was paid."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from subgraphs.kernel.events import (
    BookingCancelled,
    BookingConfirmed,
    BookingCreated,
    BookingExpired,
    BookingNotConfirmed,
    CancelReason,
    Event,
)
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork
from subgraphs.payment.charges import apply_charge, cancel_payment, locked_payment, provider_of
from subgraphs.payment.models import (
    CAPTURED,
    PAYABLE,
    SUCCEEDED,
    BookingStatus,
    Payment,
    RefundReason,
)
from subgraphs.payment.providers import Charge
from subgraphs.payment.refunds import open_refund

log = logging.getLogger("ticketflow.payment")


async def apply_booking_event(service: Service, uow: UnitOfWork, event: Event) -> None:
    """Follow the booking: a new booking owes a payment; one that ended cancels the payment
    or gives back what was paid."""
    if event.type == BookingCreated.type_name():
        await _create_payment(service, uow, BookingCreated.read(event))
        return
    ended: BookingExpired | BookingCancelled | BookingNotConfirmed | BookingConfirmed
    if event.type == BookingConfirmed.type_name():
        ended = BookingConfirmed.read(event)
    elif event.type == BookingNotConfirmed.type_name():
        ended = BookingNotConfirmed.read(event)
    elif event.type == BookingExpired.type_name():
        ended = BookingExpired.read(event)
    elif event.type == BookingCancelled.type_name():
        ended = BookingCancelled.read(event)
    else:
        return
    found = await uow.session.scalar(
        select(Payment.id).where(Payment.booking_id == ended.booking_id))
    if found is None:
        log.warning("%s for booking %s, which has no payment", event.type, ended.booking_id)
        return
    payment = await locked_payment(uow, found)
    if isinstance(ended, BookingConfirmed):
        payment.booking_status = BookingStatus.CONFIRMED
        return
    if isinstance(ended, BookingNotConfirmed):
        payment.booking_status = ended.status or BookingStatus.EXPIRED
        await open_refund(service, uow, payment, None, RefundReason.BOOKING_NOT_CONFIRMED)
        return
    payment.booking_status = (BookingStatus.EXPIRED if isinstance(ended, BookingExpired)
                              else BookingStatus.CANCELLED)
    if payment.status in PAYABLE:
        await cancel_payment(uow, payment)
    elif payment.status in CAPTURED:
        with_show = isinstance(ended, BookingCancelled) \
            and ended.reason == CancelReason.SHOW_CANCELLED
        reason = RefundReason.SHOW_CANCELLED if with_show else RefundReason.BOOKING_CANCELLED
        await open_refund(service, uow, payment, None, reason)
    # PROCESSING: the provider has not decided. If it succeeds, booking answers
    # BookingNotConfirmed and the money goes back; if it fails, the payment is cancelled.


async def _create_payment(service: Service, uow: UnitOfWork, p: BookingCreated) -> None:
    exists = await uow.session.scalar(
        select(Payment.id).where(Payment.booking_id == p.booking_id))
    if exists is not None:
        return
    expires = p.expires_at
    payment = Payment(booking_id=p.booking_id, user_id=p.user_id,
                      organizer_id=p.organizer_id, show_id=p.show_id, queued=p.queued,
                      amount=p.amount,
                      currency=p.currency, provider=service.settings.payment_provider,
                      booking_expires_at=datetime.fromisoformat(expires) if expires else None)
    uow.session.add(payment)
    await uow.session.flush()
    if payment.amount == 0:  # a free booking is paid by definition
        await apply_charge(service, uow, payment, Charge(SUCCEEDED, None, 0, payment.currency),
                           provider_of(service, payment.provider))
