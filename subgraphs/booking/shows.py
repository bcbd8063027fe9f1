"""What booking knows of a show that never changes once it is on sale, cached per process.

A show's currency, organizer, stops and hall kind come from venue's ``ShowPublished`` and
are never edited in booking, so a hold does not read them again: the hot path needs no
statement for them. Its ``status`` does change (a cancelled show stops selling) and is
never cached: the hold statement itself checks it. Nor are the venue's time zone, which
its organizer may correct (``VenueTimeZoneChanged``), and the show's title and times,
which ``updateShow`` may change (``ShowRescheduled``): a notice and the customer's cancel
deadline read them afresh (:func:`notice`, :func:`starts_at`); the cached ``title`` and
``starts_at`` are those at publishing, for nothing that a customer reads. A move of the start
is told to the holders of confirmed bookings (``BookingRescheduled``, booking's
``reschedule``).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.booking.models import BookableShow
from subgraphs.kernel.l10n import DEFAULT_ZONE
from subgraphs.kernel.service import Service

CACHE_SIZE = 4096


@dataclass(frozen=True)
class ShowInfo:
    """The fixed facts of a show on sale."""

    id: str
    organizer_id: str
    title: str
    starts_at: datetime
    currency: str
    stops: int
    layout: str
    # Fares per segment and fare classes (:mod:`.fares`); never change once on sale.
    fares: dict[str, Any] | None = None

    @property
    def legs(self) -> int:
        """Legs between consecutive stops; a show without stops has one."""
        return max(1, self.stops - 1)

    @classmethod
    def of(cls, show: BookableShow) -> ShowInfo:
        return cls(show.id, show.organizer_id, show.title, show.starts_at, show.currency,
                   show.stops, show.layout, show.fares or None)


async def notice(session: AsyncSession, show: ShowInfo, *,
                 lock: bool = False) -> dict[str, str]:
    """What a notice about a booking names (notification sends it without asking): the
    show's title, its start in UTC and the venue's time zone, so people read the start as
    it is at the venue. ``lock``: read under ``FOR KEY SHARE`` (a confirmation), which waits
    for a move being applied (:func:`.bookings.reschedule` holds the row ``FOR UPDATE``)
    and then reads the moved time; it does not stand in the way of other bookings."""
    found = await notice_of(session, show.id, lock=lock)
    if found is None:
        return {"title": show.title, "starts_at": show.starts_at.isoformat(),
                "time_zone": DEFAULT_ZONE}
    return found


async def notice_of(session: AsyncSession, show_id: str, *,
                    lock: bool = False) -> dict[str, str] | None:
    """:func:`notice` of a show booking has (``None`` otherwise), by its id."""
    query = select(BookableShow.title, BookableShow.starts_at, BookableShow.time_zone).where(
        BookableShow.id == show_id)
    if lock:
        query = query.with_for_update(read=True, key_share=True)
    row = (await session.execute(query)).first()
    if row is None:
        return None
    return {"title": row.title, "starts_at": row.starts_at.isoformat(),
            "time_zone": row.time_zone or DEFAULT_ZONE}


async def starts_at(session: AsyncSession, show: ShowInfo) -> datetime:
    """The show's start now (``updateShow`` may have moved it since publishing)."""
    found = await session.scalar(select(BookableShow.starts_at)
                                 .where(BookableShow.id == show.id))
    return found if found is not None else show.starts_at


def forget(service: Service, show_id: str) -> None:
    """Drop this process's cached facts of the show (read afresh next time)."""
    _cache(service).pop(show_id, None)


def _cache(service: Service) -> OrderedDict[str, ShowInfo]:
    return service.once("show_info", OrderedDict)


async def show_info(service: Service, show_id: str,
                    session: AsyncSession | None = None) -> ShowInfo | None:
    """The show's fixed facts (``None`` if booking has no such show), read once per process."""
    cache = _cache(service)
    found = cache.get(show_id)
    if found is not None:
        cache.move_to_end(show_id)
        return found
    if session is not None:
        show = await session.get(BookableShow, show_id)
    else:
        show = await service.get(BookableShow, show_id)
    if show is None:
        return None
    found = ShowInfo.of(show)
    cache[show_id] = found
    if len(cache) > CACHE_SIZE:
        cache.popitem(last=False)
    return found
