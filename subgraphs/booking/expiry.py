"""How holds end: given back by their buyer, lapsed (the sweeper), or with their booking.

:func:`end` is the one way a hold gives its seats and places back; :func:`expire` ends a
lapsed hold and the booking still waiting for its payment, if any.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime

from sqlalchemy import select

from subgraphs.booking import backoffice, fares, limits, redemptions, seats, sections, waitlist_line
from subgraphs.booking.ledger import Ledger, forget_stale_changes
from subgraphs.booking.models import HELD, SOLD, Booking, BookingStatus, Hold, HoldStatus
from subgraphs.booking.shows import ShowInfo, notice, show_info
from subgraphs.kernel import metrics
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.events import BookingExpired, HoldExpired
from subgraphs.kernel.service import Service, repeat
from subgraphs.kernel.uow import UnitOfWork, retrying

log = logging.getLogger("ticketflow.booking")
# Holds whose seats the sweeper frees once they lapse.
SWEPT = (HoldStatus.ACTIVE, HoldStatus.CHECKED_OUT)


async def end(service: Service, uow: UnitOfWork, show: ShowInfo, hold: Hold, status: str,
              *, sold: bool = False) -> list[str]:
    """End a locked hold with ``status``: the seats it still holds (or has sold, ``sold``)
    and its standing places go back on sale (the waiting list first: waitlist_line.py),
    and its customer's places count no more. The seats freed, in seat-map order."""
    rows = await seats.free(uow.session, hold.id, SOLD if sold else HELD)
    if sold:
        places = await sections.give_back_sold(uow.session, hold.id)
    else:
        places = await sections.give_back(uow.session, hold.id)
    await limits.give_back(uow.session, hold.show_id, hold.user_id, hold.places)
    if show.fares:  # a show without fares has no hold_fares rows
        await fares.give_back(uow.session, hold)
    hold.status = status
    Ledger.of(service, uow).moved(show, rows)
    await waitlist_line.returned(service, uow, show, hold, rows, places)
    return seats.seat_ids(rows)


async def expire(service: Service, uow: UnitOfWork, show: ShowInfo, hold: Hold) -> None:
    """A lapsed hold (locked): its seats and places go back on sale and its pending
    booking, if any, expires."""
    places = await sections.of_hold(uow.session, hold.id)
    freed = await end(service, uow, show, hold, HoldStatus.EXPIRED)
    booking = await uow.session.scalar(
        select(Booking).where(Booking.hold_id == hold.id,
                              Booking.status == BookingStatus.PENDING_PAYMENT))
    if booking is not None:
        booking.status = BookingStatus.EXPIRED
        backoffice.record(uow, booking, BookingStatus.EXPIRED)
        await redemptions.give_back(uow, booking.id)
        metrics.booking_settled(uow, "expired", booking.created_at)
        uow.emit(BookingExpired(booking_id=booking.id, user_id=booking.user_id,
                                show_id=booking.show_id, amount=booking.total_amount,
                                currency=booking.currency,
                                show=await notice(uow.session, show)))
    uow.emit(HoldExpired(hold_id=hold.id, show_id=hold.show_id, seat_ids=freed,
                         general_admission=places))


async def release_expired(service: Service, limit: int = 100, *, now: datetime | None = None,
                          show_id: str | None = None, user_id: str | None = None) -> int:
    """Release up to ``limit`` lapsed holds (of one show, one customer, when given), expire
    their pending bookings, tell watchers; how many it released.

    ``now`` (default: the current time) is when the sweep runs; tests pass a later time.
    """
    now = now or utcnow()
    query = (select(Hold.id).where(Hold.status.in_(SWEPT), Hold.expires_at <= now)
             .order_by(Hold.expires_at).limit(limit))
    if show_id is not None:
        query = query.where(Hold.show_id == show_id)
    if user_id is not None:
        query = query.where(Hold.user_id == user_id)
    async with service.db.reader() as session:
        lapsed = list(await session.scalars(query))
    released = 0
    for hold_id in lapsed:
        released += await retrying(functools.partial(_release, service, hold_id))
    return released


async def _release(service: Service, hold_id: str) -> int:
    async with service.uow() as uow:
        hold = await uow.session.get(Hold, hold_id, with_for_update=True)
        if hold is None or hold.status not in SWEPT:
            return 0  # someone else settled it
        show = await show_info(service, hold.show_id, uow.session)
        if show is None:  # a hold's show is never deleted
            return 0
        await expire(service, uow, show, hold)
        await uow.commit()
    return 1


async def sweeper(service: Service) -> None:
    """Background job: release lapsed holds every ``sweep_interval_seconds`` (and remove
    settled show changes nobody took back)."""
    async def step() -> None:
        while await release_expired(service) > 0:
            pass
        await forget_stale_changes(service)

    await repeat(step, every=service.settings.sweep_interval_seconds, what="hold sweeper")
