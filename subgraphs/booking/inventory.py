"""Per-show inventory: built from venue's events, read as counts, states and snapshots.

What changes seats lives in :mod:`.seats` (the statements), :mod:`.ledger` (versions,
counts and live messages) and the use cases; this module reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, case, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from subgraphs.booking import counts, fares
from subgraphs.booking.models import (
    AVAILABLE,
    HELD,
    SOLD,
    AdmissionSection,
    BookableShow,
    ShowCount,
    ShowSeat,
)
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.errors import BadUserInput
from subgraphs.kernel.events import ShowPublished
from subgraphs.kernel.uow import UnitOfWork


def channel(show_id: str) -> str:
    """The live channel of a show's seat changes."""
    return f"show:{show_id}"


def effective_state(now: datetime) -> ColumnElement[str]:
    """A seat's state as buyers see it: a hold past its expiry no longer counts."""
    return case(
        (and_(ShowSeat.state == HELD, ShowSeat.hold_expires_at <= now), AVAILABLE),
        else_=ShowSeat.state,
    )


@dataclass
class Counts:
    total: int = 0
    available: int = 0
    held: int = 0
    sold: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"total": self.total, "available": self.available, "held": self.held,
                "sold": self.sold}


@dataclass
class CategoryCounts(Counts):
    """Seats and standing places of one category."""

    category: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"category": self.category, **super().as_dict()}


@dataclass
class AdmissionCounts:
    """One general-admission section: its capacity and places held, sold and left."""

    section_id: str
    key: str
    name: str
    category: str
    capacity: int
    held: int
    sold: int

    @property
    def available(self) -> int:
        return max(0, self.capacity - self.held - self.sold)

    def as_dict(self) -> dict[str, Any]:
        return {"section_id": self.section_id, "key": self.key, "name": self.name,
                "capacity": self.capacity, "available": self.available, "held": self.held,
                "sold": self.sold}


@dataclass
class ShowAvailability:
    """Seat counts (``counts``), per category (seats and standing), per standing section."""

    counts: Counts
    by_category: list[CategoryCounts]
    general_admission: list[AdmissionCounts]

    def as_message(self) -> dict[str, Any]:
        """The counts as the live messages carry them."""
        return {"counts": self.counts.as_dict(),
                "by_category": [c.as_dict() for c in self.by_category],
                "general_admission": [g.as_dict() for g in self.general_admission]}


@dataclass
class SeatChange:
    """A seat's state for the legs asked about; on a journey, also its state on each leg."""

    seat_id: str
    state: str
    legs: list[str] = field(default_factory=list)

    def as_message(self) -> dict[str, Any]:
        return {"seat_id": self.seat_id, "state": self.state, "legs": self.legs}


def combine(states: Iterable[str]) -> str:
    """A seat's state over several legs: sold on any, else held on any, else available."""
    found = set(states)
    return SOLD if SOLD in found else HELD if HELD in found else AVAILABLE


Segment = tuple[int, int]


class HasStops(Protocol):
    """A show as booking models it (its row, or its cached facts)."""

    @property
    def stops(self) -> int: ...

    @property
    def legs(self) -> int: ...


def legs_of(show: HasStops, segment: Segment | None) -> range:
    """The legs a segment (stop indexes ``from`` < ``to``) covers; ``None``: all of them."""
    if segment is None:
        return range(show.legs)
    start, stop = segment
    if show.stops == 0:
        raise BadUserInput("This show has no stops; leave segment out.", field="segment")
    if not 0 <= start < stop < show.stops:
        raise BadUserInput(f"Choose stops from < to, between 0 and {show.stops - 1}.",
                           field="segment")
    return range(start, stop)


def segment_of(show: HasStops, leg_from: int, leg_to: int) -> Segment | None:
    """The stops a hold or booking's legs run between (``None`` for a show without stops)."""
    return None if show.stops == 0 else (leg_from, leg_to)


@dataclass
class Snapshot:
    show_id: str
    version: int
    seats: list[SeatChange]
    availability: ShowAvailability


async def apply_show_published(uow: UnitOfWork, p: ShowPublished) -> None:
    """Create the show's inventory (a row per seat and leg); a replayed event changes nothing."""
    session = uow.session
    if await session.get(BookableShow, p.show_id) is not None:
        return
    show = BookableShow(
        id=p.show_id, venue_id=p.venue_id, organizer_id=p.organizer_id, title=p.title,
        starts_at=datetime.fromisoformat(p.starts_at), currency=p.currency,
        time_zone=p.time_zone, version=0, stops=p.stops, layout=p.hall_kind,
        fares=p.fares or None)
    session.add(show)
    await session.flush()
    await fares.apply_published(session, p, show.legs)
    seats = [
        {"show_id": p.show_id, "seat_id": s["id"], "leg": leg, "label": s["label"],
         "category": s["category"], "position": i, "state": AVAILABLE,
         "price_amount": s["price"], "row": s.get("row", ""), "col": s.get("col", i),
         "x": s.get("x", 0), "y": s.get("y", 0)}
        for i, s in enumerate(p.seats) for leg in range(show.legs)
    ]
    for start in range(0, len(seats), 5000):
        await session.execute(insert(ShowSeat), seats[start:start + 5000])
    sections = [
        {"show_id": p.show_id, "section_id": g["id"], "key": g["key"], "name": g["name"],
         "category": g.get("category") or "", "position": i, "capacity": g["capacity"],
         "sold": 0, "held": 0, "price_amount": g["price"]}
        for i, g in enumerate(p.general_admission or [])
    ]
    if sections:
        await session.execute(insert(AdmissionSection), sections)
    totals: dict[tuple[str, int], int] = {}
    for seat in seats:
        key = (seat["category"], seat["leg"])
        totals[key] = totals.get(key, 0) + 1
    if totals:
        await session.execute(insert(ShowCount), [
            {"show_id": show.id, "category": category, "leg": leg, "total": n, "held": 0,
             "sold": 0} for (category, leg), n in sorted(totals.items())])


