"""What becomes of a booking: confirmed by its payment, cancelled by its owner, or cancelled
with its show.

Payment does not announce ``PaymentSucceeded`` yet, so these tests write the event into
payment's outbox as payment will; payment's relay publishes it on the "payment" stream and
booking consumes it. Each outcome is read back from booking's database: the booking, its
hold, the show's seats and standing sections, the show's version and the outbox.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from subgraphs.booking.models import (
    AVAILABLE,
    HELD,
    SOLD,
    TABLES,
    AdmissionSection,
    BookableShow,
    Booking,
    Hold,
)
from subgraphs.booking.service import release_expired
from subgraphs.kernel.db import Database, utcnow
from subgraphs.kernel.events import Event, PaymentSucceeded
from tests.flows import (
    CHECKOUT,
    HOLD,
    SEAT_AVAILABILITY,
    Actors,
    ShowOnSale,
    User,
    show_on_sale,
)
from tests.flows import seat_ids as ids
from tests.harness import Stack, Subscription, eventually
from tests.integration.seating import CANCEL_SHOW, Venues, at, small_map
from tests.integration.support import (
    Deployment,
    count,
    hold_status,
    lapse_hold,
    refusal,
    seat_rows,
    show_version,
)

BOOKING = "query($id: ID!) { booking(id: $id) { id status } }"
CANCEL = "mutation($id: ID!) { cancelBooking(bookingId: $id) { id status } }"
PAYMENT_OF_BOOKING = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Booking { payment { id } } } }"""
SHOW_STATE = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Show {
  availability { total available held sold
    generalAdmission { sectionId capacity available held sold } }
  seatStates { seatId state } } } }"""
HOLD_GA = """mutation($show: ID!, $section: ID!, $n: Int!) {
  holdGeneralAdmission(showId: $show, sectionId: $section, quantity: $n) {
    __typename ... on SeatHold { id expiresAt } ... on SoldOut { available } } }"""
PRICE, STANDING_PRICE = 1000, 2500


@dataclass
class Booked:
    """A booking awaiting payment, as checkout made it."""

    id: str
    hold_id: str
    seat_ids: list[str]
    expires_at: datetime  # the hold's


@dataclass
class Floor:
    """A show in a hall of two seats and a standing floor."""

    show_id: str
    section_id: str


def token(who: User | None) -> str | None:
    return who.token if who else None


async def hold(stack: Stack, show_id: str, seat_ids: list[str], who: User
               ) -> tuple[str, datetime]:
    """Hold seats that must be free; the hold's id and expiry."""
    body = await stack.client("booking").data(HOLD, {"show": show_id, "seats": seat_ids},
                                              who.token)
    result = body["holdSeats"]
    assert result["__typename"] == "SeatHold", result
    return str(result["id"]), datetime.fromisoformat(result["expiresAt"])


async def checked_out(stack: Stack, hold_id: str, expires_at: datetime, seat_ids: list[str],
                      who: User) -> Booked:
    body = await stack.client("booking").data(
        CHECKOUT, {"hold": hold_id, "key": uuid.uuid4().hex}, who.token)
    assert body["checkout"]["__typename"] == "Booking", body
    return Booked(str(body["checkout"]["id"]), hold_id, seat_ids, expires_at)


async def book(stack: Stack, show: ShowOnSale, positions: list[int], who: User) -> Booked:
    """A booking awaiting payment for these seats."""
    seat_ids = ids(show, *positions)
    hold_id, expires_at = await hold(stack, show.id, seat_ids, who)
    return await checked_out(stack, hold_id, expires_at, seat_ids, who)


async def book_places(stack: Stack, floor: Floor, quantity: int, who: User) -> Booked:
    """A booking awaiting payment for standing places."""
    body = await stack.client("booking").data(
        HOLD_GA, {"show": floor.show_id, "section": floor.section_id, "n": quantity}, who.token)
    result = body["holdGeneralAdmission"]
    assert result["__typename"] == "SeatHold", result
    return await checked_out(stack, str(result["id"]),
                             datetime.fromisoformat(result["expiresAt"]), [], who)


