"""Payment use cases: payments follow bookings through events."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kernel.app import Service
from subgraphs.kernel.db import one_each
from subgraphs.kernel.events import Event
from subgraphs.kernel.uow import UnitOfWork
from subgraphs.payment.models import Payment


async def apply_booking_event(_service: Service, uow: UnitOfWork, event: Event) -> None:
    """React to booking's events: a new booking needs a payment; an expired one cancels it."""
    p = event.payload
    if event.type == "BookingCreated":
        exists = await uow.session.scalar(
            select(Payment.id).where(Payment.booking_id == p["booking_id"]))
        if exists is None:
            uow.session.add(Payment(booking_id=p["booking_id"], user_id=p["user_id"],
                                    organizer_id=p["organizer_id"], amount=p["amount"],
                                    currency=p["currency"]))
    elif event.type == "BookingExpired":
        payment = await uow.session.scalar(
            select(Payment).where(Payment.booking_id == p["booking_id"]))
        if payment is not None and payment.status == "REQUIRES_PAYMENT":
            payment.status = "CANCELLED"
            uow.emit("PaymentCancelled", {"payment_id": payment.id,
                                          "booking_id": payment.booking_id})


async def payments_by_id(session: AsyncSession, ids: Sequence[str]) -> list[Payment | None]:
    """Payments in the order of ``ids``, in one query."""
    return await one_each(session, Payment.id, ids)


async def payments_by_booking(session: AsyncSession,
                              booking_ids: Sequence[str]) -> list[Payment | None]:
    """Each booking's payment (or ``None``), in one query."""
    return await one_each(session, Payment.booking_id, booking_ids)
