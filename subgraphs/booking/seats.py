"""The statements that move seat rows between states; each returns the rows it moved.

Who gets a seat is decided here and only here: :func:`take` is one conditional UPDATE
that changes a row only if it is free (available, or held past its expiry) on the legs
asked for. Nothing else is locked to take a seat; its row is the lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningUpdate
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.visitors import cloned_traverse

from subgraphs.booking.models import AVAILABLE, HELD, ON_SALE, SOLD, BookableShow, ShowSeat
from subgraphs.booking.placement import Place


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
    """The condition under which a seat may be taken: available, or held past expiry while
    nobody waits for the show (then the sweeper gives it to the line: waitlist.py)."""
    return or_(
        ShowSeat.state == AVAILABLE,
        and_(ShowSeat.state == HELD, ShowSeat.hold_expires_at <= now,
             ~exists(select(BookableShow.id).where(BookableShow.id == ShowSeat.show_id,
                                                   BookableShow.waiting > 0))),
    )


def _nobody_waits() -> ColumnElement[bool]:
    # A lapsed hold's seat is free at once only while nobody waits for the show: with a
    # waiting list, the sweeper hands it to the line first (waitlist.py). One lookup of the
    # show's row by its key, evaluated once per statement.
    return ~exists(select(SHOWS.c.id).where(SHOWS.c.id == bindparam("b_show"),
                                            SHOWS.c.waiting > 0))


def _take(legs: bool) -> ReturningUpdate[str, str, int, int, bool | None, str, int]:
    # Built once, with bound parameters: constructing and cache-keying the statement again
    # for every hold was a tenth of a hold's CPU. On the table, not the class, so the
    # session runs it as plain SQL without the ORM's bulk-update bookkeeping.
    t = SEATS.c
    where = [t.show_id == bindparam("b_show"),
             t.seat_id.in_(bindparam("b_seats", expanding=True)),
             or_(t.state == AVAILABLE,
                 and_(t.state == HELD, t.hold_expires_at <= bindparam("b_now"),
                      _nobody_waits())),
             # FOR KEY SHARE: any number of holds share it; a show's cancellation (FOR
             # UPDATE) waits for the holds under way and is waited for by the next ones.
             exists(select(SHOWS.c.id).where(SHOWS.c.id == bindparam("b_show"),
                                             SHOWS.c.status == ON_SALE)
                    .with_for_update(read=True, key_share=True))]
    if legs:
        where += [t.leg >= bindparam("b_leg_from"), t.leg < bindparam("b_leg_to")]
    return (update(SEATS).where(*where)
            # Right-hand sides see the row as it was: was_held says a lapsed hold had it.
            .values(state=HELD, hold_id=bindparam("b_hold"),
                    hold_expires_at=bindparam("b_expires"), was_held=t.state == HELD)
            .returning(t.seat_id, t.category, t.leg, t.position, t.was_held, t.label,
                       t.price_amount))


SEATS = cast(Table, ShowSeat.__table__)
SHOWS = cast(Table, BookableShow.__table__)
_TAKE = {False: _take(False), True: _take(True)}
# The seats among b_seats that are free on every leg of [b_leg_from, b_leg_to).
_FREE = (select(SEATS.c.seat_id)
         .where(SEATS.c.show_id == bindparam("b_show"),
                SEATS.c.seat_id.in_(bindparam("b_seats", expanding=True)),
                SEATS.c.leg >= bindparam("b_leg_from"), SEATS.c.leg < bindparam("b_leg_to"),
                or_(SEATS.c.state == AVAILABLE,
                    and_(SEATS.c.state == HELD, SEATS.c.hold_expires_at <= bindparam("b_now"),
                         _nobody_waits())))
         .group_by(SEATS.c.seat_id)
         .having(func.count() == bindparam("b_legs")))


def _take_values(show_id: str, seat_ids: Sequence[str], legs: range | None, hold_id: str,
                 expires: datetime, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {"b_show": show_id, "b_seats": list(seat_ids),
                              "b_hold": hold_id, "b_now": now, "b_expires": expires}
    if legs is not None:
        values.update(b_leg_from=legs.start, b_leg_to=legs.stop)
    return values


def take_statement(show_id: str, seat_ids: Sequence[str], legs: range | None, hold_id: str,
                   expires: datetime, now: datetime
                   ) -> ReturningUpdate[str, str, int, int, bool | None, str, int]:
    """The hold statement: mark these seats held on these legs (``None``: every leg) for
    ``hold_id`` where each is free and the show is on sale, returning the rows taken; its
    values bound (to print it, as the benchmark does)."""
    values = _take_values(show_id, seat_ids, legs, hold_id, expires, now)

    def bind(param: BindParameter[Any]) -> None:
        if param.key in values:
            param.value = values[param.key]

    return cloned_traverse(_TAKE[legs is not None], {}, {"bindparam": bind})


async def take(session: AsyncSession, show_id: str, seat_ids: Sequence[str],
               legs: range | None, hold_id: str, expires: datetime,
               now: datetime) -> list[Taken]:
    """Run the hold statement (:func:`take_statement`); the rows taken, in seat-map order.

    Fewer rows than asked for means some seat was not free (or not the show's, or the
    show not on sale): the caller rolls back.
    """
    result = await session.execute(
        _TAKE[legs is not None], _take_values(show_id, seat_ids, legs, hold_id, expires, now))
    rows = [Taken(seat_id, category, leg, position, HELD if was_held else AVAILABLE, HELD,
                  label, price) for seat_id, category, leg, position, was_held, label, price
            in result]
    rows.sort(key=lambda r: (r.position, r.leg))
    return rows


async def free_among(session: AsyncSession, show_id: str, seat_ids: Sequence[str],
                     legs: range, now: datetime) -> set[str]:
    """Which of these seats of the show are free on every one of ``legs``."""
    return set((await session.execute(_FREE, {
        "b_show": show_id, "b_seats": list(seat_ids), "b_leg_from": legs.start,
        "b_leg_to": legs.stop, "b_now": now, "b_legs": len(legs)})).scalars())


async def layout_of(session: AsyncSession, show_id: str, category: str | None) -> list[Place]:
    """Where each seat of the show (of ``category``) is, in seat-map order; never changes
    once the show is on sale (its ``free`` flags say nothing)."""
    t = SEATS.c
    query = (select(t.seat_id, t.row, t.col, t.x, t.y)
             .where(t.show_id == show_id, t.leg == 0).order_by(t.position))
    if category is not None:
        query = query.where(t.category == category)
    return [Place(seat_id, row, col, x, y, False)
            for seat_id, row, col, x, y in await session.execute(query)]


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
