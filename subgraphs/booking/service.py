"""Booking use cases: hold seats, release or extend a hold, release expired holds, check out,
read bookings. Standing places (general admission) are held in :mod:`.admission`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.booking.inventory import (
    SeatChange,
    announce_after_commit,
    bump_version,
    enforce_customer_limit,
    is_free,
)
from subgraphs.booking.models import (
    AVAILABLE,
    HELD,
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
from subgraphs.kernel.auth import Caller, require_caller, require_owner_or_admin
from subgraphs.kernel.db import all_each, one_each, utcnow
from subgraphs.kernel.errors import BadUserInput, Conflict, NotFound
from subgraphs.kernel.idempotency import clean_key, create_once
from subgraphs.kernel.uow import UnitOfWork

log = logging.getLogger("ticketflow.booking")


@dataclass(frozen=True)
class SeatsTaken:
    """The hold failed: these seats are held or sold by someone else."""

    seat_ids: list[str]


@dataclass(frozen=True)
class HoldLapsed:
    """The hold expired (or was released) before checkout."""

    hold_id: str


class _Abort(Exception):
    """Rolls a unit of work back on an expected outcome."""


class _Unchanged(Exception):
    """Rolls a unit of work back when there was nothing to change."""


def validate_seat_ids(seat_ids: Sequence[str], limit: int) -> list[str]:
    """Distinct seat ids, 1 to ``limit`` of them, or ``BAD_USER_INPUT``."""
    if not seat_ids:
        raise BadUserInput("Choose at least one seat.", field="seatIds")
    if len(set(seat_ids)) != len(seat_ids):
        raise BadUserInput("A seat appears twice.", field="seatIds")
    if len(seat_ids) > limit:
        raise BadUserInput(f"Hold at most {limit} seats at once.", field="seatIds")
    return list(seat_ids)


async def hold_seats(
    service: Service, caller: Caller | None, show_id: str, seat_ids: Sequence[str],
    idempotency_key: str | None = None,
) -> Hold | SeatsTaken:
    """Hold all of ``seat_ids`` for the caller, or none of them.

    The database decides: one conditional UPDATE takes exactly the seats that are free
    (available, or held past expiry). If it changed fewer rows than asked, another
    holder won at least one seat and the whole transaction rolls back.
    """
    who = require_caller(caller)
    wanted = validate_seat_ids(seat_ids, service.settings.max_seats_per_hold)
    now = utcnow()
    expires = now + timedelta(seconds=service.settings.hold_ttl_seconds)

    async def create(uow: UnitOfWork) -> tuple[Hold, str]:
        show = await bump_version(uow.session, show_id)
        if show is None:
            raise NotFound("No show with this id is on sale.", field="showId")
        if show.status != "ON_SALE":
            raise BadUserInput("This show is not on sale.", field="showId")
        known = set(await uow.session.scalars(
            select(ShowSeat.seat_id).where(ShowSeat.show_id == show_id,
                                           ShowSeat.seat_id.in_(wanted))))
        unknown = [s for s in wanted if s not in known]
        if unknown:
            raise BadUserInput("These seats are not part of this show.", field="seatIds",
                               seatIds=unknown)
        hold = Hold(show_id=show_id, user_id=who.user_id, expires_at=expires)
        uow.session.add(hold)
        await uow.session.flush()
        result = await uow.session.execute(
            update(ShowSeat)
            .where(ShowSeat.show_id == show_id, ShowSeat.seat_id.in_(wanted), is_free(now))
            .values(state=HELD, hold_id=hold.id, hold_expires_at=expires)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != len(wanted):  # type: ignore[attr-defined]
            raise _Abort
        # After the seats: a request for seats someone else holds is SeatsUnavailable.
        await enforce_customer_limit(uow.session, service.settings.max_seats_per_customer,
                                     show_id, who.user_id, now, 0, "seatIds")
        uow.emit("SeatsHeld", {"hold_id": hold.id, "show_id": show_id,
                               "user_id": who.user_id, "seat_ids": wanted,
                               "expires_at": expires.isoformat()})
        await announce_after_commit(service, uow, show_id, show.version,
                                    [SeatChange(s, HELD) for s in wanted])
        return hold, hold.id

    try:
        return await create_once(
            service, service.idempotency, user_id=who.user_id,
            key=clean_key(idempotency_key), operation="holdSeats",
            request={"show_id": show_id, "seat_ids": sorted(wanted)}, create=create,
            load=lambda id: service.get(Hold, id))
    except _Abort:
        return SeatsTaken(await _taken(service, show_id, wanted))


async def _taken(service: Service, show_id: str, seat_ids: Sequence[str]) -> list[str]:
    async with service.db.session() as session:
        free = set(await session.scalars(
            select(ShowSeat.seat_id).where(ShowSeat.show_id == show_id,
                                           ShowSeat.seat_id.in_(seat_ids), is_free(utcnow()))))
    return [s for s in seat_ids if s not in free]


async def release_expired(service: Service, limit: int = 100, *,
                          now: datetime | None = None) -> int:
    """Release up to ``limit`` lapsed holds, expire their pending bookings, tell watchers.

    ``now`` (default: the current time) is when the sweep runs; tests pass a later time.
    """
    now = now or utcnow()
    async with service.db.session() as session:
        lapsed = list(await session.scalars(
            select(Hold).where(Hold.status.in_(("ACTIVE", "CHECKED_OUT")), Hold.expires_at <= now)
            .order_by(Hold.expires_at).limit(limit)))
    released = 0
    for hold in lapsed:
        try:
            await _release(service, hold)
            released += 1
        except _Abort:
            continue
    return released


async def _release(service: Service, hold: Hold) -> None:
    async with service.uow() as uow:
        show, current = await _lock_hold(uow, hold)
        if current.status not in ("ACTIVE", "CHECKED_OUT"):
            raise _Abort  # someone else settled it; roll the version back
        freed = await _free_seats(uow.session, hold.id)
        current.status = "EXPIRED"
        booking = await uow.session.scalar(
            select(Booking).where(Booking.hold_id == hold.id, Booking.status == "PENDING_PAYMENT"))
        if booking is not None:
            booking.status = "EXPIRED"
            uow.emit("BookingExpired", {"booking_id": booking.id, "user_id": booking.user_id,
                                        "show_id": booking.show_id})
        uow.emit("HoldExpired", {"hold_id": hold.id, "show_id": hold.show_id, "seat_ids": freed,
                                 "general_admission": await _places(uow.session, hold.id)})
        await announce_after_commit(service, uow, hold.show_id, show.version,
                                    [SeatChange(s, AVAILABLE) for s in freed])


async def _free_seats(session: AsyncSession, hold_id: str) -> list[str]:
    """Make the seats this hold still holds available again; their ids, in map order."""
    freed = list(await session.scalars(
        select(ShowSeat.seat_id).where(ShowSeat.hold_id == hold_id, ShowSeat.state == HELD)
        .order_by(ShowSeat.position)))
    await session.execute(
        update(ShowSeat).where(ShowSeat.hold_id == hold_id, ShowSeat.state == HELD)
        .values(state=AVAILABLE, hold_id=None, hold_expires_at=None)
        .execution_options(synchronize_session=False))
    return freed


async def _places(session: AsyncSession, hold_id: str) -> list[dict[str, Any]]:
    """A hold's standing places, as events describe them."""
    lines = await session.scalars(select(HoldAdmission).where(HoldAdmission.hold_id == hold_id)
                                  .order_by(HoldAdmission.section_id))
    return [{"section_id": a.section_id, "quantity": a.quantity} for a in lines]


