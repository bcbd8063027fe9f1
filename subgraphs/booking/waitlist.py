"""Waiting lists: joining the line of a sold-out show, leaving it, and reading it.

How seats that come back reach the line is :mod:`.waitlist_line`; the rule is in
docs/architecture.md ("Waiting lists").
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.booking import counts, expiry, unlocking, waitlist_line
from subgraphs.booking.holds import require_on_sale, show_of
from subgraphs.booking.models import (
    AdmissionSection,
    BookableShow,
    Hold,
    HoldStatus,
    ShowCount,
    WaitingListEntry,
    WaitlistStatus,
)
from subgraphs.booking.shows import ShowInfo, show_info
from subgraphs.kernel.auth import Caller, require_caller, require_owner_or_admin
from subgraphs.kernel.db import new_id, utcnow
from subgraphs.kernel.errors import BadUserInput, Conflict, NotFound
from subgraphs.kernel.events import HoldReleased
from subgraphs.kernel.idempotency import clean_key, create_once
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork, retrying


@dataclass(frozen=True)
class PlacesAvailable:
    """Enough matching seats are on sale now: buy them instead of waiting."""

    available: int


@dataclass(frozen=True)
class LineCounts:
    """A show's waiting list, as its organizer sees it."""

    waiting: int
    offered: int


class _Available(Exception):
    """Raised inside the join's transaction to roll it back: seats are there to buy."""

    def __init__(self, available: int) -> None:
        super().__init__(available)
        self.available = available


async def _categories(session: AsyncSession, show_id: str) -> set[str]:
    return set(await session.scalars(
        select(ShowCount.category).where(ShowCount.show_id == show_id, ShowCount.leg == 0)))


async def _available(session: AsyncSession, show_id: str, category: str | None,
                     section_id: str | None, hidden: frozenset[str]) -> int:
    """Seats of the show (of ``category``; hidden categories aside), or places of the
    standing section, a buyer could hold now."""
    counted = (await counts.read(session, [show_id], utcnow()))[show_id]
    if section_id is not None:
        return sum(g.capacity - g.held_now - g.sold for g in counted.sections
                   if g.section_id == section_id)
    return sum(c.total - c.held_now - c.sold for c in counted.seats
               if c.leg == 0 and category in (None, c.category) and c.category not in hidden)


async def join_waiting_list(
    service: Service, caller: Caller | None, show_id: str, quantity: int,
    category: str | None = None, section_id: str | None = None,
    idempotency_key: str | None = None,
) -> WaitingListEntry | PlacesAvailable:
    """Join the show's waiting list for ``quantity`` seats (of ``category``), or places of
    the standing section ``section_id``.

    Enough matching seats on sale now answer :class:`PlacesAvailable` (and nothing is
    stored). One active entry per customer and show (``CONFLICT`` for a second).
    """
    who = require_caller(caller)
    limit = service.settings.max_seats_per_customer
    if not 1 <= quantity <= limit:
        raise BadUserInput(f"Wait for 1 to {limit} seats.", field="quantity", limit=limit)
    key = clean_key(idempotency_key)
    wanted = category.strip().upper() if category is not None else None
    show = await show_of(service, show_id)
    async with service.db.reader() as session:
        await require_on_sale(session, show_id)
        if show.legs != 1:
            raise BadUserInput("Journeys have no waiting lists.", field="showId")
        if section_id is not None:
            if wanted is not None:
                raise BadUserInput("Wait for seats of a category or for places of a "
                                   "standing section, not both.", field="category")
            if await session.get(AdmissionSection, (show_id, section_id)) is None:
                raise BadUserInput("This show has no standing section with this id.",
                                   field="sectionId")
        hidden = await unlocking.hidden_of(service, show_id)
        if wanted is not None and (wanted not in await _categories(session, show_id)
                                   or wanted in hidden):
            raise BadUserInput("This show has no seats of this category to wait for.",
                               field="category")
        if section_id is not None and await session.scalar(
                select(AdmissionSection.category).where(
                    AdmissionSection.show_id == show_id,
                    AdmissionSection.section_id == section_id)) in hidden:
            raise BadUserInput("This standing section is sold only with a promo code.",
                               field="sectionId")

    async def create(uow: UnitOfWork) -> tuple[WaitingListEntry, str]:
        session = uow.session
        await _not_in_line(session, show_id, who.user_id)
        # The show's row lock orders joins (and waits for seats being given back to
        # commit): positions are the join order, and the count below is current.
        position = await session.scalar(
            update(BookableShow).where(BookableShow.id == show_id)
            .values(waitlist_last=BookableShow.waitlist_last + 1,
                    waiting=BookableShow.waiting + 1)
            .returning(BookableShow.waitlist_last)
            .execution_options(synchronize_session=False))
        available = await _available(session, show_id, wanted, section_id, hidden)
        if available >= quantity:
            raise _Available(available)
        entry = WaitingListEntry(id=new_id(), show_id=show_id, user_id=who.user_id,
                                 position=int(position or 0), quantity=quantity,
                                 category=wanted, section_id=section_id,
                                 status=WaitlistStatus.WAITING, reserved=0,
                                 joined_at=utcnow())
        session.add(entry)
        await session.flush()
        return entry, entry.id

    async def load(entry_id: str) -> WaitingListEntry:
        found = await service.get(WaitingListEntry, entry_id)
        if found is None:  # entries are never deleted
            raise NotFound("No waiting-list entry with this id.", field="idempotencyKey")
        return found

    try:
        return await retrying(lambda: create_once(
            service, service.idempotency, user_id=who.user_id, key=key,
            operation="joinWaitingList",
            request={"show_id": show_id, "quantity": quantity, "category": wanted,
                     "section_id": section_id},
            create=create, load=load))
    except _Available as seats_left:
        return PlacesAvailable(seats_left.available)
    except IntegrityError:  # a second join of the same customer, at the same moment
        async with service.db.reader() as session:
            await _not_in_line(session, show_id, who.user_id)
        raise


