"""What payment does with booking's events: a new booking owes a payment; one that ended
cancels the payment or gives back what was paid."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from subgraphs.kernel.events import Event
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork
from subgraphs.payment.charges import apply_charge, cancel_payment, locked_payment, provider_of
from subgraphs.payment.models import CAPTURED, PAYABLE, SUCCEEDED, BookingStatus, Payment
from subgraphs.payment.providers import Charge
from subgraphs.payment.refunds import open_refund

log = logging.getLogger("ticketflow.payment")


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
    payment = await locked_payment(uow, found)
    if event.type == "BookingConfirmed":
        payment.booking_status = BookingStatus.CONFIRMED
        return
    if event.type == "BookingNotConfirmed":
        payment.booking_status = str(p.get("status") or BookingStatus.EXPIRED)
        await open_refund(service, uow, payment, None, "BOOKING_NOT_CONFIRMED")
        return
    payment.booking_status = (BookingStatus.EXPIRED if event.type == "BookingExpired"
                              else BookingStatus.CANCELLED)
    if payment.status in PAYABLE:
        cancel_payment(uow, payment)
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
        await apply_charge(service, uow, payment, Charge(SUCCEEDED, None, 0, payment.currency),
                           provider_of(service, payment.provider))