async def standing_show(stack: Stack, organizer: User, capacity: int) -> Floor:
    """A show on sale with a standing floor of ``capacity``, once booking can sell it."""
    venues = Venues(stack.client("venue"))
    hall = await venues.hall(organizer, small_map(standing=capacity))
    show = await venues.show(organizer, hall["id"], at(19), price=None, currency="EUR",
                             priceTiers=[{"category": "STANDARD", "amount": PRICE},
                                         {"category": "STANDING", "amount": STANDING_PRICE}])
    await venues.publish(organizer, show["id"])
    floor = Floor(show["id"], next(s["id"] for s in hall["sections"] if s["generalAdmission"]))

    async def on_sale() -> bool:
        return (await show_state(stack, floor.show_id))["availability"] is not None

    await eventually(on_sale)
    return floor


async def show_state(stack: Stack, show_id: str) -> dict[str, Any]:
    """``Show.availability`` and ``Show.seatStates`` as booking answers them."""
    body = await stack.client("booking").data(SHOW_STATE,
                                              {"r": [{"__typename": "Show", "id": show_id}]})
    return body["_entities"][0]  # type: ignore[no-any-return]


# PaymentSucceeded, as payment will write it


async def payment_of(stack: Stack, booking_id: str, who: User) -> str:
    """The id of the payment that payment made for the booking (``Booking.payment``)."""

    async def found() -> str | None:
        body = await stack.client("payment").data(
            PAYMENT_OF_BOOKING, {"r": [{"__typename": "Booking", "id": booking_id}]}, who.token)
        payment = body["_entities"][0]["payment"]
        return str(payment["id"]) if payment else None

    return str(await eventually(found))


async def applied(db: Database, event: Event) -> None:
    """Wait until booking's consumer has applied (and recorded) ``event``."""
    processed = TABLES.processed
    await eventually(lambda: count(db, processed, processed.c.event_id == event.id,
                                   processed.c.consumer == "booking"))


async def pay(stack: Stack, db: Database, booking: Booked, who: User,
              succeeded_at: datetime | None = None) -> Event:
    """Payment's ``PaymentSucceeded`` for the booking, once booking has applied it."""
    payment_id = await payment_of(stack, booking.id, who)
    async with stack.services["payment"].uow() as uow:
        event = uow.emit(PaymentSucceeded(
            payment_id=payment_id, booking_id=booking.id, user_id=who.id, amount=0,
            currency="EUR", provider="sandbox",
            succeeded_at=(succeeded_at or utcnow()).isoformat()))
        await uow.commit()
    await applied(db, event)
    return event


# What booking stored


async def stored_booking(db: Database, booking_id: str) -> Booking:
    async with db.reader() as session:
        booking = await session.get(Booking, booking_id)
    assert booking is not None
    return booking


async def sold(db: Database, floor: Floor) -> int:
    async with db.reader() as session:
        section = await session.get(AdmissionSection, (floor.show_id, floor.section_id))
    assert section is not None
    return section.sold


async def events(db: Database, event_type: str, **match: Any) -> list[dict[str, Any]]:
    """Payloads of booking's outbox events of ``event_type`` whose fields equal ``match``."""
    outbox = TABLES.outbox
    async with db.reader() as session:
        bodies = (await session.execute(select(outbox.c.body).where(outbox.c.type == event_type)
                                        .order_by(outbox.c.seq))).scalars()
        payloads = [json.loads(b)["payload"] for b in bodies]
    # What a notice names (the show, the tickets) is for notification; its tests prove it.
    payloads = [{k: v for k, v in p.items() if k not in ("show", "tickets")} for p in payloads]
    return [p for p in payloads if all(p.get(k) == v for k, v in match.items())]


async def everything(db: Database, show_id: str) -> dict[str, Any]:
    """All booking stored about a show, to compare before and after a refused request."""
    outbox = TABLES.outbox
    async with db.reader() as session:
        bookings = {b.id: (b.status, b.payment_id, b.updated_at) for b in await session.scalars(
            select(Booking).where(Booking.show_id == show_id))}
        holds = {h.id: (h.status, h.expires_at) for h in await session.scalars(
            select(Hold).where(Hold.show_id == show_id))}
        sections = {s.section_id: s.sold for s in await session.scalars(
            select(AdmissionSection).where(AdmissionSection.show_id == show_id))}
        bodies = (await session.execute(select(outbox.c.body).order_by(outbox.c.seq))).scalars()
        announced = [(e["type"], e["id"]) for e in map(json.loads, bodies)
                     if e["payload"].get("show_id") == show_id]
    return {"bookings": bookings, "holds": holds, "sections": sections,
            "seats": await seat_rows(db, show_id), "version": await show_version(db, show_id),
            "events": announced}


