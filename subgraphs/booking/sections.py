"""The statements that move standing (general-admission) places of a section.

A section's ``held`` and ``sold`` are counters on its row. Taking places is one conditional
UPDATE (``capacity - sold - held >= quantity``); the row is locked from then to the commit,
so a hold takes it as late as it can (after storing itself, just before the version).

A hold's line gives its places back from ``held`` exactly once (its ``released`` flag, set
by the same statement that reads the quantity): when the hold ends, when it is paid (the
places move to ``sold``), or when it lapsed and another hold reclaims them before the
sweeper comes — the lapsed hold itself keeps its status until then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.booking.models import (
    ON_SALE,
    AdmissionSection,
    BookableShow,
    Hold,
    HoldAdmission,
    HoldStatus,
)

LAPSABLE = (HoldStatus.ACTIVE, HoldStatus.CHECKED_OUT)


async def take(session: AsyncSession, show_id: str, section_id: str, quantity: int) -> bool:
    """Add ``quantity`` held places to the section if that many are left and the show is on
    sale; whether it did."""
    on_sale = (select(BookableShow.id).where(BookableShow.id == show_id,
                                              BookableShow.status == ON_SALE)
               .with_for_update(read=True, key_share=True).exists())
    s = AdmissionSection
    taken = await session.scalar(
        update(s).where(s.show_id == show_id, s.section_id == section_id,
                        s.capacity - s.sold - s.held >= quantity, on_sale)
        .values(held=s.held + quantity).returning(s.section_id)
        .execution_options(synchronize_session=False))
    return taken is not None


async def of_hold(session: AsyncSession, hold_id: str) -> list[dict[str, Any]]:
    """A hold's standing places, as events describe them."""
    lines = await session.scalars(select(HoldAdmission).where(HoldAdmission.hold_id == hold_id)
                                  .order_by(HoldAdmission.section_id))
    return [{"section_id": a.section_id, "quantity": a.quantity} for a in lines]


async def _release(session: AsyncSession, *where: Any) -> list[tuple[str, str, int]]:
    """Mark released the lines ``where`` selects that were not; (show, section, quantity)."""
    result = await session.execute(
        update(HoldAdmission).where(*where, HoldAdmission.released.is_(False))
        .values(released=True)
        .returning(HoldAdmission.show_id, HoldAdmission.section_id, HoldAdmission.quantity)
        .execution_options(synchronize_session=False))
    return sorted((show, section, quantity) for show, section, quantity in result)


async def _add(session: AsyncSession, show_id: str, section_id: str, *, held: int,
               sold: int) -> None:
    s = AdmissionSection
    await session.execute(
        update(s).where(s.show_id == show_id, s.section_id == section_id)
        .values(held=s.held + held, sold=s.sold + sold)
        .execution_options(synchronize_session=False))


async def give_back(session: AsyncSession, hold_id: str) -> list[tuple[str, int]]:
    """The hold ended: its places that still counted as held no longer do; (section,
    quantity) of each that came back."""
    back = []
    for show, section, quantity in await _release(session, HoldAdmission.hold_id == hold_id):
        await _add(session, show, section, held=-quantity, sold=0)
        back.append((section, quantity))
    return back


async def sell(session: AsyncSession, hold_id: str) -> int:
    """The hold was paid: its places move from held to sold; how many."""
    sold = 0
    for show, section, quantity in await _release(session, HoldAdmission.hold_id == hold_id):
        await _add(session, show, section, held=-quantity, sold=quantity)
        sold += quantity
    return sold


async def give_back_sold(session: AsyncSession, hold_id: str) -> list[tuple[str, int]]:
    """The hold's paid booking was cancelled: its sold places go back on sale; (section,
    quantity) of each."""
    back = []
    for line in list(await session.scalars(select(HoldAdmission)
                                           .where(HoldAdmission.hold_id == hold_id)
                                           .order_by(HoldAdmission.section_id))):
        await _add(session, line.show_id, line.section_id, held=0, sold=-line.quantity)
        back.append((line.section_id, line.quantity))
    return back


def _lapsed_holds(show_id: str, now: datetime) -> Any:
    return select(Hold.id).where(Hold.show_id == show_id, Hold.status.in_(LAPSABLE),
                                 Hold.expires_at <= now)


async def reclaim(session: AsyncSession, show_id: str, section_id: str, now: datetime) -> int:
    """Stop counting as held the section's places of holds that lapsed (they keep their
    status until swept); how many places came back. None while anyone waits for the show:
    the sweeper hands those places to the waiting list first (waitlist_line.py)."""
    if await session.scalar(select(BookableShow.waiting).where(BookableShow.id == show_id)):
        return 0
    released = await _release(session, HoldAdmission.show_id == show_id,
                              HoldAdmission.section_id == section_id,
                              HoldAdmission.hold_id.in_(_lapsed_holds(show_id, now)))
    total = sum(quantity for _, _, quantity in released)
    if total:
        await _add(session, show_id, section_id, held=-total, sold=0)
    return total


async def lapsed(session: AsyncSession, show_id: str, section_id: str, now: datetime) -> int:
    """Places of the section that lapsed holds still count as held."""
    total = await session.scalar(
        select(func.coalesce(func.sum(HoldAdmission.quantity), 0))
        .where(HoldAdmission.show_id == show_id, HoldAdmission.section_id == section_id,
               HoldAdmission.released.is_(False),
               HoldAdmission.hold_id.in_(_lapsed_holds(show_id, now))))
    return int(total or 0)


async def all_counted(session: AsyncSession, hold_id: str) -> bool:
    """Whether every place of the hold still counts as held (none was reclaimed)."""
    released = await session.scalar(
        select(func.count()).select_from(HoldAdmission)
        .where(HoldAdmission.hold_id == hold_id, HoldAdmission.released.is_(True)))
    return not released
