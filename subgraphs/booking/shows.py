"""What booking knows of a show that never changes once it is on sale, cached per process.

A show's title, time, currency, organizer, stops and hall kind come from venue's
``ShowPublished`` and are never edited in booking, so a hold does not read them again: the
hot path needs no statement for them. Its ``status`` does change (a cancelled show stops
selling) and is never cached: the hold statement itself checks it. So is the venue's time
zone, which its organizer may correct (``VenueTimeZoneChanged``): a notice reads it afresh.
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


async def notice(session: AsyncSession, show: ShowInfo) -> dict[str, str]:
    """What a notice about a booking names (notification sends it without asking): the
    show's title, its start in UTC and the venue's time zone, so people read the start as
    it is at the venue."""
    zone = await session.scalar(select(BookableShow.time_zone)
                                .where(BookableShow.id == show.id))
    return {"title": show.title, "starts_at": show.starts_at.isoformat(),
            "time_zone": zone or DEFAULT_ZONE}


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
