"""Hidden price categories: seats and standing places of such a category are sold only to
holds whose promo code unlocks it (``PromoCode.unlocksCategories``).

Venue marks a tier hidden (``PriceTierInput.hidden``) and ``ShowPublished`` carries the
hidden categories; booking keeps them with its copy of the show
(:class:`~.models.HiddenCategory`), written in the same transaction as the show, and never
changed afterwards, so each process reads a show's once. A show without hidden categories
costs its holds nothing more.

A hold names its code when it is made (``holdSeats(..., promoCode:)``; also
``holdBestAvailable``, ``holdGeneralAdmission``): the code is checked first (:func:`gate`)
and recorded with the hold in the hold's own transaction. Seats of a category the code
leaves closed are refused (``BAD_USER_INPUT``), the best available seats are chosen among
the open ones only, and a hold's code can be neither removed nor replaced by one that does
not unlock what it holds. Checkout redeems the code as any other; when it can no longer be
used, nothing is booked, and the hidden seats are never sold without it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.booking.models import AdmissionSection, HiddenCategory, PromoCode, ShowSeat
from subgraphs.booking.promo_rules import (
    Reason,
    Rejected,
    code_key,
    find,
    locked,
    refusal,
    uses_of,
)
from subgraphs.booking.shows import ShowInfo
from subgraphs.kernel.auth import Caller
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.errors import BadUserInput
from subgraphs.kernel.events import ShowPublished
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork

CACHE_SIZE = 4096
CLOSED = "These are sold only with a promo code that unlocks their category."


async def remember(uow: UnitOfWork, published: ShowPublished) -> None:
    """Keep the show's hidden categories (a replayed event writes the same rows again)."""
    if not published.hidden_categories:
        return
    await uow.session.execute(delete(HiddenCategory)
                              .where(HiddenCategory.show_id == published.show_id))
    await uow.session.execute(insert(HiddenCategory), [
        {"show_id": published.show_id, "category": c}
        for c in sorted(set(published.hidden_categories))])


async def hidden_of(service: Service, show_id: str) -> frozenset[str]:
    """The show's hidden categories, read once per process (call it once the show is known:
    they are written with it)."""
    cache: OrderedDict[str, frozenset[str]] = service.once("hidden_categories", OrderedDict)
    found = cache.get(show_id)
    if found is None:
        async with service.db.reader() as session:
            found = frozenset(await session.scalars(
                select(HiddenCategory.category).where(HiddenCategory.show_id == show_id)))
        cache[show_id] = found
        if len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    else:
        cache.move_to_end(show_id)
    return found


@dataclass(frozen=True)
class Gate:
    """What a hold about to be made may take: its code (if any) and the categories left
    closed to it."""

    code: PromoCode | None
    closed: frozenset[str]


async def gate(service: Service, who: Caller, show: ShowInfo,
               text: str | None) -> Gate | Rejected:
    """Check the code a hold names (as ``applyPromoCode`` would, lines aside): the
    categories it leaves closed, or why it cannot be used."""
    hidden = await hidden_of(service, show.id)
    if text is None:
        return Gate(None, hidden)
    key = code_key(text, "promoCode")
    async with service.db.reader() as session:
        code = await find(session, show.organizer_id, key)
        if code is None:
            return Rejected(text, Reason.NOT_FOUND)
        reason = refusal(code, show, None, utcnow())
        if reason is None and code.max_redemptions is not None \
                and code.redeemed >= code.max_redemptions:
            reason = Reason.EXHAUSTED
        if reason is None and code.max_per_customer is not None \
                and await uses_of(session, code.id, who.user_id) >= code.max_per_customer:
            reason = Reason.CUSTOMER_LIMIT_REACHED
    if reason is not None:
        return Rejected(text, reason)
    return Gate(code, locked(hidden, code))


async def refuse_closed_seats(service: Service, gate: Gate, show_id: str,
                              seat_ids: Sequence[str]) -> None:
    """``BAD_USER_INPUT`` (``seatIds``) if any of these seats is of a closed category."""
    if not gate.closed:
        return
    async with service.db.reader() as session:
        closed = sorted(set(await session.scalars(
            select(ShowSeat.seat_id).where(ShowSeat.show_id == show_id,
                                           ShowSeat.seat_id.in_(seat_ids),
                                           ShowSeat.category.in_(gate.closed)))))
    if closed:
        raise BadUserInput(CLOSED, field="seatIds", seatIds=closed)


async def refuse_closed_section(service: Service, gate: Gate, show_id: str,
                                section_id: str) -> None:
    """``BAD_USER_INPUT`` (``sectionId``) if the standing section is of a closed category."""
    if not gate.closed:
        return
    async with service.db.reader() as session:
        category = await session.scalar(select(AdmissionSection.category).where(
            AdmissionSection.show_id == show_id, AdmissionSection.section_id == section_id))
    if category in gate.closed:
        raise BadUserInput(CLOSED, field="sectionId")


async def closed_seats(session: AsyncSession, gate: Gate, show_id: str) -> set[str]:
    """The show's seats of closed categories (none to read when none is closed)."""
    if not gate.closed:
        return set()
    return set(await session.scalars(
        select(ShowSeat.seat_id).where(ShowSeat.show_id == show_id,
                                       ShowSeat.category.in_(gate.closed))))


def closes(hidden: frozenset[str], code: PromoCode | None,
           categories: Sequence[str]) -> list[str]:
    """Which of a hold's ``categories`` would be closed with ``code`` (or none)."""
    shut = locked(hidden, code)
    return sorted({c for c in categories if c in shut})
