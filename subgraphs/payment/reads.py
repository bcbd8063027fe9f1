"""Payment's batch reads for the schema's DataLoaders: one query per batch."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kernel.db import all_each, one_each
from subgraphs.payment.models import Payment, Refund


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