@dataclass
class SeatInShow(SeatChange):
    category: str = ""


class HasIdAndStops(HasStops, Protocol):
    """A show with its id."""

    @property
    def id(self) -> str: ...


def availability_from(counted: counts.ShowCounts,
                      journey: list[SeatInShow] | None = None) -> ShowAvailability:
    """The availability a show's counts describe; on a journey, ``journey`` gives each
    seat's state over the legs asked about (a seat counts once, in its combined state)."""
    totals = Counts()
    categories: dict[str, CategoryCounts] = {}

    def add(category: str, total: int, held: int, sold: int) -> None:
        for c in (totals, categories.setdefault(category, CategoryCounts(category=category))):
            c.total += total
            c.held += held
            c.sold += sold
            c.available += total - held - sold

    if journey is None:
        for row in counted.seats:
            add(row.category, row.total, row.held_now, row.sold)
    else:
        for seat in journey:
            add(seat.category, 1, int(seat.state == HELD), int(seat.state == SOLD))
    admission = [AdmissionCounts(g.section_id, g.key, g.name, g.category, g.capacity,
                                 g.held_now, g.sold) for g in counted.sections]
    for section in admission:
        category = categories.setdefault(section.category,
                                         CategoryCounts(category=section.category))
        category.total += section.capacity
        category.held += section.held
        category.sold += section.sold
        category.available += section.available
    return ShowAvailability(totals, sorted(categories.values(), key=lambda c: c.category),
                            admission)


async def availability_by_show(session: AsyncSession, show_ids: Sequence[str],
                               segment: Segment | None = None) -> list[ShowAvailability | None]:
    """Counts of seats and standing places per show (``None`` for unknown shows).

    A show without stops is read from its counters. On a journey a seat counts in the
    state it has over the whole journey (or ``segment``'s legs): available only if free on
    every leg, sold if sold on any, so its seats are combined one by one.
    """
    shows = {s.id: s for s in await session.scalars(
        select(BookableShow).where(BookableShow.id.in_(set(show_ids))))}
    for show in shows.values():
        legs_of(show, segment)  # a segment that does not fit the show is BAD_USER_INPUT
    counted = await counts.read(session, list(shows), utcnow()) if shows else {}
    found: dict[str, ShowAvailability] = {}
    for show in shows.values():
        journey = (await seat_states(session, show, legs_of(show, segment))
                   if show.legs > 1 else None)
        found[show.id] = availability_from(counted[show.id], journey)
    return [found.get(s) for s in show_ids]


async def seat_states(session: AsyncSession, show: HasIdAndStops, legs: range | None = None,
                      seat_ids: Sequence[str] | None = None) -> list[SeatInShow]:
    """Seats' states as buyers see them over ``legs`` (default all), in seat-map order.

    On a journey each also carries its state on every leg.
    """
    legs = legs if legs is not None else range(show.legs)
    query = (select(ShowSeat.seat_id, ShowSeat.category, ShowSeat.leg, effective_state(utcnow()))
             .where(ShowSeat.show_id == show.id).order_by(ShowSeat.position, ShowSeat.leg))
    if seat_ids is not None:
        query = query.where(ShowSeat.seat_id.in_(set(seat_ids)))
    # Rows come seat by seat, each seat's legs in order.
    found: list[SeatInShow] = []
    for seat_id, category, _leg, state in await session.execute(query):
        if not found or found[-1].seat_id != seat_id:
            found.append(SeatInShow(seat_id, AVAILABLE, [], category))
        found[-1].legs.append(state)
    for seat in found:
        seat.state = combine(seat.legs[legs.start:legs.stop])
        if show.legs == 1:
            seat.legs = []
    return found


async def snapshot(session: AsyncSession, show_id: str) -> Snapshot | None:
    """Every seat's state, the counts and the show's version, read in one session."""
    show = await session.get(BookableShow, show_id)
    if show is None:
        return None
    availability = (await availability_by_show(session, [show_id]))[0]
    if availability is None:  # the show exists; this only satisfies the type checker
        return None
    return Snapshot(show_id=show_id, version=show.version,
                    seats=list(await seat_states(session, show)), availability=availability)
