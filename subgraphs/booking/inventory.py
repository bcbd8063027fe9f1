"""Per-show inventory: built from venue's events, read as counts, states and live messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from subgraphs.booking.models import AVAILABLE, HELD, BookableShow, ShowSeat
from subgraphs.kernel.app import Service
from subgraphs.kernel.db import utcnow
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
class SeatChange:
    seat_id: str
    state: str


@dataclass
class Snapshot:
    show_id: str
    version: int
    counts: Counts
    seats: list[SeatChange] = field(default_factory=list)


async def apply_show_published(uow: UnitOfWork, event: Event) -> None:
    """Create the show's inventory; a replayed event finds it and changes nothing."""
    p = event.payload
    session = uow.session
    if await session.get(BookableShow, p["show_id"]) is not None:
        return
    session.add(BookableShow(
        id=p["show_id"], venue_id=p["venue_id"], organizer_id=p["organizer_id"],
        title=p["title"], starts_at=datetime.fromisoformat(p["starts_at"]),
        price_amount=p["price"]["amount"], currency=p.get("currency", p["price"]["currency"]),
        version=0))
    await session.flush()
    seats = [
        {"show_id": p["show_id"], "seat_id": s["id"], "label": s["label"],
         "category": s["category"], "position": i, "state": AVAILABLE,
         "price_amount": s.get("price", p["price"]["amount"])}
        for i, s in enumerate(p["seats"])
    ]
    for start in range(0, len(seats), 5000):
        await session.execute(insert(ShowSeat), seats[start:start + 5000])


async def apply_venue_event(uow: UnitOfWork, event: Event) -> None:
    """Venue's events: a published show gets inventory; a cancelled one stops selling."""
    if event.type == "ShowPublished":
        await apply_show_published(uow, event)
    elif event.type == "ShowCancelled":
        show = await uow.session.get(BookableShow, event.payload["show_id"], with_for_update=True)
        if show is not None:
            show.status = "CANCELLED"


async def counts_by_show(session: AsyncSession, show_ids: Sequence[str]) -> list[Counts | None]:
    """Seat counts per show (``None`` for shows booking does not know), in one query."""
    now = utcnow()
    state = effective_state(now).label("state")
    rows = await session.execute(
        select(ShowSeat.show_id, state, func.count())
        .where(ShowSeat.show_id.in_(set(show_ids)))
        .group_by(ShowSeat.show_id, state)
    )
    found: dict[str, Counts] = {}
    for show_id, seat_state, n in rows:
        c = found.setdefault(show_id, Counts())
        c.total += n
        setattr(c, seat_state.lower(), getattr(c, seat_state.lower()) + n)
    return [found.get(s) for s in show_ids]


async def snapshot(session: AsyncSession, show_id: str) -> Snapshot | None:
    """Every seat's state and the show's version, read in one transaction."""
    show = await session.get(BookableShow, show_id)
    if show is None:
        return None
    now = utcnow()
    rows = await session.execute(
        select(ShowSeat.seat_id, effective_state(now))
        .where(ShowSeat.show_id == show_id)
        .order_by(ShowSeat.position)
    )
    seats = [SeatChange(seat_id, state) for seat_id, state in rows]
    counts = Counts(total=len(seats))
    for s in seats:
        setattr(counts, s.state.lower(), getattr(counts, s.state.lower()) + 1)
    return Snapshot(show_id=show_id, version=show.version, counts=counts, seats=seats)


async def bump_version(session: AsyncSession, show_id: str) -> BookableShow | None:
    """Lock the show's row and advance its version.

    Every seat change of a show takes this lock first, so changes to one show commit
    in version order and two holds can never deadlock on each other's seats.
    """
    show = await session.get(BookableShow, show_id, with_for_update=True)
    if show is None:
        return None
    show.version += 1
    await session.flush()
    return show


async def announce_after_commit(service: Service, uow: UnitOfWork, show_id: str, version: int,
                                changes: list[SeatChange]) -> None:
    """Announce changed seats and the counts as of this version, once the change commits.

    The counts are read inside the transaction, under the show's lock, so each message
    describes exactly the state its version names.
    """
    counts = (await counts_by_show(uow.session, [show_id]))[0] or Counts()
    message: dict[str, Any] = {
        "show_id": show_id,
        "version": version,
        "seats": [{"seat_id": c.seat_id, "state": c.state} for c in changes],
        "counts": counts.as_dict(),
    }

    async def announce() -> None:
        await service.runtime.live.publish(channel(show_id), message)

    uow.after_commit(announce)
