"""Bookings: checking a hold out, confirming it when payment succeeds, cancelling it, and
what booking does with venue's and payment's events.

Rows are locked hold first, then its booking, in every path (the sweeper's too), so two
of them can never wait for each other; the show's row is locked last, by the ledger.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from subgraphs.booking import (
    backoffice,
    checkins,
    expiry,
    redemptions,
    sales_ledger,
    seats,
    sections,
    ticket_types,
    unlocking,
    waitlist_line,
)
from subgraphs.booking.holds import show_of
from subgraphs.booking.inventory import apply_show_published
from subgraphs.booking.ledger import Ledger
from subgraphs.booking.models import (
    CANCELLED,
    HELD,
    BookableShow,
    Booking,
    BookingAdmission,
    BookingLine,
    BookingStatus,
    Hold,
    HoldStatus,
    ShowQueue,
    ShowSeat,
)
from subgraphs.booking.outcomes import HoldExpired
from subgraphs.booking.promo_rules import Rejected
from subgraphs.booking.reads import prices_of_holds
from subgraphs.booking.shows import ShowInfo, forget, notice, notice_of, starts_at
from subgraphs.kernel import events, metrics
from subgraphs.kernel.auth import Caller, require_caller, require_owner_or_admin
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.errors import Conflict, NotFound
from subgraphs.kernel.events import CancelReason, Event
from subgraphs.kernel.idempotency import clean_key, create_once
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork, retrying

log = logging.getLogger("ticketflow.booking")


async def checkout(
    service: Service, caller: Caller | None, hold_id: str, idempotency_key: str
) -> Booking | HoldExpired | Rejected:
    """Turn the caller's hold into a booking awaiting payment; a retried key returns it again.

    A promo code applied to the hold is redeemed in the same transaction
    (:func:`.redemptions.redeem`); one that can no longer be used (used up, withdrawn, past
    its time, the customer's limit) is :class:`.Rejected` and books nothing."""
    who = require_caller(caller)
    key = clean_key(idempotency_key)

    async def create(uow: UnitOfWork) -> tuple[Booking | HoldExpired | Rejected, str | None]:
        hold = await uow.session.get(Hold, hold_id, with_for_update=True)
        if hold is None:
            raise NotFound("No hold with this id.", field="holdId")
        require_owner_or_admin(who, hold.user_id)
        if hold.status != HoldStatus.ACTIVE or hold.expires_at <= utcnow():
            return HoldExpired(hold_id), None
        show = await show_of(service, hold.show_id)
        price = (await prices_of_holds(uow.session, [hold.id]))[0]
        promo = await redemptions.redeem(uow, show, hold, price)
        if isinstance(promo, Rejected):
            return promo, None
        off = promo.discounts if promo else [0] * (len(price.seats) + len(price.places))
        booking = Booking(user_id=hold.user_id, show_id=hold.show_id, hold_id=hold.id,
                          total_amount=price.total - sum(off), discount_amount=sum(off),
                          currency=show.currency)
        uow.session.add(booking)
        await uow.session.flush()
        uow.session.add_all(BookingLine(booking_id=booking.id, seat_id=s.seat_id,
                                        label=s.label, price_amount=s.price_amount,
                                        discount_amount=d, **ticket_types.columns(s.ticket_type))
                            for s, d in zip(price.seats, off[:len(price.seats)], strict=True))
        uow.session.add_all(BookingAdmission(booking_id=booking.id, section_id=g.section_id,
                                             name=g.name, quantity=a.quantity,
                                             price_amount=price.unit_price(g), discount_amount=d,
                                             **ticket_types.columns(price.place_type(g)))
                            for (a, g), d in zip(price.places, off[len(price.seats):],
                                                 strict=True))
        if promo:
            redemptions.record(uow, promo, booking.id, hold.user_id)
        hold.status = HoldStatus.CHECKED_OUT
        await waitlist_line.claimed(uow.session, hold.id)
        uow.emit(events.BookingCreated(
            booking_id=booking.id, user_id=booking.user_id, show_id=booking.show_id,
            organizer_id=show.organizer_id, amount=booking.total_amount,
            currency=booking.currency, seat_ids=[s.seat_id for s in price.seats],
            general_admission=[{"section_id": a.section_id, "quantity": a.quantity}
                               for a, _ in price.places],
            legs=[hold.leg_from, hold.leg_to], expires_at=hold.expires_at.isoformat(),
            queued=await uow.session.get(ShowQueue, hold.show_id) is not None))
        return booking, booking.id

    return await create_once(
        service, service.idempotency, user_id=who.user_id, key=key, operation="checkout",
        request={"hold_id": hold_id}, create=create, load=lambda id: service.get(Booking, id))


def _about(booking: Booking) -> dict[str, Any]:
    """What every event about a booking says of it."""
    return {"booking_id": booking.id, "user_id": booking.user_id, "show_id": booking.show_id,
            "amount": booking.total_amount, "currency": booking.currency}


async def _tickets(uow: UnitOfWork, booking_id: str) -> list[dict[str, Any]]:
    """One entry per seat (``id`` the seat's) and per standing place (``section:n``)."""
    session = uow.session
    found = [{"id": line.seat_id, "label": line.label,
              **ticket_types.ticket_entry(line.ticket_type_name)}
             for line in await session.scalars(
        select(BookingLine).where(BookingLine.booking_id == booking_id)
        .order_by(BookingLine.label))]
    places = [{"id": f"{a.section_id}:{n}", "label": f"{a.name} #{n}",
               **ticket_types.ticket_entry(a.ticket_type_name)}
              for a in await session.scalars(select(BookingAdmission).where(
                  BookingAdmission.booking_id == booking_id).order_by(BookingAdmission.name))
              for n in range(1, a.quantity + 1)]
    return found + places


async def _room_for(uow: UnitOfWork, booking: Booking, hold: Hold) -> bool:
    """Whether a lapsed hold still has every seat and place its booking bought (its places
    are gone if another hold reclaimed them)."""
    held = await uow.session.scalar(
        select(func.count()).select_from(ShowSeat).where(ShowSeat.hold_id == hold.id,
                                                         ShowSeat.state == HELD))
    wanted = await uow.session.scalar(
        select(func.count()).select_from(BookingLine).where(BookingLine.booking_id == booking.id))
    return (held == (wanted or 0) * (hold.leg_to - hold.leg_from)
            and await sections.all_counted(uow.session, hold.id))


async def _honourable(uow: UnitOfWork, booking: Booking, hold: Hold, paid_at: datetime) -> bool:
    """Whether a payment can still buy this booking: it is pending, and its hold is live
    or lapsed after the payment was made with every seat and place still there."""
    if (booking.status != BookingStatus.PENDING_PAYMENT
            or hold.status != HoldStatus.CHECKED_OUT):
        return False
    if hold.expires_at > utcnow():
        return True
    return paid_at <= hold.expires_at and await _room_for(uow, booking, hold)


async def _lock(uow: UnitOfWork, booking_id: str) -> tuple[Booking, Hold] | None:
    """The booking and its hold, locked hold first (the order every path takes)."""
    hold_id = await uow.session.scalar(select(Booking.hold_id).where(Booking.id == booking_id))
    if hold_id is None:
        return None
    hold = await uow.session.get(Hold, hold_id, with_for_update=True)
    booking = await uow.session.get(Booking, booking_id, with_for_update=True)
    if hold is None or booking is None:  # neither is ever deleted
        return None
    return booking, hold


async def confirm_booking(service: Service, uow: UnitOfWork, booking_id: str, payment_id: str,
                          paid_at: datetime) -> None:
    """Payment succeeded: the booking's seats and places are sold (``BookingConfirmed``).

    A payment made before the hold lapsed confirms even if the sweeper released nothing
    yet, as long as every seat and place is still there. Otherwise (the booking expired,
    was cancelled, or its seats went to someone else) the booking is not confirmed and
    ``BookingNotConfirmed`` asks payment to give the money back.
    """
    locked = await _lock(uow, booking_id)
    if locked is None:
        log.warning("payment %s succeeded for unknown booking %s", payment_id, booking_id)
        return
    booking, hold = locked
    if booking.status == BookingStatus.CONFIRMED and booking.payment_id == payment_id:
        return
    show = await show_of(service, booking.show_id)
    if not await _honourable(uow, booking, hold, paid_at):
        if booking.status == BookingStatus.PENDING_PAYMENT:  # lapsed and resold: expires now
            await expiry.expire(service, uow, show, hold)
        uow.emit(events.BookingNotConfirmed(**_about(booking), payment_id=payment_id,
                                            status=booking.status))
        metrics.booking_settled(uow, "not_confirmed", booking.created_at)
        return
    sold = await seats.sell(uow.session, hold.id)
    places = await sections.sell(uow.session, hold.id)
    metrics.booking_settled(uow, "confirmed", booking.created_at,
                            len(seats.seat_ids(sold)) + places)
    hold.status = HoldStatus.BOOKED
    booking.payment_id = payment_id
    booking.status = BookingStatus.CONFIRMED
    backoffice.record(uow, booking, BookingStatus.CONFIRMED)
    Ledger.of(service, uow).moved(show, sold)
    tickets = await _tickets(uow, booking.id)
    checkins.move_counts_at_commit(uow, booking.show_id, expected=len(tickets),
                                   booking_id=booking.id)
    uow.emit(events.BookingConfirmed(
        **_about(booking), payment_id=payment_id, seat_ids=seats.seat_ids(sold),
        show=await notice(uow.session, show, lock=True), tickets=tickets))


async def _cancel(service: Service, uow: UnitOfWork, show: ShowInfo,
                  shown: dict[str, str], booking: Booking, hold: Hold, reason: str) -> None:
    """Cancel a pending or confirmed booking (and its hold, locked): its seats and places go
    back on sale, and payment refunds what was paid (``BookingCancelled``). ``shown`` is the
    show's :func:`.notice`, read once by the caller (a cancelled show cancels many)."""
    was = booking.status
    freed = await expiry.end(service, uow, show, hold, HoldStatus.RELEASED,
                             sold=was == BookingStatus.CONFIRMED)
    booking.status = BookingStatus.CANCELLED
    backoffice.record(uow, booking, BookingStatus.CANCELLED)
    await redemptions.give_back(uow, booking.id)
    if was == BookingStatus.CONFIRMED:  # its tickets are expected at the door no more
        checkins.move_counts_at_commit(uow, booking.show_id,
                                       expected=-len(await _tickets(uow, booking.id)),
                                       booking_id=booking.id)
    uow.emit(events.BookingCancelled(**_about(booking), previous_status=was, reason=reason,
                                     payment_id=booking.payment_id, seat_ids=freed,
                                     show=shown))


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
    show = await show_of(service, found.show_id)

    async def attempt() -> Booking:
        async with service.uow() as uow:
            locked = await _lock(uow, booking_id)
            if locked is None:
                raise NotFound("No booking with this id.", field="bookingId")
            booking, hold = locked
            if booking.status not in BookingStatus.CANCELLABLE:
                raise Conflict(f"A {booking.status} booking cannot be cancelled.",
                               field="bookingId", status=booking.status)
            if await starts_at(uow.session, show) <= utcnow() and not who.is_admin:
                raise Conflict("The show has started; ask the organizer.", field="bookingId",
                               status=booking.status)
            await _cancel(service, uow, show, await notice(uow.session, show), booking, hold,
                          CancelReason.CUSTOMER)
            await uow.commit()
        return booking

    return await retrying(attempt)


async def cancel_show(service: Service, uow: UnitOfWork, show_id: str) -> None:
    """The organizer cancelled the show: stop selling, release open holds, cancel bookings.

    The show's row is locked FOR UPDATE first, which waits for the holds under way (they
    share it) and makes the next ones wait and then see the show cancelled. Every pending
    or confirmed booking is cancelled (payment refunds it) and every active hold released,
    in one transaction.
    """
    row = await uow.session.get(BookableShow, show_id, with_for_update=True)
    if row is None or row.status == CANCELLED:
        return
    row.status = CANCELLED
    show = ShowInfo.of(row)
    await waitlist_line.close(service, uow, show)
    shown = await notice(uow.session, show)
    for booking in list(await uow.session.scalars(
            select(Booking).where(Booking.show_id == show_id,
                                  Booking.status.in_(BookingStatus.CANCELLABLE))
            .order_by(Booking.created_at))):
        locked = await _lock(uow, booking.id)
        if locked is not None:
            await _cancel(service, uow, show, shown, *locked, CancelReason.SHOW_CANCELLED)
    for hold in list(await uow.session.scalars(
            select(Hold).where(Hold.show_id == show_id, Hold.status == HoldStatus.ACTIVE)
            .order_by(Hold.created_at).with_for_update())):
        places = await sections.of_hold(uow.session, hold.id)
        freed = await expiry.end(service, uow, show, hold, HoldStatus.RELEASED)
        uow.emit(events.HoldReleased(hold_id=hold.id, show_id=show_id, user_id=hold.user_id,
                                     reason=CancelReason.SHOW_CANCELLED, seat_ids=freed,
                                     general_admission=places))
    uow.emit(events.ShowSalesStopped(show_id=show_id))
    Ledger.of(service, uow).touched(show)


async def apply_venue_event(service: Service, uow: UnitOfWork, event: Event) -> None:
    """Venue's events: a published show gets inventory; a cancelled one stops selling; a
    venue's corrected time zone is the one its shows' notices name from now on, and so are
    a moved or renamed show's times and title; door staff granted or revoked is kept for
    check-in."""
    if event.type == events.ShowPublished.type_name():
        published = events.ShowPublished.read(event)
        await apply_show_published(uow, published)
        await unlocking.remember(uow, published)
        await ticket_types.remember(uow, published)
    elif event.type == events.ShowCancelled.type_name():
        await cancel_show(service, uow, events.ShowCancelled.read(event).show_id)
    elif event.type in (events.VenueStaffGranted.type_name(),
                        events.VenueStaffRevoked.type_name()):
        await checkins.apply_staff_event(uow, event)
    elif event.type in (events.TeamMemberAdded.type_name(),
                        events.TeamMemberRemoved.type_name()):
        await backoffice.apply_team_event(uow, event)
    elif event.type == events.VenueTimeZoneChanged.type_name():
        changed = events.VenueTimeZoneChanged.read(event)
        await uow.session.execute(
            update(BookableShow).where(BookableShow.venue_id == changed.venue_id)
            .values(time_zone=changed.time_zone)
            .execution_options(synchronize_session=False))
    elif event.type == events.ShowRescheduled.type_name():
        await reschedule(service, uow, events.ShowRescheduled.read(event))


async def reschedule(service: Service, uow: UnitOfWork,
                     moved: events.ShowRescheduled) -> None:
    """Venue moved or renamed a show on sale: booking's copy takes its new start (and
    title), which notices, tickets and the customer's cancel deadline read from now on.
    Replayed or late, it changes nothing for a show booking does not have.

    When the start moved, every CONFIRMED booking of the show gets a ``BookingRescheduled``
    in this transaction (notification mails its holder). The show's row is locked
    ``FOR UPDATE`` first: a confirmation under way (which reads the show's time for its
    notice under ``FOR KEY SHARE``) either commits before, and its booking is among those
    told, or waits and names the new time itself. The move is compared with booking's own
    copy, so an event that brings the start it already has (redelivered with another id, a
    rename alone, a change of the end alone) tells nobody. Pending bookings are not told:
    their hold shows the show's time, and their confirmation names the new one.
    """
    session = uow.session
    before = (await session.execute(
        select(BookableShow.starts_at).where(BookableShow.id == moved.show_id)
        .with_for_update())).first()
    if before is None:
        return
    new_start = datetime.fromisoformat(moved.starts_at)
    values: dict[str, Any] = {"starts_at": new_start}
    if moved.title is not None:
        values["title"] = moved.title
    await session.execute(
        update(BookableShow).where(BookableShow.id == moved.show_id).values(**values)
        .execution_options(synchronize_session=False))
    forget(service, moved.show_id)
    if before.starts_at != new_start:
        await _tell_holders(uow, moved.show_id, before.starts_at)


async def _tell_holders(uow: UnitOfWork, show_id: str, previous: datetime) -> None:
    """One ``BookingRescheduled`` per confirmed booking of the moved show: one query for
    the show's notice and one for its bookings (however many), and the events written with
    the outbox's one insert at commit."""
    session = uow.session
    shown = await notice_of(session, show_id)
    if shown is None:
        return
    rows = await session.execute(
        select(Booking.id, Booking.user_id, Booking.total_amount, Booking.currency)
        .where(Booking.show_id == show_id, Booking.status == BookingStatus.CONFIRMED)
        .order_by(Booking.created_at, Booking.id))
    starts = datetime.fromisoformat(shown["starts_at"])
    until = shown["starts_at"] if starts > utcnow() else None  # cancel_booking's rule
    told = 0
    for booking_id, user_id, amount, currency in rows:
        uow.emit(events.BookingRescheduled(
            booking_id=booking_id, user_id=user_id, show_id=show_id, amount=amount,
            currency=currency, show=shown, previous_starts_at=previous.isoformat(),
            cancellable_until=until))
        told += 1
    log.info("show %s moved from %s to %s: %d confirmed bookings told", show_id,
             previous.isoformat(), shown["starts_at"], told)


async def refunded_in_full(service: Service, uow: UnitOfWork, booking_id: str) -> None:
    """The organizer (or an admin) gave all the money back: a confirmed booking is
    cancelled and its seats go back on sale. Any other booking is already over."""
    locked = await _lock(uow, booking_id)
    if locked is None or locked[0].status != BookingStatus.CONFIRMED:
        return
    booking, hold = locked
    show = await show_of(service, booking.show_id)
    await _cancel(service, uow, show, await notice(uow.session, show), booking, hold,
                  CancelReason.REFUNDED)


async def apply_payment_event(service: Service, uow: UnitOfWork, event: Event) -> None:
    """Payment's events: a succeeded payment confirms its booking; a full refund cancels it.

    PaymentFailed changes nothing: the booking stays pending until its hold expires, and
    the customer can pay again.
    """
    if event.type == events.PaymentSucceeded.type_name():
        paid = events.PaymentSucceeded.read(event)
        paid_at = datetime.fromisoformat(paid.succeeded_at or event.occurred_at)
        await confirm_booking(service, uow, paid.booking_id, paid.payment_id, paid_at)
    elif event.type == events.PaymentRefunded.type_name():
        refunded = events.PaymentRefunded.read(event)
        await sales_ledger.record_refund(uow, refunded, event)
        if refunded.fully_refunded:
            await refunded_in_full(service, uow, refunded.booking_id)