def _effective_status(hold: Hold, now: datetime) -> str:
    return "EXPIRED" if hold.status == "ACTIVE" and hold.expires_at <= now else hold.status


async def _owned_hold(service: Service, caller: Caller | None, hold_id: str) -> Hold:
    who = require_caller(caller)
    hold = await service.get(Hold, hold_id)
    if hold is None:
        raise NotFound("No hold with this id.", field="holdId")
    require_owner_or_admin(who, hold.user_id)
    return hold


async def _lock_hold(uow: UnitOfWork, hold: Hold) -> tuple[BookableShow, Hold]:
    # The show's lock first, as every change of the show's seats takes it.
    show = await bump_version(uow.session, hold.show_id)
    current = await uow.session.get(Hold, hold.id, with_for_update=True)
    assert show is not None and current is not None  # neither is ever deleted
    return show, current


async def release_hold(service: Service, caller: Caller | None, hold_id: str) -> Hold:
    """Give an active hold's seats and places back (its owner or an admin).

    A hold that is no longer active (released, expired or lapsed, checked out) is a
    ``CONFLICT`` whose ``status`` extension says what it is.
    """
    hold = await _owned_hold(service, caller, hold_id)
    async with service.uow() as uow:
        show, current = await _lock_hold(uow, hold)
        status = _effective_status(current, utcnow())
        if status != "ACTIVE":
            raise Conflict(f"Only an active hold can be released; this one is {status}.",
                           field="holdId", status=status)
        freed = await _free_seats(uow.session, hold_id)
        current.status = "RELEASED"
        uow.emit("HoldReleased", {"hold_id": hold_id, "show_id": hold.show_id,
                                  "user_id": hold.user_id, "seat_ids": freed,
                                  "general_admission": await _places(uow.session, hold_id)})
        await announce_after_commit(service, uow, hold.show_id, show.version,
                                    [SeatChange(s, AVAILABLE) for s in freed])
    return current


