"""The statements that move seat rows between states; each returns the rows it moved.

Who gets a seat is decided here and only here: :func:`take` is one conditional UPDATE
that changes a row only if it is free (available, or held past its expiry) on the legs
asked for. Nothing else is locked to take a seat; its row is the lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningUpdate
from sqlalchemy.sql.elements import ColumnElement

from subgraphs.booking.models import AVAILABLE, HELD, ON_SALE, SOLD, BookableShow, ShowSeat


@dataclass(frozen=True)
class Moved:
    """One seat row (seat on one leg) that changed state."""

    seat_id: str
    category: str
    leg: int
    position: int
    was: str
    now: str


@dataclass(frozen=True)
class Taken(Moved):
    """A seat row a hold took, with what the hold will charge for it."""

    label: str = ""
    price_amount: int = 0


def is_free(now: datetime) -> ColumnElement[bool]:
    """The condition under which a seat may be taken: available, or held past expiry."""
    return or_(
        ShowSeat.state == AVAILABLE,
        and_(ShowSeat.state == HELD, ShowSeat.hold_expires_at <= now),
    )


def _on_sale(show_id: str) -> ColumnElement[bool]:
    # FOR KEY SHARE: any number of holds share it; a show's cancellation (FOR UPDATE) waits
    # for the holds under way and is waited for by the next ones, which then see it.
    return exists(select(BookableShow.id).where(BookableShow.id == show_id,
                                                BookableShow.status == ON_SALE)
                  .with_for_update(key_share=True))


def take_statement(show_id: str, seat_ids: Sequence[str], legs: range | None, hold_id: str,
                   expires: datetime, now: datetime
                   ) -> ReturningUpdate[str, str, int, int, bool | None, str, int]:
    """The hold statement: mark these seats held on these legs (``None``: every leg) for
    ``hold_id`` where each is free and the show is on sale, returning the rows taken."""
    where = [ShowSeat.show_id == show_id, ShowSeat.seat_id.in_(seat_ids), is_free(now),
             _on_sale(show_id)]
    if legs is not None:
        where += [ShowSeat.leg >= legs.start, ShowSeat.leg < legs.stop]
    return (update(ShowSeat).where(*where)
            # Right-hand sides see the row as it was: was_held says a lapsed hold had it.
            .values(state=HELD, hold_id=hold_id, hold_expires_at=expires,
                    was_held=ShowSeat.state == HELD)
            .returning(ShowSeat.seat_id, ShowSeat.category, ShowSeat.leg, ShowSeat.position,
                       ShowSeat.was_held, ShowSeat.label, ShowSeat.price_amount)
            .execution_options(synchronize_session=False))


async def take(session: AsyncSession, show_id: str, seat_ids: Sequence[str],
               legs: range | None, hold_id: str, expires: datetime,
               now: datetime) -> list[Taken]:
    """Run :func:`take_statement`; the rows taken, in seat-map order.

    Fewer rows than asked for means some seat was not free (or not the show's, or the
    show not on sale): the caller rolls back.
    """
    result = await session.execute(take_statement(show_id, seat_ids, legs, hold_id, expires,
                                                  now))
    rows = [Taken(seat_id, category, leg, position, HELD if was_held else AVAILABLE, HELD,
                  label, price) for seat_id, category, leg, position, was_held, label, price
            in result]
    rows.sort(key=lambda r: (r.position, r.leg))
    return rows


async def _move(session: AsyncSession, hold: str, was: str, now: str,
                **values: object) -> list[Moved]:
    result = await session.execute(
        update(ShowSeat).where(ShowSeat.hold_id == hold, ShowSeat.state == was)
        .values(state=now, **values)
        .returning(ShowSeat.seat_id, ShowSeat.category, ShowSeat.leg, ShowSeat.position)
        .execution_options(synchronize_session=False))
    rows = [Moved(seat_id, category, leg, position, was, now)
            for seat_id, category, leg, position in result]
    rows.sort(key=lambda r: (r.position, r.leg))
    return rows


async def free(session: AsyncSession, hold_id: str, was: str = HELD) -> list[Moved]:
    """Put back on sale the rows this hold still holds (or has sold: ``was=SOLD``)."""
    return await _move(session, hold_id, was, AVAILABLE, hold_id=None, hold_expires_at=None)


async def sell(session: AsyncSession, hold_id: str) -> list[Moved]:
    """Mark sold the rows this hold still holds (its booking was paid)."""
    return await _move(session, hold_id, HELD, SOLD, hold_expires_at=None)


async def prolong(session: AsyncSession, hold_id: str, until: datetime) -> None:
    """Move the expiry of the rows this hold holds to ``until``."""
    await session.execute(
        update(ShowSeat).where(ShowSeat.hold_id == hold_id, ShowSeat.state == HELD)
        .values(hold_expires_at=until).execution_options(synchronize_session=False))


def seat_ids(rows: Sequence[Moved]) -> list[str]:
    """The distinct seats of these rows, in seat-map order."""
    return list(dict.fromkeys(r.seat_id for r in rows))
