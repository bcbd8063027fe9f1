"""Booking use cases: hold seats, release or extend a hold, release expired holds, check out,
read bookings. Standing places (general admission) are held in :mod:`.admission`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.booking.admission import NotEnoughPlaces, SoldOutError, validate_quantity
from subgraphs.booking.inventory import (
    Segment,
    admission_held,
    announce_after_commit,
    apply_show_published,
    bump_version,
    enforce_customer_limit,
    is_free,
    legs_of,
    lock_show,
    take_seats,
)
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
from subgraphs.booking.placement import Place, best_available
from subgraphs.kernel.app import Service, repeat
from subgraphs.kernel.auth import Caller, require_caller, require_owner_or_admin
from subgraphs.kernel.db import all_each, one_each, utcnow
from subgraphs.kernel.errors import BadUserInput, Conflict, NotFound
from subgraphs.kernel.events import Event
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


class _SeatsTaken(Exception):
    """Rolls a hold back: some of its seats are not free on some of these legs."""

    def __init__(self, legs: range) -> None:
        super().__init__(legs)
        self.legs = legs


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


async def _take(service: Service, uow: UnitOfWork, show: BookableShow, user_id: str,
                seat_ids: list[str], legs: range, expires: datetime, now: datetime,
                field: str) -> Hold | None:
    """A new hold of these seats on these legs, or ``None`` if any of them is not free.

    Under the show's lock: the hold statement, then the per-customer limit (so a request
    for seats someone else holds is SeatsUnavailable, not over the limit), the event and
    the live message.
    """
    hold = Hold(show_id=show.id, user_id=user_id, expires_at=expires, leg_from=legs.start,
                leg_to=legs.stop)
    uow.session.add(hold)
    await uow.session.flush()
    result = await uow.session.execute(take_seats(show.id, seat_ids, legs, hold.id, expires, now))
    if result.rowcount != len(seat_ids) * len(legs):  # type: ignore[attr-defined]
        return None
    await enforce_customer_limit(uow.session, service.settings.max_seats_per_customer,
                                 show.id, user_id, now, 0, field)
    uow.emit("SeatsHeld", {"hold_id": hold.id, "show_id": show.id, "user_id": user_id,
                           "seat_ids": seat_ids, "legs": [legs.start, legs.stop],
                           "expires_at": expires.isoformat()})
    await announce_after_commit(service, uow, show, seat_ids)
    return hold


async def _show_on_sale(uow: UnitOfWork, show_id: str) -> BookableShow:
    """Lock the show (advancing its version) if it is on sale, else the matching error."""
    show = await bump_version(uow.session, show_id)
    if show is None:
        raise NotFound("No show with this id is on sale.", field="showId")
    if show.status != "ON_SALE":
        raise BadUserInput("This show is not on sale.", field="showId")
    return show


async def hold_seats(
    service: Service, caller: Caller | None, show_id: str, seat_ids: Sequence[str],
    idempotency_key: str | None = None, segment: Segment | None = None,
) -> Hold | SeatsTaken:
    """Hold all of ``seat_ids`` for the caller (on ``segment``'s legs), or none of them.

    The database decides: one conditional UPDATE takes exactly the seat rows (a row per
    seat and leg) that are free (available, or held past expiry). If it changed fewer rows
    than asked, another holder won at least one and the whole transaction rolls back.
    """
    who = require_caller(caller)
    wanted = validate_seat_ids(seat_ids, service.settings.max_seats_per_hold)
    now = utcnow()
    expires = now + timedelta(seconds=service.settings.hold_ttl_seconds)

    async def create(uow: UnitOfWork) -> tuple[Hold, str]:
        show = await _show_on_sale(uow, show_id)
        legs = legs_of(show, segment)
        known = set(await uow.session.scalars(
            select(ShowSeat.seat_id).where(ShowSeat.show_id == show_id, ShowSeat.leg == 0,
                                           ShowSeat.seat_id.in_(wanted))))
        unknown = [s for s in wanted if s not in known]
        if unknown:
            raise BadUserInput("These seats are not part of this show.", field="seatIds",
                               seatIds=unknown)
        hold = await _take(service, uow, show, who.user_id, wanted, legs, expires, now,
                           "seatIds")
        if hold is None:
            raise _SeatsTaken(legs)
        return hold, hold.id

    try:
        return await create_once(
            service, service.idempotency, user_id=who.user_id,
            key=clean_key(idempotency_key), operation="holdSeats",
            request={"show_id": show_id, "seat_ids": sorted(wanted),
                     **({"segment": list(segment)} if segment else {})},
            create=create, load=lambda id: service.get(Hold, id))
    except _SeatsTaken as taken:
        return SeatsTaken(await _taken(service, show_id, wanted, taken.legs))


async def _taken(service: Service, show_id: str, seat_ids: Sequence[str],
                 legs: range) -> list[str]:
    """Which of these seats are not free on every one of ``legs``."""
    async with service.db.session() as session:
        free = list(await session.scalars(
            select(ShowSeat.seat_id).where(ShowSeat.show_id == show_id,
                                           ShowSeat.seat_id.in_(seat_ids),
                                           ShowSeat.leg >= legs.start, ShowSeat.leg < legs.stop,
                                           is_free(utcnow()))))
    return [s for s in seat_ids if free.count(s) < len(legs)]


async def free_places(session: AsyncSession, show: BookableShow, legs: range,
                      category: str | None, now: datetime) -> list[Place]:
    """Every seat of the show (of ``category``), free or not on ``legs``, in seat-map order."""
    query = (select(ShowSeat.seat_id, ShowSeat.row, ShowSeat.col, ShowSeat.x, ShowSeat.y,
                    func.min(case((is_free(now), 1), else_=0)))
             .where(ShowSeat.show_id == show.id, ShowSeat.leg >= legs.start,
                    ShowSeat.leg < legs.stop)
             .group_by(ShowSeat.seat_id, ShowSeat.row, ShowSeat.col, ShowSeat.x, ShowSeat.y,
                       ShowSeat.position)
             .order_by(ShowSeat.position))
    if category is not None:
        query = query.where(ShowSeat.category == category)
    return [Place(seat_id, row, col, x, y, bool(free))
            for seat_id, row, col, x, y, free in await session.execute(query)]


async def hold_best_available(
    service: Service, caller: Caller | None, show_id: str, quantity: int,
    category: str | None = None, segment: Segment | None = None,
    idempotency_key: str | None = None,
) -> Hold | NotEnoughPlaces:
    """Hold the ``quantity`` best free seats (see :mod:`.placement` for the rule), or none.

    The seats are chosen and taken under the show's lock, so the choice is still true when
    the hold statement runs; fewer free seats than that is :class:`NotEnoughPlaces`.
    """
    who = require_caller(caller)
    validate_quantity(quantity, service.settings.max_seats_per_hold)
    wanted_category = category.strip().upper() if category is not None else None
    now = utcnow()
    expires = now + timedelta(seconds=service.settings.hold_ttl_seconds)

    async def create(uow: UnitOfWork) -> tuple[Hold, str]:
        show = await _show_on_sale(uow, show_id)
        legs = legs_of(show, segment)
        places = await free_places(uow.session, show, legs, wanted_category, now)
        if wanted_category is not None and not places:
            raise BadUserInput("This show has no seats of this category.", field="category")
        chosen = best_available(places, quantity, show.layout)
        if chosen is None:
            raise SoldOutError(sum(p.free for p in places))
        hold = await _take(service, uow, show, who.user_id, chosen, legs, expires, now,
                           "quantity")
        # The seats were read free under the show's lock, which every change takes first.
        assert hold is not None
        return hold, hold.id

    try:
        return await create_once(
            service, service.idempotency, user_id=who.user_id,
            key=clean_key(idempotency_key), operation="holdBestAvailable",
            request={"show_id": show_id, "quantity": quantity, "category": wanted_category,
                     "segment": list(segment) if segment else None},
            create=create, load=lambda id: service.get(Hold, id))
    except SoldOutError as sold_out:
        return NotEnoughPlaces(sold_out.available)


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
        await _expire(service, uow, show, current)


async def _expire(service: Service, uow: UnitOfWork, show: BookableShow, hold: Hold) -> None:
    """A lapsed hold (under the show's lock, version advanced): its seats and places go back
    on sale and its pending booking, if any, expires."""
    freed = await _free_seats(uow.session, hold.id)
    hold.status = "EXPIRED"
    booking = await uow.session.scalar(
        select(Booking).where(Booking.hold_id == hold.id, Booking.status == "PENDING_PAYMENT"))
    if booking is not None:
        booking.status = "EXPIRED"
        uow.emit("BookingExpired", {"booking_id": booking.id, "user_id": booking.user_id,
                                    "show_id": booking.show_id,
                                    "amount": booking.total_amount, "currency": booking.currency,
                                    "show": await _show_of(uow.session, booking.show_id)})
    uow.emit("HoldExpired", {"hold_id": hold.id, "show_id": hold.show_id, "seat_ids": freed,
                             "general_admission": await _places(uow.session, hold.id)})
    await announce_after_commit(service, uow, show, freed)


async def _free_seats(session: AsyncSession, hold_id: str, state: str = HELD) -> list[str]:
    """Make the seats this hold still holds (or sold, ``state=SOLD``) available again, on all
    its legs; their ids, in map order."""
    freed = list(dict.fromkeys(await session.scalars(
        select(ShowSeat.seat_id).where(ShowSeat.hold_id == hold_id, ShowSeat.state == state)
        .order_by(ShowSeat.position))))
    await session.execute(
        update(ShowSeat).where(ShowSeat.hold_id == hold_id, ShowSeat.state == state)
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
        await announce_after_commit(service, uow, show, freed)
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
            await announce_after_commit(service, uow, show, [])
    except _Abort:
        return HoldLapsed(hold_id)
    except _Unchanged:
        return await service.get(Hold, hold_id)  # type: ignore[no-any-return]
    return current


async def sweeper(service: Service) -> None:
    """Background job: release lapsed holds every ``sweep_interval_seconds``."""
    async def step() -> None:
        while await release_expired(service) > 0:
            pass

    await repeat(step, every=service.settings.sweep_interval_seconds, what="hold sweeper")


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
        price = (await prices_of_holds(uow.session, [hold.id]))[0]
        seats, places = price.seats, price.places
        booking = Booking(user_id=hold.user_id, show_id=hold.show_id, hold_id=hold.id,
                          total_amount=price.total, currency=show.currency)
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
            "legs": [hold.leg_from, hold.leg_to],
            "expires_at": hold.expires_at.isoformat()})
        return booking, booking.id

    return await create_once(
        service, service.idempotency, user_id=who.user_id, key=key, operation="checkout",
        request={"hold_id": hold_id}, create=create, load=lambda id: service.get(Booking, id))


def _booking_event(booking: Booking, **extra: Any) -> dict[str, Any]:
    return {"booking_id": booking.id, "user_id": booking.user_id, "show_id": booking.show_id,
            "amount": booking.total_amount, "currency": booking.currency, **extra}


async def _show_of(session: AsyncSession, show_id: str) -> dict[str, Any]:
    """What a notice about a booking names (notification sends it without asking anyone)."""
    show = await session.get(BookableShow, show_id)
    if show is None:
        return {"title": "", "starts_at": None}
    return {"title": show.title, "starts_at": show.starts_at.isoformat()}


async def _tickets(session: AsyncSession, booking_id: str) -> list[dict[str, Any]]:
    """One entry per seat (``id`` the seat's) and per standing place (``section:n``)."""
    seats = [{"id": line.seat_id, "label": line.label} for line in await session.scalars(
        select(BookingLine).where(BookingLine.booking_id == booking_id)
        .order_by(BookingLine.label))]
    places = [{"id": f"{a.section_id}:{n}", "label": f"{a.name} #{n}"}
              for a in await session.scalars(select(BookingAdmission).where(
                  BookingAdmission.booking_id == booking_id).order_by(BookingAdmission.name))
              for n in range(1, a.quantity + 1)]
    return seats + places


async def _sold_places(uow: UnitOfWork, hold_id: str, sign: int) -> None:
    """Move a hold's standing places into (``sign=1``) or out of (``-1``) the sections' sold."""
    for line in list(await uow.session.scalars(
            select(HoldAdmission).where(HoldAdmission.hold_id == hold_id))):
        section = await uow.session.get(AdmissionSection, (line.show_id, line.section_id))
        assert section is not None
        section.sold += sign * line.quantity


async def _room_for(uow: UnitOfWork, hold: Hold, now: datetime) -> bool:
    """Whether a lapsed hold's seats and places are all still there to sell it."""
    seats = await uow.session.scalar(
        select(func.count()).select_from(ShowSeat).where(ShowSeat.hold_id == hold.id,
                                                         ShowSeat.state == HELD))
    wanted = await uow.session.scalar(
        select(func.count()).select_from(BookingLine).join(
            Booking, Booking.id == BookingLine.booking_id).where(Booking.hold_id == hold.id))
    if seats != (wanted or 0) * (hold.leg_to - hold.leg_from):
        return False
    held = await admission_held(uow.session, [hold.show_id], now)
    for line in await uow.session.scalars(
            select(HoldAdmission).where(HoldAdmission.hold_id == hold.id)):
        section = await uow.session.get(AdmissionSection, (line.show_id, line.section_id))
        assert section is not None
        left = section.capacity - section.sold - held.get((line.show_id, line.section_id), 0)
        if line.quantity > left:
            return False
    return True


async def _honourable(uow: UnitOfWork, booking: Booking, hold: Hold, paid_at: datetime) -> bool:
    """Whether a payment can still buy this booking: it is pending, and its hold is live
    or lapsed after the payment was made with every seat and place still there."""
    if booking.status != "PENDING_PAYMENT" or hold.status != "CHECKED_OUT":
        return False
    now = utcnow()
    if hold.expires_at > now:
        return True
    return paid_at <= hold.expires_at and await _room_for(uow, hold, now)


async def confirm_booking(service: Service, uow: UnitOfWork, booking_id: str, payment_id: str,
                          paid_at: datetime) -> None:
    """Payment succeeded: the booking's seats and places are sold (``BookingConfirmed``).

    A payment made before the hold lapsed confirms even if the sweeper released nothing
    yet, as long as every seat and place is still there. Otherwise (the booking expired,
    was cancelled, or its seats went to someone else) the booking is not confirmed and
    ``BookingNotConfirmed`` asks payment to give the money back.
    """
    # Read the keys only: the rows are loaded below, locked, in the usual order.
    found = (await uow.session.execute(select(Booking.show_id, Booking.hold_id)
                                       .where(Booking.id == booking_id))).first()
    if found is None:
        log.warning("payment %s succeeded for unknown booking %s", payment_id, booking_id)
        return
    # The show's lock first, as always; its version moves only if seats or places change.
    show = await lock_show(uow.session, found.show_id)
    booking = await uow.session.get(Booking, booking_id, with_for_update=True)
    hold = await uow.session.get(Hold, found.hold_id, with_for_update=True)
    assert show is not None and booking is not None and hold is not None
    if booking.status == "CONFIRMED" and booking.payment_id == payment_id:
        return
    if not await _honourable(uow, booking, hold, paid_at):
        if booking.status == "PENDING_PAYMENT":  # lapsed and resold: it expires now
            show.version += 1
            await _expire(service, uow, show, hold)
        uow.emit("BookingNotConfirmed", _booking_event(booking, payment_id=payment_id,
                                                       status=booking.status))
        return
    show.version += 1
    sold = list(dict.fromkeys(await uow.session.scalars(
        select(ShowSeat.seat_id).where(ShowSeat.hold_id == hold.id, ShowSeat.state == HELD)
        .order_by(ShowSeat.position))))
    await uow.session.execute(
        update(ShowSeat).where(ShowSeat.hold_id == hold.id, ShowSeat.state == HELD)
        .values(state=SOLD, hold_expires_at=None).execution_options(synchronize_session=False))
    await _sold_places(uow, hold.id, 1)
    hold.status = "BOOKED"
    booking.payment_id = payment_id
    booking.status = "CONFIRMED"
    uow.emit("BookingConfirmed", _booking_event(
        booking, payment_id=payment_id, seat_ids=sold,
        show=await _show_of(uow.session, booking.show_id),
        tickets=await _tickets(uow.session, booking.id)))
    await announce_after_commit(service, uow, show, sold)


CANCELLABLE = ("PENDING_PAYMENT", "CONFIRMED")


async def _cancel(uow: UnitOfWork, booking: Booking, reason: str) -> list[str]:
    """Cancel a pending or confirmed booking under the show's lock; the seats it frees."""
    hold = await uow.session.get(Hold, booking.hold_id, with_for_update=True)
    assert hold is not None
    was = booking.status
    if was == "CONFIRMED":
        freed = await _free_seats(uow.session, hold.id, SOLD)
        await _sold_places(uow, hold.id, -1)
    else:
        freed = await _free_seats(uow.session, hold.id)
    hold.status = "RELEASED"
    booking.status = "CANCELLED"
    # Payment refunds what was captured (or cancels a payment still open).
    uow.emit("BookingCancelled", _booking_event(booking, previous_status=was, reason=reason,
                                                payment_id=booking.payment_id, seat_ids=freed,
                                                show=await _show_of(uow.session,
                                                                    booking.show_id)))
    return freed


async def cancel_booking(service: Service, caller: Caller | None, booking_id: str) -> Booking:
    """Cancel a booking (its owner until the show starts, or an admin at any time).

    Its seats and places go back on sale and ``BookingCancelled`` tells payment to refund.
    A booking that is already expired or cancelled is a ``CONFLICT``.
    """
    who = require_caller(caller)
    found = await service.get(Booking, booking_id)
    if found is None:
        raise NotFound("No booking with this id.", field="bookingId")
    require_owner_or_admin(who, found.user_id)
    async with service.uow() as uow:
        show = await bump_version(uow.session, found.show_id)
        booking = await uow.session.get(Booking, booking_id, with_for_update=True)
        assert show is not None and booking is not None
        if booking.status not in CANCELLABLE:
            raise Conflict(f"A {booking.status} booking cannot be cancelled.",
                           field="bookingId", status=booking.status)
        if show.starts_at <= utcnow() and not who.is_admin:
            raise Conflict("The show has started; ask the organizer.", field="bookingId",
                           status=booking.status)
        freed = await _cancel(uow, booking, "CUSTOMER")
        await announce_after_commit(service, uow, show, freed)
    return booking


async def cancel_show(service: Service, uow: UnitOfWork, show_id: str) -> None:
    """The organizer cancelled the show: stop selling, release open holds, cancel bookings.

    Every pending or confirmed booking is cancelled (payment refunds it) and every active
    hold released, in one transaction under the show's lock.
    """
    show = await bump_version(uow.session, show_id)
    if show is None or show.status == "CANCELLED":
        return
    show.status = "CANCELLED"
    freed: list[str] = []
    for booking in list(await uow.session.scalars(
            select(Booking).where(Booking.show_id == show_id, Booking.status.in_(CANCELLABLE))
            .order_by(Booking.created_at).with_for_update())):
        freed += await _cancel(uow, booking, "SHOW_CANCELLED")
    for hold in list(await uow.session.scalars(
            select(Hold).where(Hold.show_id == show_id, Hold.status == "ACTIVE")
            .with_for_update())):
        seats = await _free_seats(uow.session, hold.id)
        freed += seats
        hold.status = "RELEASED"
        uow.emit("HoldReleased", {"hold_id": hold.id, "show_id": show_id,
                                  "user_id": hold.user_id, "reason": "SHOW_CANCELLED",
                                  "seat_ids": seats,
                                  "general_admission": await _places(uow.session, hold.id)})
    uow.emit("ShowSalesStopped", {"show_id": show_id})
    await announce_after_commit(service, uow, show, freed)


async def apply_venue_event(service: Service, uow: UnitOfWork, event: Event) -> None:
    """Venue's events: a published show gets inventory; a cancelled one stops selling."""
    if event.type == "ShowPublished":
        await apply_show_published(uow, event)
    elif event.type == "ShowCancelled":
        await cancel_show(service, uow, event.payload["show_id"])


async def refunded_in_full(service: Service, uow: UnitOfWork, booking_id: str) -> None:
    """The organizer (or an admin) gave all the money back: a confirmed booking is
    cancelled and its seats go back on sale. Any other booking is already over."""
    show_id = await uow.session.scalar(select(Booking.show_id).where(Booking.id == booking_id))
    if show_id is None:
        return
    show = await lock_show(uow.session, show_id)
    booking = await uow.session.get(Booking, booking_id, with_for_update=True)
    assert show is not None and booking is not None
    if booking.status != "CONFIRMED":
        return
    show.version += 1
    freed = await _cancel(uow, booking, "REFUNDED")
    await announce_after_commit(service, uow, show, freed)


async def apply_payment_event(service: Service, uow: UnitOfWork, event: Event) -> None:
    """Payment's events: a succeeded payment confirms its booking; a full refund cancels it.

    PaymentFailed changes nothing: the booking stays pending until its hold expires, and
    the customer can pay again.
    """
    p = event.payload
    if event.type == "PaymentSucceeded":
        paid_at = datetime.fromisoformat(p.get("succeeded_at") or event.occurred_at)
        await confirm_booking(service, uow, p["booking_id"], p["payment_id"], paid_at)
    elif event.type == "PaymentRefunded" and p.get("fully_refunded"):
        await refunded_in_full(service, uow, p["booking_id"])


async def shows_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[BookableShow | None]:
    """Shows in the order of ``ids``, in one query."""
    return await one_each(session, BookableShow.id, ids)


async def holds_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[Hold | None]:
    """Holds in the order of ``ids``, in one query."""
    return await one_each(session, Hold.id, ids)


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


@dataclass
class HoldPrice:
    """What a hold would cost at checkout: its seats, its standing places, the currency."""

    seats: list[ShowSeat]
    places: list[tuple[HoldAdmission, AdmissionSection]]
    currency: str

    @property
    def total(self) -> int:
        return (sum(s.price_amount for s in self.seats)
                + sum(a.quantity * g.price_amount for a, g in self.places))


async def prices_of_holds(session: AsyncSession, hold_ids: Sequence[str]) -> list[HoldPrice]:
    """Each hold's seats and places with their prices, in three queries for any number."""
    ids = set(hold_ids)
    seats = await session.scalars(
        select(ShowSeat)
        .join(Hold, and_(Hold.id == ShowSeat.hold_id, Hold.leg_from == ShowSeat.leg))
        .where(ShowSeat.hold_id.in_(ids)).order_by(ShowSeat.position))
    places = (await session.execute(
        select(HoldAdmission, AdmissionSection)
        .join(AdmissionSection, and_(AdmissionSection.show_id == HoldAdmission.show_id,
                                     AdmissionSection.section_id == HoldAdmission.section_id))
        .where(HoldAdmission.hold_id.in_(ids)).order_by(AdmissionSection.position))).all()
    currencies = dict((await session.execute(
        select(Hold.id, BookableShow.currency).join(BookableShow, BookableShow.id == Hold.show_id)
        .where(Hold.id.in_(ids)))).all())
    found = {h: HoldPrice([], [], currencies.get(h, "")) for h in hold_ids}
    for seat in seats:
        found[str(seat.hold_id)].seats.append(seat)
    for a, g in places:
        found[a.hold_id].places.append((a, g))
    return [found[h] for h in hold_ids]


async def admission_by_bookings(session: AsyncSession,
                                booking_ids: Sequence[str]) -> list[list[BookingAdmission]]:
    """Each booking's standing places, for many bookings in one query."""
    return await all_each(session, BookingAdmission.booking_id, booking_ids,
                          BookingAdmission.name)


async def admission_by_holds(session: AsyncSession,
                             hold_ids: Sequence[str]) -> list[list[HoldAdmission]]:
    """Each hold's standing places, for many holds in one query."""
    return await all_each(session, HoldAdmission.hold_id, hold_ids, HoldAdmission.section_id)