async def extend_hold(service: Service, caller: Caller | None,
                      hold_id: str) -> Hold | HoldLapsed:
    """Push an active hold's expiry to now + the hold TTL (its owner or an admin).

    Never past its creation + ``hold_max_seconds`` and never earlier than it was: a hold
    at its maximum comes back unchanged. A lapsed hold is :class:`HoldLapsed`; a released
    or checked-out one is a ``CONFLICT``.
    """
    hold = await _owned_hold(service, caller, hold_id)
    settings = service.settings
    try:
        async with service.uow() as uow:
            show, current = await _lock_hold(uow, hold)
            now = utcnow()
            status = _effective_status(current, now)
            if status == "EXPIRED":
                raise _Abort
            if status != "ACTIVE":
                raise Conflict(f"Only an active hold can be extended; this one is {status}.",
                               field="holdId", status=status)
            until = min(now + timedelta(seconds=settings.hold_ttl_seconds),
                        current.created_at + timedelta(seconds=settings.hold_max_seconds))
            if until <= current.expires_at:
                raise _Unchanged
            current.expires_at = until
            await uow.session.execute(
                update(ShowSeat).where(ShowSeat.hold_id == hold_id, ShowSeat.state == HELD)
                .values(hold_expires_at=until).execution_options(synchronize_session=False))
            uow.emit("HoldExtended", {"hold_id": hold_id, "show_id": hold.show_id,
                                      "user_id": hold.user_id, "expires_at": until.isoformat()})
            # No seat changes state, but the version moved: watchers must see every version.
            await announce_after_commit(service, uow, hold.show_id, show.version, [])
    except _Abort:
        return HoldLapsed(hold_id)
    except _Unchanged:
        return await service.get(Hold, hold_id)  # type: ignore[no-any-return]
    return current


async def sweeper(service: Service) -> None:
    """Background job: release lapsed holds every ``sweep_interval_seconds``."""
    while True:
        try:
            while await release_expired(service) > 0:
                pass
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("hold sweeper failed; retrying")
        await asyncio.sleep(service.settings.sweep_interval_seconds)


