"""Per-show inventory: built from venue's events, read as counts, states and live messages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Update, and_, case, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from subgraphs.booking.models import (
    AVAILABLE,
    HELD,
    SOLD,
    AdmissionSection,
    BookableShow,
    Booking,
    BookingAdmission,
    BookingLine,
    Hold,
    HoldAdmission,
    ShowSeat,
)
from subgraphs.kernel.app import Service
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.errors import BadUserInput
from subgraphs.kernel.events import Event
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


def is_free(now: datetime) -> ColumnElement[bool]:
    """The condition under which a seat may be taken: available, or held past expiry."""
    return or_(
        ShowSeat.state == AVAILABLE,
        and_(ShowSeat.state == HELD, ShowSeat.hold_expires_at <= now),
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


def legs_of(show: BookableShow, segment: Segment | None) -> range:
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


def segment_of(show: BookableShow, leg_from: int, leg_to: int) -> Segment | None:
    """The stops a hold or booking's legs run between (``None`` for a show without stops)."""
    return None if show.stops == 0 else (leg_from, leg_to)


@dataclass
class Snapshot:
    show_id: str
    version: int
    seats: list[SeatChange]
    availability: ShowAvailability


async def apply_show_published(uow: UnitOfWork, event: Event) -> None:
    """Create the show's inventory (a row per seat and leg); a replayed event changes nothing."""
    p = event.payload
    session = uow.session
    if await session.get(BookableShow, p["show_id"]) is not None:
        return
    show = BookableShow(
        id=p["show_id"], venue_id=p["venue_id"], organizer_id=p["organizer_id"],
        title=p["title"], starts_at=datetime.fromisoformat(p["starts_at"]),
        currency=p["currency"], version=0, stops=p.get("stops", 0),
        layout=p.get("hall_kind", "OTHER"))
    session.add(show)
    await session.flush()
    seats = [
        {"show_id": p["show_id"], "seat_id": s["id"], "leg": leg, "label": s["label"],
         "category": s["category"], "position": i, "state": AVAILABLE,
         "price_amount": s["price"], "row": s.get("row", ""), "col": s.get("col", i),
         "x": s.get("x", 0), "y": s.get("y", 0)}
        for i, s in enumerate(p["seats"]) for leg in range(show.legs)
    ]
    for start in range(0, len(seats), 5000):
        await session.execute(insert(ShowSeat), seats[start:start + 5000])
    sections = [
        {"show_id": p["show_id"], "section_id": g["id"], "key": g["key"], "name": g["name"],
         "category": g.get("category") or "", "position": i, "capacity": g["capacity"],
         "sold": 0, "price_amount": g["price"]}
        for i, g in enumerate(p.get("general_admission") or [])
    ]
    if sections:
        await session.execute(insert(AdmissionSection), sections)


def take_seats(show_id: str, seat_ids: Sequence[str], legs: range, hold_id: str,
               expires: datetime, now: datetime) -> Update:
    """The hold statement: mark these seats held on these legs where each is free.

    It changes ``len(seat_ids) * len(legs)`` rows exactly when every one was free; a
    smaller row count means some were taken, and the caller rolls back.
    """
    return (update(ShowSeat)
            .where(ShowSeat.show_id == show_id, ShowSeat.seat_id.in_(seat_ids),
                   ShowSeat.leg >= legs.start, ShowSeat.leg < legs.stop, is_free(now))
            .values(state=HELD, hold_id=hold_id, hold_expires_at=expires)
            .execution_options(synchronize_session=False))


def live_hold(now: datetime) -> ColumnElement[bool]:
    """A hold whose places still count: not expired, released or lapsed.

    A checked-out hold keeps its places until its booking is paid or it lapses, as a
    checked-out hold's seats stay ``HELD``.
    """
    return and_(Hold.status.in_(("ACTIVE", "CHECKED_OUT")), Hold.expires_at > now)


