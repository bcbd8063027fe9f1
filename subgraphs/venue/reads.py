"""Venue's reads: the shows on sale page by page (opaque cursors), the loaders' batch reads
and a hall's stored seat map."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kernel.auth import Caller
from subgraphs.kernel.db import all_each, one_each
from subgraphs.kernel.errors import BadUserInput
from subgraphs.venue.models import (
    Hall,
    PriceTier,
    Seat,
    Section,
    Show,
    ShowStatus,
    Stop,
    TicketType,
    Venue,
)

MAX_PAGE = 100


def page_size(first: int) -> int:
    """``first`` of a page of shows or venues, or ``BAD_USER_INPUT``."""
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE}.", field="first")
    return first


@dataclass(frozen=True)
class ShowFilter:
    kind: str | None = None
    venue_id: str | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None
    text: str | None = None
    # Which statuses are listed: the public list (Query.shows) is of shows on sale only.
    statuses: tuple[str, ...] = (ShowStatus.ON_SALE,)


EVERY_STATUS = (ShowStatus.DRAFT, ShowStatus.ON_SALE, ShowStatus.CLOSED, ShowStatus.CANCELLED)


def venue_show_statuses(caller: Caller | None, owner_id: str,
                        status: str | None) -> tuple[str, ...]:
    """The statuses ``Venue.shows`` lists for ``caller``: the venue's owner and admins see
    shows of every status (or of the one asked for); anyone else sees shows on sale only,
    so asking for drafts lists none (as ``Query.show`` answers null for a draft)."""
    if caller is not None and (caller.user_id == owner_id or caller.is_admin):
        return (status,) if status else EVERY_STATUS
    return (ShowStatus.ON_SALE,) if status in (None, ShowStatus.ON_SALE) else ()


def encode_cursor(show: Show) -> str:
    """An opaque cursor: the show's place in (startsAt, id) order."""
    raw = f"{show.starts_at.isoformat()}|{show.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The place a cursor names, or ``BAD_USER_INPUT``."""
    try:
        when, show_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        starts_at = datetime.fromisoformat(when)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadUserInput("This cursor is not one of ours.", field="after") from exc
    if starts_at.tzinfo is None:  # ours always carry one; a naive time can't be compared
        raise BadUserInput("This cursor is not one of ours.", field="after")
    return starts_at, show_id


async def list_shows(session: AsyncSession, flt: ShowFilter, first: int,
                     after: str | None) -> tuple[list[Show], bool]:
    """Shows of ``flt.statuses`` (on sale unless told) matching ``flt`` in (startsAt, id)
    order after ``after``; and whether more follow."""
    for name, bound in (("from", flt.starts_from), ("to", flt.starts_to)):
        if bound is not None and bound.tzinfo is None:
            raise BadUserInput(f"Give {name} with a time zone.", field=f"filter.{name}")
    place = decode_cursor(after) if after else None  # a bad cursor is refused, always
    if not flt.statuses:
        return [], False
    query = select(Show).where(Show.status.in_(flt.statuses))
    if flt.kind:
        query = query.where(Show.kind == flt.kind)
    if flt.venue_id:
        query = query.where(Show.venue_id == flt.venue_id)
    if flt.starts_from:
        query = query.where(Show.starts_at >= flt.starts_from)
    if flt.starts_to:
        query = query.where(Show.starts_at < flt.starts_to)
    if flt.text and flt.text.strip():
        # Literally: a % or _ in the text is not a LIKE wildcard.
        query = query.where(func.lower(Show.title).contains(flt.text.strip().lower(),
                                                             autoescape=True))
    if place is not None:
        when, show_id = place
        query = query.where(or_(Show.starts_at > when,
                                and_(Show.starts_at == when, Show.id > show_id)))
    rows = list(await session.scalars(query.order_by(Show.starts_at, Show.id).limit(first + 1)))
    return rows[:first], len(rows) > first


async def venues_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[Venue | None]:
    """Venues in the order of ``ids`` (``None`` where unknown), in one query."""
    return await one_each(session, Venue.id, ids)


async def shows_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[Show | None]:
    """Shows in the order of ``ids`` (``None`` where unknown), in one query."""
    return await one_each(session, Show.id, ids)


async def halls_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[Hall | None]:
    """Halls in the order of ``ids``, in one query."""
    return await one_each(session, Hall.id, ids)


async def halls_by_venue(session: AsyncSession, venue_ids: Sequence[str]) -> list[list[Hall]]:
    """Each venue's halls by name, in one query."""
    return await all_each(session, Hall.venue_id, venue_ids, Hall.name)


async def sections_by_hall(session: AsyncSession,
                           hall_ids: Sequence[str]) -> list[list[Section]]:
    """Each hall's sections in map order, in one query."""
    return await all_each(session, Section.hall_id, hall_ids, Section.position)


async def tiers_by_show(session: AsyncSession, show_ids: Sequence[str]) -> list[list[PriceTier]]:
    """Each show's price tiers, in one query."""
    return await all_each(session, PriceTier.show_id, show_ids, PriceTier.category)


async def ticket_types_by_show(session: AsyncSession,
                               show_ids: Sequence[str]) -> list[list[TicketType]]:
    """Each show's ticket types, the default first, in one query."""
    return await all_each(session, TicketType.show_id, show_ids, TicketType.position)


async def stops_by_show(session: AsyncSession, show_ids: Sequence[str]) -> list[list[Stop]]:
    """Each show's stops in order, in one query."""
    return await all_each(session, Stop.show_id, show_ids, Stop.position)


async def seats_by_venue(session: AsyncSession, venue_ids: Sequence[str]) -> list[list[Seat]]:
    """Each venue's seats (all halls) in map order, in one query."""
    rows = (await session.execute(
        select(Hall.venue_id, Seat).join(Hall, Hall.id == Seat.hall_id)
        .where(Hall.venue_id.in_(set(venue_ids))).order_by(Hall.name, Seat.position))).all()
    grouped: dict[str, list[Seat]] = {v: [] for v in venue_ids}
    for venue_id, seat in rows:
        grouped[venue_id].append(seat)
    return [grouped[v] for v in venue_ids]


async def venues_by_owner(session: AsyncSession, owner_ids: Sequence[str]) -> list[list[Venue]]:
    """Each owner's venues, for many owners in one query."""
    return await all_each(session, Venue.owner_id, owner_ids, Venue.name, Venue.id)


async def list_venues(session: AsyncSession, limit: int) -> list[Venue]:
    """Venues by name."""
    return list(await session.scalars(select(Venue).order_by(Venue.name, Venue.id).limit(limit)))


async def seat_map(session: AsyncSession, hall_id: str) -> dict[str, Any] | None:
    """The compact map stored with the hall (see :func:`subgraphs.venue.halls.compact_map`)."""
    stored = await session.scalar(select(Hall.seat_map).where(Hall.id == hall_id))
    return None if stored is None else orjson.loads(stored)  # type: ignore[no-any-return]