async def _not_in_line(session: AsyncSession, show_id: str, user_id: str) -> None:
    found = await session.scalar(
        select(WaitingListEntry.id).where(WaitingListEntry.show_id == show_id,
                                          WaitingListEntry.user_id == user_id,
                                          WaitingListEntry.status.in_(WaitlistStatus.ACTIVE)))
    if found is not None:
        raise Conflict("You are on this show's waiting list already.", field="showId",
                       entryId=found)


async def leave_waiting_list(service: Service, caller: Caller | None,
                             entry_id: str) -> WaitingListEntry:
    """Leave the line (the entry's customer, or an admin): seats gathered or offered pass
    to the next in line. An entry no longer waiting or offered is a ``CONFLICT``."""
    who = require_caller(caller)
    found = await service.get(WaitingListEntry, entry_id)
    if found is None:
        raise NotFound("No waiting-list entry with this id.", field="entryId")
    require_owner_or_admin(who, found.user_id)
    show = await show_of(service, found.show_id)

    async def attempt() -> WaitingListEntry | None:
        async with service.uow() as uow:
            session = uow.session
            hold_id = await session.scalar(select(WaitingListEntry.hold_id)
                                           .where(WaitingListEntry.id == entry_id))
            # Hold first, then the entry: the order every path locks them in.
            hold = None if hold_id is None else await session.get(
                Hold, hold_id, with_for_update=True)
            entry = await session.get(WaitingListEntry, entry_id, with_for_update=True,
                                      populate_existing=True)
            if entry is None:  # never deleted
                raise NotFound("No waiting-list entry with this id.", field="entryId")
            if entry.hold_id != hold_id:
                return None  # seats reached it meanwhile: once more
            await _leave(service, uow, show, entry, hold)
            await uow.commit()
        return entry

    for _ in range(5):
        left = await retrying(attempt)
        if left is not None:
            return left
    raise Conflict("The entry changed while leaving; try again.", field="entryId")


async def _leave(service: Service, uow: UnitOfWork, show: ShowInfo, entry: WaitingListEntry,
                 hold: Hold | None) -> None:
    if entry.status not in WaitlistStatus.ACTIVE:
        raise Conflict(f"Only a waiting or offered entry can be left; this one is "
                       f"{entry.status}.", field="entryId", status=entry.status)
    if entry.status == WaitlistStatus.OFFERED and hold is not None \
            and hold.status == HoldStatus.ACTIVE:
        # Declining the offer: its seats go to the next in line (expiry.end hands them on,
        # and marks the entry LEFT).
        freed = await expiry.end(service, uow, show, hold, HoldStatus.RELEASED)
        uow.emit(HoldReleased(hold_id=hold.id, show_id=hold.show_id, user_id=hold.user_id,
                              seat_ids=freed))
        entry.status = WaitlistStatus.LEFT
        entry.updated_at = utcnow()
        return
    was_waiting = entry.status == WaitlistStatus.WAITING
    entry.status = WaitlistStatus.LEFT
    entry.updated_at = utcnow()
    if was_waiting:
        await waitlist_line.waiting_less(uow.session, show.id)
        await uow.session.flush()  # out of the line before the seats look for a taker
        gathered = await waitlist_line.drop_reserve(service, uow, show, entry)
        await waitlist_line.hand_on_gathered(service, uow, show, gathered)


async def my_waiting_lists(service: Service, caller: Caller | None) -> list[WaitingListEntry]:
    """The caller's entries, newest first."""
    who = require_caller(caller)
    async with service.db.reader() as session:
        return list(await session.scalars(
            select(WaitingListEntry).where(WaitingListEntry.user_id == who.user_id)
            .order_by(WaitingListEntry.joined_at.desc(), WaitingListEntry.position.desc())))


async def line_counts(service: Service, caller: Caller | None, show_id: str) -> LineCounts | None:
    """How many wait and how many hold an offer (the show's organizer, or an admin);
    ``None`` for a show booking does not have."""
    require_caller(caller)
    show = await show_info(service, show_id)
    if show is None:
        return None
    require_owner_or_admin(caller, show.organizer_id)
    async with service.db.reader() as session:
        waiting = await session.scalar(select(BookableShow.waiting)
                                       .where(BookableShow.id == show_id))
        offered = await session.scalar(
            select(func.count()).select_from(WaitingListEntry)
            .where(WaitingListEntry.show_id == show_id,
                   WaitingListEntry.status == WaitlistStatus.OFFERED))
    return LineCounts(int(waiting or 0), int(offered or 0))