async def admission_held(session: AsyncSession, show_ids: Sequence[str], now: datetime,
                         section_id: str | None = None) -> dict[tuple[str, str], int]:
    """``(show_id, section_id) -> places held`` by live holds, in one query."""
    query = (select(HoldAdmission.show_id, HoldAdmission.section_id,
                    func.sum(HoldAdmission.quantity))
             .join(Hold, Hold.id == HoldAdmission.hold_id)
             .where(HoldAdmission.show_id.in_(set(show_ids)), live_hold(now))
             .group_by(HoldAdmission.show_id, HoldAdmission.section_id))
    if section_id is not None:
        query = query.where(HoldAdmission.section_id == section_id)
    return {(show, section): int(n or 0) for show, section, n in await session.execute(query)}


async def _admission_by_show(session: AsyncSession, show_ids: Sequence[str],
                             now: datetime) -> dict[str, list[AdmissionCounts]]:
    sections = list(await session.scalars(
        select(AdmissionSection).where(AdmissionSection.show_id.in_(set(show_ids)))
        .order_by(AdmissionSection.show_id, AdmissionSection.position)))
    if not sections:
        return {}
    held = await admission_held(session, show_ids, now)
    found: dict[str, list[AdmissionCounts]] = {}
    for s in sections:
        found.setdefault(s.show_id, []).append(AdmissionCounts(
            s.section_id, s.key, s.name, s.category, s.capacity,
            held.get((s.show_id, s.section_id), 0), s.sold))
    return found


async def availability_by_show(session: AsyncSession, show_ids: Sequence[str],
                               segment: Segment | None = None) -> list[ShowAvailability | None]:
    """Counts of seats and standing places per show (``None`` for unknown shows).

    A seat counts in the state it has over the whole journey (or ``segment``'s legs):
    available only if free on every leg, sold if sold on any.
    """
    now = utcnow()
    shows = {s.id: s for s in await session.scalars(
        select(BookableShow).where(BookableShow.id.in_(set(show_ids))))}
    for show in shows.values():
        legs_of(show, segment)  # a segment that does not fit the show is BAD_USER_INPUT
    totals: dict[str, Counts] = {}
    categories: dict[str, dict[str, CategoryCounts]] = {}

    def add(show_id: str, category: str, seat_state: str, n: int) -> None:
        for c in (totals.setdefault(show_id, Counts()),
                  categories.setdefault(show_id, {}).setdefault(
                      category, CategoryCounts(category=category))):
            c.total += n
            setattr(c, seat_state.lower(), getattr(c, seat_state.lower()) + n)

    # One leg: count rows in SQL. Several: combine each seat's legs, then count.
    flat = [s for s in shows.values() if s.legs == 1]
    if flat:
        state = effective_state(now).label("state")
        for show_id, category, seat_state, n in await session.execute(
                select(ShowSeat.show_id, ShowSeat.category, state, func.count())
                .where(ShowSeat.show_id.in_([s.id for s in flat]))
                .group_by(ShowSeat.show_id, ShowSeat.category, state)):
            add(show_id, category, seat_state, n)
    for show in shows.values():
        if show.legs > 1:
            for seat in await seat_states(session, show, legs_of(show, segment)):
                add(show.id, seat.category, seat.state, 1)
    admission = await _admission_by_show(session, list(shows), now)
    for show_id, sections in admission.items():
        for g in sections:
            c = categories.setdefault(show_id, {}).setdefault(
                g.category, CategoryCounts(category=g.category))
            c.total += g.capacity
            c.held += g.held
            c.sold += g.sold
            c.available += g.available
    return [
        ShowAvailability(totals.get(s, Counts()),
                         sorted(categories.get(s, {}).values(), key=lambda c: c.category),
                         admission.get(s, []))
        if s in shows else None
        for s in show_ids
    ]


@dataclass
class SeatInShow(SeatChange):
    category: str = ""


