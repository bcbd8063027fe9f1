"""The cap on purchases per payment instrument for queued shows (docs/payments.md, "Cards
per queued show"): a bot with many accounts and one card gets at most
``TICKETFLOW_QUEUE_PASSES_PER_INSTRUMENT`` of a queued show's bookings paid.

A slot is one ``instrument_uses`` row per (show, fingerprint, booking). ``confirmPayment``
takes it before the provider is asked to charge or capture (and a provider's webhook of a
payment taken without ``confirmPayment``, before it is captured or booked), counting the
fingerprint's rows of the show under a lock on (show, fingerprint) (a transaction advisory
lock on PostgreSQL; SQLite's writers are serialised by ``BEGIN IMMEDIATE``), so two confirms
at once with one card cannot both pass.
A charge that fails, or a payment that ends without capturing, gives its slot back; money
captured keeps it, refunded or not.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select

from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork
from subgraphs.payment.models import InstrumentUse, Payment

INSTRUMENT_LIMIT = "instrument_limit"
# The provider cannot tell which instrument paid (TICKETFLOW_QUEUE_UNIDENTIFIED_INSTRUMENTS).
INSTRUMENT_UNIDENTIFIED = "instrument_unidentified"


async def take(service: Service, uow: UnitOfWork, payment: Payment, fingerprint: str) -> bool:
    """Take a slot of ``fingerprint`` for the (locked) ``payment``'s booking; False when
    the fingerprint already holds the cap's number of the show's bookings."""
    session = uow.session
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(
            func.hashtext(f"instrument:{payment.show_id}:{fingerprint}"))))
    if await session.get(InstrumentUse, (payment.show_id, fingerprint, payment.booking_id)):
        return True  # this booking holds it already (a retry with the same card)
    used = await session.scalar(select(func.count()).select_from(InstrumentUse).where(
        InstrumentUse.show_id == payment.show_id, InstrumentUse.fingerprint == fingerprint))
    if (used or 0) >= service.settings.queue_passes_per_instrument:
        return False
    session.add(InstrumentUse(show_id=payment.show_id, fingerprint=fingerprint,
                              booking_id=payment.booking_id, payment_id=payment.id))
    await session.flush()
    return True


async def held(service: Service, payment: Payment) -> bool:
    """Whether ``payment``'s booking holds a slot (its instrument was checked and counted)."""
    async with service.db.reader() as session:
        found = await session.scalar(select(InstrumentUse.fingerprint).where(
            InstrumentUse.show_id == payment.show_id,
            InstrumentUse.booking_id == payment.booking_id).limit(1))
    return found is not None


async def give_back(uow: UnitOfWork, payment: Payment, fingerprint: str | None = None) -> None:
    """Free the slots ``payment`` holds (only ``fingerprint``'s, when given)."""
    stmt = delete(InstrumentUse).where(InstrumentUse.booking_id == payment.booking_id,
                                       InstrumentUse.show_id == payment.show_id)
    if fingerprint is not None:
        stmt = stmt.where(InstrumentUse.fingerprint == fingerprint)
    await uow.session.execute(stmt)
