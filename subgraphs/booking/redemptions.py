"""Redeeming a promo code at checkout and giving the redemption back (how the counters
stay right under concurrency: :mod:`.promos`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.booking.models import (
    Hold,
    HoldPromoCode,
    PromoCode,
    PromoCustomerUse,
    PromoRedemption,
)
from subgraphs.booking.promo_rules import Reason, Rejected, discounts, lines_of, refusal
from subgraphs.booking.reads import HoldPrice
from subgraphs.booking.shows import ShowInfo
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.uow import UnitOfWork

# ----------------------------------------------------------------------------------- checkout

@dataclass(frozen=True)
class Redeemed:
    """A code redeemed by a checkout: what it takes off each line of the hold."""

    code: PromoCode
    discounts: list[int]

    @property
    def total(self) -> int:
        return sum(self.discounts)


def _take_use(dialect: str, code_id: str, user_id: str, limit: int) -> object:
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
        PromoCustomerUse).values(code_id=code_id, user_id=user_id, used=1)
    return stmt.on_conflict_do_update(
        index_elements=[PromoCustomerUse.code_id, PromoCustomerUse.user_id],
        set_={"used": PromoCustomerUse.used + 1},
        where=PromoCustomerUse.used < limit,
    ).returning(PromoCustomerUse.used)


async def _give_use(session: AsyncSession, code_id: str, user_id: str) -> None:
    await session.execute(
        update(PromoCustomerUse)
        .where(PromoCustomerUse.code_id == code_id, PromoCustomerUse.user_id == user_id,
               PromoCustomerUse.used > 0)
        .values(used=PromoCustomerUse.used - 1).execution_options(synchronize_session=False))


async def redeem(uow: UnitOfWork, show: ShowInfo, hold: Hold,
                 price: HoldPrice) -> Redeemed | Rejected | None:
    """Redeem the code applied to ``hold`` (locked) in the checkout's transaction: ``None``
    when it has none, :class:`Rejected` when it can no longer be used (the counters are as
    they were), otherwise what it takes off. The caller stores the redemption
    (:func:`record`) once the booking exists."""
    session = uow.session
    applied = await session.get(HoldPromoCode, hold.id)
    if applied is None:
        return None
    code = await session.get(PromoCode, applied.code_id, populate_existing=True)
    if code is None:  # codes are never deleted
        return None
    lines = lines_of(price)
    reason = refusal(code, show, lines, utcnow())
    if reason is not None:
        return Rejected(code.code, reason)
    dialect = session.get_bind().dialect.name
    if code.max_per_customer is not None:
        took = await session.scalar(
            _take_use(dialect, code.id, hold.user_id, code.max_per_customer))  # type: ignore[call-overload]
        if took is None:
            return Rejected(code.code, Reason.CUSTOMER_LIMIT_REACHED)
    counted = await session.scalar(
        update(PromoCode)
        .where(PromoCode.id == code.id, PromoCode.active.is_(True),
               (PromoCode.max_redemptions.is_(None))
               | (PromoCode.redeemed < PromoCode.max_redemptions))
        .values(redeemed=PromoCode.redeemed + 1).returning(PromoCode.redeemed)
        .execution_options(synchronize_session=False))
    if counted is None:
        if code.max_per_customer is not None:
            await _give_use(session, code.id, hold.user_id)
        return Rejected(code.code, Reason.EXHAUSTED)
    return Redeemed(code, discounts(code, lines))


def record(uow: UnitOfWork, redeemed: Redeemed, booking_id: str, user_id: str) -> None:
    """The booking's redemption, given back by :func:`give_back`."""
    uow.session.add(PromoRedemption(booking_id=booking_id, code_id=redeemed.code.id,
                                    user_id=user_id, discount_amount=redeemed.total,
                                    created_at=utcnow()))


async def give_back(uow: UnitOfWork, booking_id: str) -> bool:
    """The booking (locked) was cancelled, refunded in full or expired: its redemption, if
    any, counts no more — for the code and for its customer. Exactly once: the redemption's
    row is deleted by the statement that finds it, so a second call finds nothing."""
    session = uow.session
    row = (await session.execute(
        delete(PromoRedemption).where(PromoRedemption.booking_id == booking_id)
        .returning(PromoRedemption.code_id, PromoRedemption.user_id)
        .execution_options(synchronize_session=False))).first()
    if row is None:
        return False
    code_id, user_id = row
    await _give_use(session, code_id, user_id)  # the customer's row first, as checkout
    await session.execute(
        update(PromoCode).where(PromoCode.id == code_id, PromoCode.redeemed > 0)
        .values(redeemed=PromoCode.redeemed - 1).execution_options(synchronize_session=False))
    return True
