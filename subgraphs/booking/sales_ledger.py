"""Booking's record of the money payment gave back, for sales reports.

Payment owns refunds. Each one that succeeds is announced by ``PaymentRefunded`` (its
amount: a partial refund is one event with part of the money); booking keeps one row per
refund in ``booking_refunds`` so a report can subtract refunds with one aggregate of its
own database, never asking payment. The consumer is idempotent twice over: the event id
(``processed_events``, as for every event) and the refund id (the row's key).

A duplicate capture given back (``DUPLICATE_PAYMENT``), like a capture of a payment declined
for its instrument (``INSTRUMENT_REFUSED``), never was the booking's money, and
a payment that could not buy its booking (``BOOKING_NOT_CONFIRMED``) never counted as a
sale: neither is recorded.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from subgraphs.booking.models import Booking, RefundRecord
from subgraphs.kernel.events import Event, PaymentRefunded
from subgraphs.kernel.uow import UnitOfWork

NOT_SALES = ("DUPLICATE_PAYMENT", "INSTRUMENT_REFUSED", "BOOKING_NOT_CONFIRMED")


async def record_refund(uow: UnitOfWork, refunded: PaymentRefunded, event: Event) -> None:
    """Keep ``refunded``'s amount against its booking's show (once per refund)."""
    if refunded.reason in NOT_SALES or refunded.amount <= 0:
        return
    if await uow.session.get(RefundRecord, refunded.refund_id) is not None:
        return
    show_id = await uow.session.scalar(select(Booking.show_id)
                                       .where(Booking.id == refunded.booking_id))
    if show_id is None:
        return
    uow.session.add(RefundRecord(
        refund_id=refunded.refund_id, booking_id=refunded.booking_id, show_id=show_id,
        payment_id=refunded.payment_id, amount=refunded.amount, currency=refunded.currency,
        reason=refunded.reason, refunded_at=datetime.fromisoformat(event.occurred_at)))