async def checkout(
    service: Service, caller: Caller | None, hold_id: str, idempotency_key: str
) -> Booking | HoldLapsed:
    """Turn the caller's hold into a booking awaiting payment; a retried key returns it again."""
    who = require_caller(caller)
    key = clean_key(idempotency_key)

    async def create(uow: UnitOfWork) -> tuple[Booking | HoldLapsed, str | None]:
        hold = await uow.session.get(Hold, hold_id, with_for_update=True)
        if hold is None:
            raise NotFound("No hold with this id.", field="holdId")
        require_owner_or_admin(who, hold.user_id)
        if hold.status != "ACTIVE" or hold.expires_at <= utcnow():
            return HoldLapsed(hold_id), None
        show = await uow.session.get(BookableShow, hold.show_id)
        assert show is not None
        seats = list(await uow.session.scalars(
            select(ShowSeat).where(ShowSeat.hold_id == hold.id, ShowSeat.state == HELD)
            .order_by(ShowSeat.position)))
        places = (await uow.session.execute(
            select(HoldAdmission, AdmissionSection)
            .join(AdmissionSection, and_(AdmissionSection.show_id == HoldAdmission.show_id,
                                         AdmissionSection.section_id == HoldAdmission.section_id))
            .where(HoldAdmission.hold_id == hold.id).order_by(AdmissionSection.position))).all()
        booking = Booking(user_id=hold.user_id, show_id=hold.show_id, hold_id=hold.id,
                          total_amount=sum(s.price_amount for s in seats)
                          + sum(a.quantity * g.price_amount for a, g in places),
                          currency=show.currency)
        uow.session.add(booking)
        await uow.session.flush()
        uow.session.add_all(BookingLine(booking_id=booking.id, seat_id=s.seat_id,
                                        label=s.label, price_amount=s.price_amount)
                            for s in seats)
        uow.session.add_all(BookingAdmission(booking_id=booking.id, section_id=g.section_id,
                                             name=g.name, quantity=a.quantity,
                                             price_amount=g.price_amount)
                            for a, g in places)
        hold.status = "CHECKED_OUT"
        uow.emit("BookingCreated", {
            "booking_id": booking.id, "user_id": booking.user_id,
            "show_id": booking.show_id, "organizer_id": show.organizer_id,
            "amount": booking.total_amount, "currency": booking.currency,
            "seat_ids": [s.seat_id for s in seats],
            "general_admission": [{"section_id": a.section_id, "quantity": a.quantity}
                                  for a, _ in places],
            "expires_at": hold.expires_at.isoformat()})
        return booking, booking.id

    return await create_once(
        service, service.idempotency, user_id=who.user_id, key=key, operation="checkout",
        request={"hold_id": hold_id}, create=create, load=lambda id: service.get(Booking, id))


async def bookings_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[Booking | None]:
    """Bookings in the order of ``ids``, in one query."""
    return await one_each(session, Booking.id, ids)


async def bookings_by_users(session: AsyncSession, user_ids: Sequence[str]) -> list[list[Booking]]:
    """Each user's bookings, newest first, for many users in one query."""
    return await all_each(session, Booking.user_id, user_ids, Booking.created_at.desc(),
                          Booking.id)


async def lines_by_bookings(session: AsyncSession,
                            booking_ids: Sequence[str]) -> list[list[BookingLine]]:
    """Each booking's line items, for many bookings in one query."""
    return await all_each(session, BookingLine.booking_id, booking_ids, BookingLine.label)


async def hold_seat_ids(session: AsyncSession, hold_ids: Sequence[str]) -> list[list[str]]:
    """The seats each hold still holds, in one query."""
    rows = await session.execute(select(ShowSeat.hold_id, ShowSeat.seat_id).where(
        ShowSeat.hold_id.in_(set(hold_ids))).order_by(ShowSeat.position))
    grouped: dict[str, list[str]] = {h: [] for h in hold_ids}
    for hid, seat_id in rows:
        grouped[str(hid)].append(seat_id)
    return [grouped[h] for h in hold_ids]


async def admission_by_bookings(session: AsyncSession,
                                booking_ids: Sequence[str]) -> list[list[BookingAdmission]]:
    """Each booking's standing places, for many bookings in one query."""
    return await all_each(session, BookingAdmission.booking_id, booking_ids,
                          BookingAdmission.name)


async def admission_by_holds(session: AsyncSession,
                             hold_ids: Sequence[str]) -> list[list[HoldAdmission]]:
    """Each hold's standing places, for many holds in one query."""
    return await all_each(session, HoldAdmission.hold_id, hold_ids, HoldAdmission.section_id)