def booking_event(booking: Booked, who: User, amount: int, **extra: Any) -> dict[str, Any]:
    """The payload booking's events about a booking carry."""
    return {"booking_id": booking.id, "user_id": who.id, "amount": amount, "currency": "EUR",
            **extra}


# Confirmation from payment


async def test_a_succeeded_payment_confirms_the_booking_and_sells_its_seats(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    db = dbs["booking"]
    booking = await book(stack, show, [0, 1], actors.customer)
    before = await show_version(db, show.id)
    event = await pay(stack, db, booking, actors.customer)
    payment_id = event.payload["payment_id"]
    read = await stack.client("booking").data(BOOKING, {"id": booking.id},
                                              actors.customer.token)
    assert read["booking"] == {"id": booking.id, "status": "CONFIRMED"}
    stored = await stored_booking(db, booking.id)
    assert (stored.status, stored.payment_id) == ("CONFIRMED", payment_id)
    assert await hold_status(db, booking.hold_id) == "BOOKED"
    rows = await seat_rows(db, show.id)
    assert {s: row for s, row in rows.items() if row != (AVAILABLE, None)} == {
        s: (SOLD, booking.hold_id) for s in booking.seat_ids}
    assert await show_version(db, show.id) == before + 1
    state = await show_state(stack, show.id)
    assert state["availability"] == {"total": 10, "available": 8, "held": 0, "sold": 2,
                                     "generalAdmission": []}
    assert {s["seatId"]: s["state"] for s in state["seatStates"] if s["state"] != "AVAILABLE"
            } == dict.fromkeys(booking.seat_ids, "SOLD")
    assert await events(db, "BookingConfirmed", booking_id=booking.id) == [booking_event(
        booking, actors.customer, 2 * PRICE, show_id=show.id, payment_id=payment_id,
        seat_ids=booking.seat_ids)]


async def test_the_same_payment_event_delivered_again_changes_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    db = dbs["booking"]
    booking = await book(stack, show, [2], actors.customer)
    event = await pay(stack, db, booking, actors.customer)
    before = await everything(db, show.id)
    bus = stack.services["payment"].runtime.bus
    await bus.publish("payment", event)  # delivered again: the bus is at-least-once
    # An event booking ignores, published after it: once it is applied, so is the replay.
    marker = Event(type="PaymentCancelled", source="payment",
                   payload={"payment_id": str(uuid.uuid4()), "booking_id": str(uuid.uuid4())})
    await bus.publish("payment", marker)
    await applied(db, marker)
    assert await everything(db, show.id) == before
    assert before["bookings"][booking.id][0] == "CONFIRMED"
    processed = TABLES.processed
    assert await count(db, processed, processed.c.event_id == event.id) == 1


async def test_confirming_standing_places_moves_them_from_held_to_sold(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    db = dbs["booking"]
    floor = await standing_show(stack, actors.organizer, 10)
    booking = await book_places(stack, floor, 3, actors.customer)
    held = await show_state(stack, floor.show_id)
    assert held["availability"]["generalAdmission"] == [{
        "sectionId": floor.section_id, "capacity": 10, "available": 7, "held": 3, "sold": 0}]
    event = await pay(stack, db, booking, actors.customer)
    assert (await stored_booking(db, booking.id)).status == "CONFIRMED"
    assert await hold_status(db, booking.hold_id) == "BOOKED"
    assert await sold(db, floor) == 3
    confirmed = await show_state(stack, floor.show_id)
    assert confirmed["availability"]["generalAdmission"] == [{
        "sectionId": floor.section_id, "capacity": 10, "available": 7, "held": 0, "sold": 3}]
    assert (confirmed["availability"]["total"], confirmed["availability"]["available"]) == (2, 2)
    assert await events(db, "BookingConfirmed", booking_id=booking.id) == [booking_event(
        booking, actors.customer, 3 * STANDING_PRICE, show_id=floor.show_id,
        payment_id=event.payload["payment_id"], seat_ids=[])]


async def test_a_payment_for_a_cancelled_booking_confirms_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    db = dbs["booking"]
    booking = await book(stack, show, [3], actors.customer)
    await stack.client("booking").data(CANCEL, {"id": booking.id}, actors.customer.token)
    event = await pay(stack, db, booking, actors.customer)
    stored = await stored_booking(db, booking.id)
    assert (stored.status, stored.payment_id) == ("CANCELLED", None)
    assert (await seat_rows(db, show.id))[booking.seat_ids[0]] == (AVAILABLE, None)
    assert await events(db, "BookingConfirmed", booking_id=booking.id) == []
    assert await events(db, "BookingNotConfirmed", booking_id=booking.id) == [booking_event(
        booking, actors.customer, PRICE, show_id=show.id,
        payment_id=event.payload["payment_id"], status="CANCELLED")]


async def lapsed_booking(dep: Deployment, show: ShowOnSale, positions: list[int]) -> Booked:
    """A booking whose hold has lapsed (not swept: the sweeper only runs when called).

    Checked out with the usual hold time, then made to lapse in the database: checkout
    never races a short hold time on a loaded machine."""
    booking = await book(dep.stack, show, positions, dep.actors.customer)
    expires_at = await lapse_hold(dep.dbs["booking"], booking.hold_id)
    return replace(booking, expires_at=expires_at)


async def test_a_payment_made_before_the_lapse_confirms_when_the_seats_are_still_there(
        manual_sweep: Deployment) -> None:
    dep = manual_sweep
    db = dep.dbs["booking"]
    show = await show_on_sale(dep.stack.client("venue"), dep.stack.client("booking"),
                              dep.actors.organizer)
    booking = await lapsed_booking(dep, show, [0, 1])
    rows = await seat_rows(db, show.id)
    assert [rows[s] for s in booking.seat_ids] == [(HELD, booking.hold_id)] * 2
    event = await pay(dep.stack, db, booking, dep.actors.customer,
                      succeeded_at=booking.expires_at - timedelta(milliseconds=500))
    stored = await stored_booking(db, booking.id)
    assert (stored.status, stored.payment_id) == ("CONFIRMED", event.payload["payment_id"])
    assert await hold_status(db, booking.hold_id) == "BOOKED"
    rows = await seat_rows(db, show.id)
    assert [rows[s] for s in booking.seat_ids] == [(SOLD, booking.hold_id)] * 2
    assert len(await events(db, "BookingConfirmed", booking_id=booking.id)) == 1
    assert await events(db, "BookingNotConfirmed", booking_id=booking.id) == []


@pytest.mark.parametrize(("paid", "resold"), [("after", 2), ("before", 2), ("before", 1),
                                              ("after", 0)],
                         ids=["paid-after-lapse-resold", "paid-before-lapse-resold",
                              "paid-before-lapse-one-seat-resold", "paid-after-lapse-free"])
async def test_a_payment_for_a_lapsed_hold_that_cannot_be_honoured_expires_the_booking(
        manual_sweep: Deployment, paid: str, resold: int) -> None:
    dep = manual_sweep
    db = dep.dbs["booking"]
    show = await show_on_sale(dep.stack.client("venue"), dep.stack.client("booking"),
                              dep.actors.organizer)
    booking = await lapsed_booking(dep, show, [2, 3])
    other = None
    if resold:
        other, _ = await hold(dep.stack, show.id, booking.seat_ids[:resold],
                              dep.actors.other_customer)
    succeeded_at = (booking.expires_at - timedelta(milliseconds=500) if paid == "before"
                    else utcnow())
    assert (succeeded_at < booking.expires_at) == (paid == "before")
    event = await pay(dep.stack, db, booking, dep.actors.customer, succeeded_at)
    read = await dep.stack.client("booking").data(BOOKING, {"id": booking.id},
                                                  dep.actors.customer.token)
    assert read["booking"]["status"] == "EXPIRED"
    stored = await stored_booking(db, booking.id)
    assert (stored.status, stored.payment_id) == ("EXPIRED", None)
    assert await hold_status(db, booking.hold_id) == "EXPIRED"
    rows = await seat_rows(db, show.id)
    assert [rows[s] for s in booking.seat_ids] == (
        [(HELD, other)] * resold + [(AVAILABLE, None)] * (2 - resold))
    assert await events(db, "BookingConfirmed", booking_id=booking.id) == []
    assert await events(db, "BookingNotConfirmed", booking_id=booking.id) == [booking_event(
        booking, dep.actors.customer, 2 * PRICE, show_id=show.id,
        payment_id=event.payload["payment_id"], status="EXPIRED")]
    assert len(await events(db, "BookingExpired", booking_id=booking.id)) == 1


# cancelBooking


async def test_the_owner_cancels_a_pending_booking_and_its_seats_go_back_on_sale(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    db = dbs["booking"]
    booking = await book(stack, show, [0, 1], actors.customer)
    before = await show_version(db, show.id)
    body = await stack.client("booking").data(CANCEL, {"id": booking.id}, actors.customer.token)
    assert body["cancelBooking"] == {"id": booking.id, "status": "CANCELLED"}
    assert (await stored_booking(db, booking.id)).status == "CANCELLED"
    assert await hold_status(db, booking.hold_id) == "RELEASED"
    assert set((await seat_rows(db, show.id)).values()) == {(AVAILABLE, None)}
    assert await show_version(db, show.id) == before + 1
    assert (await show_state(stack, show.id))["availability"]["available"] == 10
    assert await events(db, "BookingCancelled", booking_id=booking.id) == [booking_event(
        booking, actors.customer, 2 * PRICE, show_id=show.id, previous_status="PENDING_PAYMENT",
        reason="CUSTOMER", payment_id=None, seat_ids=booking.seat_ids)]
    await hold(stack, show.id, booking.seat_ids, actors.other_customer)


async def test_the_owner_cancels_a_confirmed_booking_and_its_sold_seats_go_back_on_sale(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    db = dbs["booking"]
    booking = await book(stack, show, [4, 5], actors.customer)
    event = await pay(stack, db, booking, actors.customer)
    body = await stack.client("booking").data(CANCEL, {"id": booking.id}, actors.customer.token)
    assert body["cancelBooking"]["status"] == "CANCELLED"
    assert await hold_status(db, booking.hold_id) == "RELEASED"
    assert set((await seat_rows(db, show.id)).values()) == {(AVAILABLE, None)}
    assert (await show_state(stack, show.id))["availability"] == {
        "total": 10, "available": 10, "held": 0, "sold": 0, "generalAdmission": []}
    assert await events(db, "BookingCancelled", booking_id=booking.id) == [booking_event(
        booking, actors.customer, 2 * PRICE, show_id=show.id, previous_status="CONFIRMED",
        reason="CUSTOMER", payment_id=event.payload["payment_id"], seat_ids=booking.seat_ids)]


async def test_cancelling_a_confirmed_standing_booking_takes_its_places_out_of_sold(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    db = dbs["booking"]
    floor = await standing_show(stack, actors.organizer, 10)
    booking = await book_places(stack, floor, 4, actors.customer)
    await pay(stack, db, booking, actors.customer)
    assert await sold(db, floor) == 4
    body = await stack.client("booking").data(CANCEL, {"id": booking.id}, actors.customer.token)
    assert body["cancelBooking"]["status"] == "CANCELLED"
    assert await sold(db, floor) == 0
    assert (await show_state(stack, floor.show_id))["availability"]["generalAdmission"] == [{
        "sectionId": floor.section_id, "capacity": 10, "available": 10, "held": 0, "sold": 0}]
    (cancelled,) = await events(db, "BookingCancelled", booking_id=booking.id)
    assert (cancelled["previous_status"], cancelled["seat_ids"]) == ("CONFIRMED", [])


async def test_cancelling_twice_is_a_conflict_that_changes_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    db = dbs["booking"]
    booking = await book(stack, show, [6], actors.customer)
    await stack.client("booking").data(CANCEL, {"id": booking.id}, actors.customer.token)
    again, _ = await hold(stack, show.id, booking.seat_ids, actors.other_customer)
    before = await everything(db, show.id)
    body = await stack.client("booking").run(CANCEL, {"id": booking.id}, actors.customer.token)
    assert refusal(body) == ("CONFLICT", "bookingId")
    assert body["errors"][0]["extensions"]["status"] == "CANCELLED"
    assert await everything(db, show.id) == before
    assert before["seats"][booking.seat_ids[0]] == (HELD, again)
    assert len(await events(db, "BookingCancelled", booking_id=booking.id)) == 1


@pytest.mark.parametrize(("who", "expected"), [
    ("anonymous", "UNAUTHENTICATED"), ("other_customer", "FORBIDDEN"),
    ("organizer", "FORBIDDEN")])
async def test_only_the_owner_or_an_admin_may_cancel(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale,
        who: str, expected: str) -> None:
    db = dbs["booking"]
    booking = await book(stack, show, [7], actors.customer)
    before = await everything(db, show.id)
    user = None if who == "anonymous" else getattr(actors, who)
    body = await stack.client("booking").run(CANCEL, {"id": booking.id}, token(user))
    assert refusal(body)[0] == expected
    assert body.get("data") is None
    assert await everything(db, show.id) == before
    assert before["bookings"][booking.id][0] == "PENDING_PAYMENT"


async def test_an_admin_may_cancel_anyones_booking(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    db = dbs["booking"]
    booking = await book(stack, show, [8], actors.customer)
    body = await stack.client("booking").data(CANCEL, {"id": booking.id}, actors.admin.token)
    assert body["cancelBooking"] == {"id": booking.id, "status": "CANCELLED"}
    assert (await seat_rows(db, show.id))[booking.seat_ids[0]] == (AVAILABLE, None)
    assert await hold_status(db, booking.hold_id) == "RELEASED"


async def test_cancelling_an_unknown_booking_is_not_found_and_changes_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    db = dbs["booking"]
    await book(stack, show, [9], actors.customer)
    before = await everything(db, show.id)
    body = await stack.client("booking").run(CANCEL, {"id": str(uuid.uuid4())},
                                             actors.customer.token)
    assert refusal(body) == ("NOT_FOUND", "bookingId")
    assert await everything(db, show.id) == before


async def test_cancelling_an_expired_booking_is_a_conflict_that_changes_nothing(
        manual_sweep: Deployment) -> None:
    dep = manual_sweep
    db = dep.dbs["booking"]
    show = await show_on_sale(dep.stack.client("venue"), dep.stack.client("booking"),
                              dep.actors.organizer)
    booking = await book(dep.stack, show, [4], dep.actors.customer)
    # Sweep as of a moment after the hold lapsed: the booking expires.
    await release_expired(dep.services["booking"], now=booking.expires_at + timedelta(seconds=1))
    before = await everything(db, show.id)
    assert before["bookings"][booking.id][0] == "EXPIRED"
    body = await dep.stack.client("booking").run(CANCEL, {"id": booking.id},
                                                 dep.actors.customer.token)
    assert refusal(body) == ("CONFLICT", "bookingId")
    assert body["errors"][0]["extensions"]["status"] == "EXPIRED"
    assert await everything(db, show.id) == before
    assert await events(db, "BookingCancelled", booking_id=booking.id) == []


# ShowCancelled


@dataclass
class Customers:
    """What a customer has on a show: an active hold, a pending and a confirmed booking."""

    hold_id: str
    pending: Booked
    confirmed: Booked
    payment_id: str


async def customer_on(stack: Stack, db: Database, show: ShowOnSale, who: User) -> Customers:
    hold_id, _ = await hold(stack, show.id, ids(show, 0), who)
    pending = await book(stack, show, [1, 2], who)
    confirmed = await book(stack, show, [3], who)
    event = await pay(stack, db, confirmed, who)
    assert (await stored_booking(db, confirmed.id)).status == "CONFIRMED"
    return Customers(hold_id, pending, confirmed, event.payload["payment_id"])


async def test_cancelling_a_show_releases_its_holds_and_cancels_its_bookings(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    db = dbs["booking"]
    mine = await customer_on(stack, db, show, actors.customer)
    await stack.client("venue").data(CANCEL_SHOW, {"id": show.id}, actors.organizer.token)

    async def cancelled() -> bool:
        async with db.reader() as session:
            return await session.scalar(select(BookableShow.status).where(
                BookableShow.id == show.id)) == "CANCELLED"

    await eventually(cancelled)
    assert [await hold_status(db, h) for h in (mine.hold_id, mine.pending.hold_id,
                                               mine.confirmed.hold_id)] == ["RELEASED"] * 3
    for booking in (mine.pending, mine.confirmed):
        read = await stack.client("booking").data(BOOKING, {"id": booking.id},
                                                  actors.customer.token)
        assert read["booking"]["status"] == "CANCELLED"
    assert set((await seat_rows(db, show.id)).values()) == {(AVAILABLE, None)}
    assert await events(db, "BookingCancelled", show_id=show.id) == [
        booking_event(mine.pending, actors.customer, 2 * PRICE, show_id=show.id,
                      previous_status="PENDING_PAYMENT", reason="SHOW_CANCELLED",
                      payment_id=None, seat_ids=mine.pending.seat_ids),
        booking_event(mine.confirmed, actors.customer, PRICE, show_id=show.id,
                      previous_status="CONFIRMED", reason="SHOW_CANCELLED",
                      payment_id=mine.payment_id, seat_ids=mine.confirmed.seat_ids)]
    (released,) = await events(db, "HoldReleased", hold_id=mine.hold_id)
    assert released["reason"] == "SHOW_CANCELLED"
    before = await everything(db, show.id)
    body = await stack.client("booking").run(HOLD, {"show": show.id, "seats": ids(show, 5)},
                                             actors.other_customer.token)
    assert refusal(body) == ("BAD_USER_INPUT", "showId")
    assert await everything(db, show.id) == before


async def test_a_watcher_gets_one_delta_freeing_the_seats_of_a_cancelled_show(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    db = dbs["booking"]
    await customer_on(stack, db, show, actors.customer)
    async with Subscription(stack.url("booking"), SEAT_AVAILABILITY,
                            {"show": show.id}) as live:
        snapshot = (await live.next())["data"]["seatAvailability"]
        await stack.client("venue").data(CANCEL_SHOW, {"id": show.id}, actors.organizer.token)
        delta = (await live.next())["data"]["seatAvailability"]
    assert {s["seatId"]: s["state"] for s in snapshot["seats"] if s["state"] != "AVAILABLE"} == {
        **dict.fromkeys(ids(show, 0, 1, 2), "HELD"), ids(show, 3)[0]: "SOLD"}
    assert (delta["kind"], delta["version"]) == ("DELTA", snapshot["version"] + 1)
    assert delta["seats"] == [{"seatId": s, "state": "AVAILABLE"} for s in ids(show, 0, 1, 2, 3)]
    assert delta["availability"] == {"total": 10, "available": 10, "held": 0, "sold": 0}
    assert await show_version(db, show.id) == delta["version"]  # the cancellation was one change


# Live versions


@pytest.mark.parametrize("earlier", ["cancelled", "confirmed"],
                         ids=["booking-cancelled", "booking-confirmed-by-this-payment"])
async def test_a_payment_that_changes_no_seat_leaves_no_gap_in_the_watchers_versions(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale,
        earlier: str) -> None:
    """Versions are consecutive per show, a gap meaning "resubscribe": a PaymentSucceeded
    booking cannot honour (the booking was cancelled), or one for the payment that already
    confirmed it (a second event), changes no seat, so it must not use up a version."""
    db = dbs["booking"]
    booking = await book(stack, show, [0], actors.customer)
    if earlier == "cancelled":
        await stack.client("booking").data(CANCEL, {"id": booking.id}, actors.customer.token)
    else:
        await pay(stack, db, booking, actors.customer)
    status = (await stored_booking(db, booking.id)).status
    async with Subscription(stack.url("booking"), SEAT_AVAILABILITY,
                            {"show": show.id}) as live:
        snapshot = (await live.next())["data"]["seatAvailability"]
        await pay(stack, db, booking, actors.customer)
        assert (await stored_booking(db, booking.id)).status == status
        await hold(stack, show.id, ids(show, 5), actors.other_customer)
        delta = (await live.next())["data"]["seatAvailability"]
    assert delta["seats"] == [{"seatId": ids(show, 5)[0], "state": "HELD"}]
    assert (delta["kind"], delta["version"]) == ("DELTA", snapshot["version"] + 1)