async def seat_states(session: AsyncSession, show: BookableShow, legs: range | None = None,
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
    assert availability is not None  # the show exists
    return Snapshot(show_id=show_id, version=show.version,
                    seats=list(await seat_states(session, show)), availability=availability)


async def bump_version(session: AsyncSession, show_id: str) -> BookableShow | None:
    """Lock the show's row and advance its version.

    Every seat and standing-place change of a show takes this lock first, so changes to
    one show commit in version order, two holds can never deadlock on each other's seats,
    and a count read after it (places left, a customer's places) stays true until commit.
    """
    show = await lock_show(session, show_id)
    if show is None:
        return None
    show.version += 1
    await session.flush()
    return show


async def lock_show(session: AsyncSession, show_id: str) -> BookableShow | None:
    """Lock the show's row without advancing its version (for a change that may touch no
    seat: bump ``version`` only when something is announced, so versions stay consecutive)."""
    return await session.get(BookableShow, show_id, with_for_update=True)


async def announce_after_commit(service: Service, uow: UnitOfWork, show: BookableShow,
                                seat_ids: Sequence[str]) -> None:
    """Announce changed seats and the counts as of the show's version, once the change commits.

    Seats' states and the counts are read inside the transaction, under the show's lock,
    so each message describes exactly the state its version names. A change of standing
    places only (or of a hold's expiry) announces no seats and the counts.
    """
    await uow.session.flush()
    changed = await seat_states(uow.session, show, seat_ids=seat_ids) if seat_ids else []
    availability = (await availability_by_show(uow.session, [show.id]))[0]
    message: dict[str, Any] = {
        "show_id": show.id,
        "version": show.version,
        "seats": [SeatChange.as_message(c) for c in changed],
        **(availability or ShowAvailability(Counts(), [], [])).as_message(),
    }

    async def announce() -> None:
        await service.runtime.live.publish(channel(show.id), message)

    uow.after_commit(announce)


BOOKED = ("PENDING_PAYMENT", "CONFIRMED")


async def places_of_customer(session: AsyncSession, show_id: str, user_id: str,
                             now: datetime) -> int:
    """Seats and standing places a customer holds (live, active holds) or has booked."""
    mine = (Hold.show_id == show_id, Hold.user_id == user_id, Hold.status == "ACTIVE",
            Hold.expires_at > now)
    # A seat held on several legs is one seat: count it on the hold's first leg.
    booked = (Booking.show_id == show_id, Booking.user_id == user_id,
              Booking.status.in_(BOOKED))
    counts = [
        select(func.count()).select_from(ShowSeat)
        .join(Hold, and_(Hold.id == ShowSeat.hold_id, Hold.leg_from == ShowSeat.leg))
        .where(*mine, ShowSeat.state == HELD),
        select(func.coalesce(func.sum(HoldAdmission.quantity), 0))
        .join(Hold, Hold.id == HoldAdmission.hold_id).where(*mine),
        select(func.count()).select_from(BookingLine)
        .join(Booking, Booking.id == BookingLine.booking_id).where(*booked),
        select(func.coalesce(func.sum(BookingAdmission.quantity), 0))
        .join(Booking, Booking.id == BookingAdmission.booking_id).where(*booked),
    ]
    return sum([int(await session.scalar(q) or 0) for q in counts])


async def enforce_customer_limit(session: AsyncSession, limit: int, show_id: str,
                                 user_id: str, now: datetime, adding: int, field: str) -> None:
    """``BAD_USER_INPUT`` if the customer's places plus ``adding`` exceed ``limit``.

    Call it under the show's lock (after :func:`bump_version`): every change of the
    customer's places for this show waits on that lock, so the sum stays true until commit.
    """
    places = await places_of_customer(session, show_id, user_id, now) + adding
    if places > limit:
        raise BadUserInput(f"One customer may hold or book at most {limit} places for a show.",
                           field=field, limit=limit)
