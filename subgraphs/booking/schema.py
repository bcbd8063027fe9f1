"""The booking subgraph's GraphQL schema: holds, bookings, availability and live seats.

Longer than most modules on purpose: booking has the largest part of the graph, and its
types stay beside the resolvers that fill them (each resolver a call of :mod:`.service`),
so one file shows the whole of booking's API.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from subgraphs.booking import (
    inventory,
    live,
    models,
    outcomes,
    queue_schema,
    reads,
    service,
    waiting_room,
)
from subgraphs.booking.queue_schema import (
    QueueMutation,
    QueueQuery,
    ShowQueue,
    queued_hold,
    show_queue,
)
from subgraphs.kernel import metrics
from subgraphs.kernel.auth import require_owner_or_admin
from subgraphs.kernel.errors import ErrorCode, NotFound, present
from subgraphs.kernel.graphql import Info, Money, build_schema, session_batch
from subgraphs.kernel.service import Service as ServiceBase
from subgraphs.kernel.service import SubgraphSpec

_load_availability = session_batch(inventory.availability_by_show)
_load_bookings = session_batch(reads.bookings_by_ids)
_load_user_bookings = session_batch(reads.bookings_by_users)
_load_lines = session_batch(reads.lines_by_bookings)
_load_hold_places = session_batch(reads.admission_by_holds)
_load_booking_places = session_batch(reads.admission_by_bookings)
_load_shows = session_batch(reads.shows_by_ids)
_load_hold_prices = session_batch(reads.prices_of_holds)
_load_holds = session_batch(reads.holds_by_ids)


@strawberry.input(description="Part of a journey: from one stop to a later one, as indexes "
                  "into Show.stops (0 is the first stop). Leave it out for the whole journey.")
class SegmentInput:
    from_: int = strawberry.field(name="from")
    to: int

    def pair(self) -> tuple[int, int]:
        return (self.from_, self.to)


@strawberry.type(description="The stops a hold or booking runs between (indexes into "
                 "Show.stops).")
class Segment:
    from_: int = strawberry.field(name="from")
    to: int


def _pair(segment: SegmentInput | None) -> tuple[int, int] | None:
    return None if segment is None else segment.pair()


async def _segment(info: Info, show_id: str, leg_from: int, leg_to: int) -> Segment | None:
    show = await info.context.loader(_load_shows).load(show_id)
    found = None if show is None else inventory.segment_of(show, leg_from, leg_to)
    return None if found is None else Segment(from_=found[0], to=found[1])


@strawberry.enum(description="A seat's state as buyers see it.")
class SeatStatus(Enum):
    AVAILABLE = "AVAILABLE"
    HELD = "HELD"
    SOLD = "SOLD"


@strawberry.type(description="Seats and standing places of one category, in each state.")
class CategoryAvailability:
    category: str
    total: int
    available: int
    held: int
    sold: int


@strawberry.type(description="Places of one general-admission (standing) section.")
class GeneralAdmissionAvailability:
    section_id: strawberry.ID
    key: str
    name: str
    capacity: int
    available: int
    held: int
    sold: int

    @classmethod
    def from_message(cls, g: dict[str, Any]) -> GeneralAdmissionAvailability:
        return cls(section_id=strawberry.ID(g["section_id"]), key=g["key"], name=g["name"],
                   capacity=g["capacity"], available=g["available"], held=g["held"],
                   sold=g["sold"])


@strawberry.type(description="How many seats of a show are in each state (total, available, "
                 "held, sold count numbered seats only); byCategory adds standing places.")
class Availability:
    total: int
    available: int
    held: int
    sold: int
    by_category: list[CategoryAvailability] = strawberry.field(
        description="Seats and standing places per category, by category name.")
    general_admission: list[GeneralAdmissionAvailability] = strawberry.field(
        description="Each standing section, in seat-map order.")

    @classmethod
    def from_message(cls, m: dict[str, Any]) -> Availability:
        """From counts as live messages carry them (ShowAvailability.as_message)."""
        return cls(**m["counts"],
                   by_category=[CategoryAvailability(**c) for c in m["by_category"]],
                   general_admission=[GeneralAdmissionAvailability.from_message(g)
                                      for g in m["general_admission"]])


@strawberry.type
class SeatState:
    seat_id: strawberry.ID
    state: SeatStatus = strawberry.field(
        description="Over the whole journey (or the segment asked for): AVAILABLE only if "
                    "free on every leg, SOLD if sold on any.")
    legs: list[SeatStatus] = strawberry.field(
        description="On a journey, the seat's state on each leg in order; empty otherwise.")

    @classmethod
    def from_message(cls, s: dict[str, Any]) -> SeatState:
        return cls(seat_id=strawberry.ID(s["seat_id"]), state=SeatStatus(s["state"]),
                   legs=[SeatStatus(x) for x in s.get("legs") or []])


@strawberry.federation.type(keys=["id"])
class Show:
    id: strawberry.ID

    @strawberry.field(description="Seat and standing counts (over segment's legs, default the "
                      "whole journey); null until booking has the show's inventory.")
    async def availability(self, info: Info,
                           segment: SegmentInput | None = None) -> Availability | None:
        if segment is None:
            found = await info.context.loader(_load_availability).load(str(self.id))
        else:
            async with info.context.service.db.reader() as session:
                found = (await inventory.availability_by_show(session, [str(self.id)],
                                                              segment.pair()))[0]
        return None if found is None else Availability.from_message(found.as_message())

    @strawberry.field(description="Every seat's state (over segment's legs, default the whole "
                      "journey), in seat-map order.")
    async def seat_states(self, info: Info,
                          segment: SegmentInput | None = None) -> list[SeatState]:
        async with info.context.service.db.reader() as session:
            show = await session.get(models.BookableShow, str(self.id))
            if show is None:
                return []
            seats = await inventory.seat_states(session, show,
                                                inventory.legs_of(show, _pair(segment)))
        return [SeatState.from_message(s.as_message()) for s in seats]

    @strawberry.field(description="The show's waiting room (docs/waiting-room.md): null "
                      "when it has none; its organizer's and admins' otherwise.")
    async def queue(self, info: Info) -> ShowQueue | None:
        return await show_queue(info, str(self.id))

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Show:
        return cls(id=id)


@strawberry.type(description="Places held in one general-admission section.")
class HeldPlaces:
    section_id: strawberry.ID
    quantity: int


@strawberry.type(description="A seat a hold holds, at its category's price.")
class HeldSeat:
    seat_id: strawberry.ID
    label: str
    category: str
    price: Money


@strawberry.type(description="One line of what a hold will cost at checkout: a seat, or the "
                 "places held in one standing section.")
class HoldLine:
    seat_id: strawberry.ID | None = strawberry.field(description="Null for standing places.")
    section_id: strawberry.ID | None = strawberry.field(description="Null for seats.")
    label: str = strawberry.field(description="The seat's label or the section's name.")
    quantity: int
    unit_price: Money
    price: Money


@strawberry.federation.type(keys=["id"], description="Seats (or standing places) reserved for "
                            "a buyer for a while. status: ACTIVE, CHECKED_OUT, BOOKED (paid), "
                            "RELEASED, EXPIRED.")
class SeatHold:
    id: strawberry.ID
    show: Show
    expires_at: datetime
    status: str

    @strawberry.field
    async def seat_ids(self, info: Info) -> list[strawberry.ID]:
        seats = (await info.context.loader(_load_hold_prices).load(str(self.id))).seats
        return [strawberry.ID(s.seat_id) for s in seats]

    legs: strawberry.Private[tuple[int, int]]

    @strawberry.field(description="Standing places this hold holds, per section.")
    async def general_admission(self, info: Info) -> list[HeldPlaces]:
        lines = await info.context.loader(_load_hold_places).load(str(self.id))
        return [HeldPlaces(section_id=strawberry.ID(a.section_id), quantity=a.quantity)
                for a in lines]

    @strawberry.field(description="The stops the seats are held between (null for a show "
                      "without stops).")
    async def segment(self, info: Info) -> Segment | None:
        return await _segment(info, str(self.show.id), *self.legs)

    @strawberry.field(description="The seats this hold holds, with their prices.")
    async def seats(self, info: Info) -> list[HeldSeat]:
        found = await info.context.loader(_load_hold_prices).load(str(self.id))
        return [HeldSeat(seat_id=strawberry.ID(s.seat_id), label=s.label, category=s.category,
                         price=Money(amount=s.price_amount, currency=found.currency))
                for s in found.seats]

    @strawberry.field(description="What checkout will charge, line by line: each seat, then "
                      "each standing section's places.")
    async def lines(self, info: Info) -> list[HoldLine]:
        found = await info.context.loader(_load_hold_prices).load(str(self.id))

        def money(amount: int) -> Money:
            return Money(amount=amount, currency=found.currency)

        return [HoldLine(seat_id=strawberry.ID(s.seat_id), section_id=None, label=s.label,
                         quantity=1, unit_price=money(s.price_amount),
                         price=money(s.price_amount)) for s in found.seats] + [
            HoldLine(seat_id=None, section_id=strawberry.ID(g.section_id), label=g.name,
                     quantity=a.quantity, unit_price=money(g.price_amount),
                     price=money(a.quantity * g.price_amount)) for a, g in found.places]

    @strawberry.field(description="What checkout will charge for this hold.")
    async def total(self, info: Info) -> Money:
        found = await info.context.loader(_load_hold_prices).load(str(self.id))
        return Money(amount=found.total, currency=found.currency)

    @classmethod
    def from_model(cls, h: models.Hold) -> SeatHold:
        return cls(id=strawberry.ID(h.id), show=Show(id=strawberry.ID(h.show_id)),
                   expires_at=h.expires_at, status=h.status, legs=(h.leg_from, h.leg_to))

    @classmethod
    def from_held(cls, info: Info, held: outcomes.Held) -> SeatHold:
        """A hold a mutation returns: what it just made is known, so its seats and prices
        are given to the request's loader instead of being read back."""
        if held.price is not None:
            info.context.loader(_load_hold_prices).prime(held.hold.id, held.price)
        return cls.from_model(held.hold)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> SeatHold | None:
        # A hold is its buyer's business: the same owner check as every way to reach it.
        hold = await info.context.loader(_load_holds).load(str(id))
        if hold is None:
            return None
        require_owner_or_admin(info.context.caller, hold.user_id)
        return cls.from_model(hold)


@strawberry.enum
class BookingStatus(Enum):
    PENDING_PAYMENT = "PENDING_PAYMENT"
    CONFIRMED = "CONFIRMED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"


@strawberry.type
class BookingLine:
    seat_id: strawberry.ID
    label: str
    price: Money


@strawberry.type(description="Standing places bought in one section, at the section's price.")
class AdmissionLine:
    section_id: strawberry.ID
    name: str
    quantity: int
    unit_price: Money
    price: Money


@strawberry.federation.type(keys=["id"], description="Seats bought (or being paid for).")
class Booking:
    id: strawberry.ID
    status: BookingStatus
    show: Show
    total: Money
    created_at: datetime
    hold_id: strawberry.Private[str]

    @strawberry.field(description="The stops the seats are booked between (null for a show "
                      "without stops).")
    async def segment(self, info: Info) -> Segment | None:
        hold = present(await info.context.loader(_load_holds).load(self.hold_id),
                       "a booking's hold")  # holds are never deleted
        return await _segment(info, str(self.show.id), hold.leg_from, hold.leg_to)

    @strawberry.field
    async def lines(self, info: Info) -> list[BookingLine]:
        rows = await info.context.loader(_load_lines).load(str(self.id))
        return [BookingLine(seat_id=strawberry.ID(r.seat_id), label=r.label,
                            price=Money(amount=r.price_amount, currency=self.total.currency))
                for r in rows]

    @strawberry.field(description="Standing places, per section.")
    async def general_admission(self, info: Info) -> list[AdmissionLine]:
        rows = await info.context.loader(_load_booking_places).load(str(self.id))
        currency = self.total.currency
        return [AdmissionLine(section_id=strawberry.ID(r.section_id), name=r.name,
                              quantity=r.quantity,
                              unit_price=Money(amount=r.price_amount, currency=currency),
                              price=Money(amount=r.price_amount * r.quantity, currency=currency))
                for r in rows]

    @classmethod
    def from_model(cls, b: models.Booking) -> Booking:
        return cls(id=strawberry.ID(b.id), status=BookingStatus(b.status),
                   show=Show(id=strawberry.ID(b.show_id)),
                   total=Money(amount=b.total_amount, currency=b.currency),
                   created_at=b.created_at, hold_id=b.hold_id)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Booking | None:
        # Reaching a booking by key goes through the same owner check as every query.
        booking = await info.context.loader(_load_bookings).load(str(id))
        if booking is None:
            return None
        require_owner_or_admin(info.context.caller, booking.user_id)
        return cls.from_model(booking)


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID

    @strawberry.field(description="This user's bookings, newest first (the user or admins).")
    async def bookings(self, info: Info) -> list[Booking]:
        require_owner_or_admin(info.context.caller, str(self.id))
        rows = await info.context.loader(_load_user_bookings).load(str(self.id))
        return [Booking.from_model(b) for b in rows]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return cls(id=id)


@strawberry.type(description="Some of the seats asked for are held or sold by someone else.")
class SeatsUnavailable:
    code: str = ErrorCode.SEATS_UNAVAILABLE.value
    message: str = "Some of these seats are no longer available."
    seat_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.type(description="The hold lapsed before checkout; hold the seats again.")
class HoldExpired:
    code: str = ErrorCode.HOLD_EXPIRED.value
    message: str = "The hold has expired."
    hold_id: strawberry.ID = strawberry.ID("")


@strawberry.type(description="Fewer places (or seats that fit together) than asked for are left.")
class SoldOut:
    code: str = ErrorCode.SOLD_OUT.value
    message: str = "Not enough places are left."
    available: int = strawberry.field(default=0, description="Places (or matching seats) "
                                      "left now.")


HoldSeatsResult = Annotated[SeatHold | SeatsUnavailable,
                            strawberry.union("HoldSeatsResult")]
HoldGeneralAdmissionResult = Annotated[SeatHold | SoldOut,
                                       strawberry.union("HoldGeneralAdmissionResult")]
HoldBestAvailableResult = Annotated[SeatHold | SoldOut,
                                    strawberry.union("HoldBestAvailableResult")]
CheckoutResult = Annotated[Booking | HoldExpired, strawberry.union("CheckoutResult")]
ExtendHoldResult = Annotated[SeatHold | HoldExpired, strawberry.union("ExtendHoldResult")]


@strawberry.enum
class SeatEventKind(Enum):
    SNAPSHOT = "SNAPSHOT"
    DELTA = "DELTA"


@strawberry.type(description="A snapshot of every seat, or the seats that changed since.")
class SeatAvailabilityEvent:
    show_id: strawberry.ID
    kind: SeatEventKind
    version: int = strawberry.field(description="The show's version this message brings "
                                    "the seats to.")
    from_version: int | None = strawberry.field(
        description="On a DELTA, the version it follows: apply it only to a state at exactly "
                    "this version (else resubscribe). A delta may cover several versions "
                    "(fromVersion < version - 1) when changes came close together. Null on "
                    "a SNAPSHOT, which replaces whatever was known.")
    seats: list[SeatState]
    availability: Availability
    general_admission: list[GeneralAdmissionAvailability] = strawberry.field(
        description="Every standing section's places as of this version (a change of "
                    "standing places only is a delta with no seats).")


def _event(message: dict[str, Any], from_version: int | None) -> SeatAvailabilityEvent:
    """A live message as a SNAPSHOT (``from_version`` None) or a DELTA after it."""
    availability = Availability.from_message(message)
    kind = SeatEventKind.SNAPSHOT if from_version is None else SeatEventKind.DELTA
    return SeatAvailabilityEvent(
        show_id=strawberry.ID(message["show_id"]), kind=kind, version=message["version"],
        from_version=from_version, seats=[SeatState.from_message(s) for s in message["seats"]],
        availability=availability, general_admission=availability.general_admission)


def _held_id(result: object) -> str | None:
    return result.hold.id if isinstance(result, outcomes.Held) else None


@strawberry.type
class Query(QueueQuery):
    @strawberry.field(description="One booking (its owner or an admin).")
    async def booking(self, info: Info, id: strawberry.ID) -> Booking | None:
        return await Booking.resolve_reference(info, id)

    @strawberry.field(description="One hold, with what it will cost (its owner or an admin).")
    async def hold(self, info: Info, id: strawberry.ID) -> SeatHold | None:
        return await SeatHold.resolve_reference(info, id)


@strawberry.type
class Mutation(QueueMutation):
    @strawberry.mutation(description="Hold all of these seats for you (on a journey, from "
                         "segment.from to segment.to; default the whole journey), or none of "
                         "them. A retry with the same idempotencyKey returns the first hold.")
    async def hold_seats(self, info: Info, show_id: strawberry.ID, seat_ids: list[strawberry.ID],
                         idempotency_key: str | None = None,
                         segment: SegmentInput | None = None) -> HoldSeatsResult:
        result = await queued_hold(info, str(show_id), idempotency_key,
                                   lambda: service.hold_seats(
            info.context.service, info.context.caller, str(show_id), [str(s) for s in seat_ids],
            idempotency_key, _pair(segment)), _held_id)
        metrics.hold_answered("seats", isinstance(result, outcomes.SeatsUnavailable))
        if isinstance(result, outcomes.SeatsUnavailable):
            return SeatsUnavailable(seat_ids=[strawberry.ID(s) for s in result.seat_ids])
        return SeatHold.from_held(info, result)

    @strawberry.mutation(description="Hold the best quantity seats left (of category, on "
                         "segment), together in one row when any row has room, never leaving "
                         "a single seat alone; the rule is in the README. SoldOut when they "
                         "do not fit. A retry with the same idempotencyKey returns the first "
                         "hold.")
    async def hold_best_available(
        self, info: Info, show_id: strawberry.ID, quantity: int, category: str | None = None,
        segment: SegmentInput | None = None, idempotency_key: str | None = None,
    ) -> HoldBestAvailableResult:
        result = await queued_hold(info, str(show_id), idempotency_key,
                                   lambda: service.hold_best_available(
            info.context.service, info.context.caller, str(show_id), quantity, category,
            _pair(segment), idempotency_key), _held_id)
        metrics.hold_answered("best_available", isinstance(result, outcomes.SoldOut))
        if isinstance(result, outcomes.SoldOut):
            return SoldOut(available=result.available)
        return SeatHold.from_held(info, result)

    @strawberry.mutation(description="Cancel your booking (until the show starts; admins at "
                         "any time): its seats go back on sale and a paid booking is refunded. "
                         "An expired or cancelled booking is a CONFLICT error.")
    async def cancel_booking(self, info: Info, booking_id: strawberry.ID) -> Booking:
        booking = await service.cancel_booking(info.context.service, info.context.caller,
                                               str(booking_id))
        return Booking.from_model(booking)

    @strawberry.mutation(description="Turn your hold into a booking awaiting payment. "
                         "Retrying with the same idempotencyKey returns the same booking.")
    async def checkout(self, info: Info, hold_id: strawberry.ID,
                       idempotency_key: str) -> CheckoutResult:
        result = await service.checkout(info.context.service, info.context.caller,
                                        str(hold_id), idempotency_key)
        if isinstance(result, outcomes.HoldExpired):
            return HoldExpired(hold_id=strawberry.ID(result.hold_id))
        return Booking.from_model(result)

    @strawberry.mutation(description="Hold this many places of a standing section for you, or "
                         "none (SoldOut when fewer are left). A retry with the same "
                         "idempotencyKey returns the first hold.")
    async def hold_general_admission(
        self, info: Info, show_id: strawberry.ID, section_id: strawberry.ID, quantity: int,
        idempotency_key: str | None = None,
    ) -> HoldGeneralAdmissionResult:
        result = await queued_hold(info, str(show_id), idempotency_key,
                                   lambda: service.hold_general_admission(
            info.context.service, info.context.caller, str(show_id), str(section_id), quantity,
            idempotency_key), _held_id)
        metrics.hold_answered("general_admission", isinstance(result, outcomes.SoldOut))
        if isinstance(result, outcomes.SoldOut):
            return SoldOut(available=result.available)
        return SeatHold.from_held(info, result)

    @strawberry.mutation(description="Give your active hold's seats and places back. A hold "
                         "that is not active (released, expired, checked out) is a CONFLICT "
                         "error whose extensions.status says what it is.")
    async def release_hold(self, info: Info, hold_id: strawberry.ID) -> SeatHold:
        hold = await service.release_hold(info.context.service, info.context.caller,
                                          str(hold_id))
        return SeatHold.from_model(hold)

    @strawberry.mutation(description="Keep your active hold longer: expiresAt becomes now + the "
                         "hold time, never later than the hold's creation + "
                         "TICKETFLOW_HOLD_MAX_SECONDS (default 1800 s), never earlier than "
                         "before. A lapsed hold is HoldExpired; a released or checked-out "
                         "one is a CONFLICT error.")
    async def extend_hold(self, info: Info, hold_id: strawberry.ID) -> ExtendHoldResult:
        result = await service.extend_hold(info.context.service, info.context.caller,
                                           str(hold_id))
        if isinstance(result, outcomes.HoldExpired):
            return HoldExpired(hold_id=strawberry.ID(result.hold_id))
        return SeatHold.from_model(result)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="A snapshot of the show's seats, then every change "
                             "as a delta (changes close together may come as one).")
    async def seat_availability(
        self, info: Info, show_id: strawberry.ID
    ) -> AsyncGenerator[SeatAvailabilityEvent, None]:
        # Over graphql-transport-ws this is served by booking/live.py's shared feed; this
        # generator answers what the feed hands back (an unknown show) and other transports.
        svc = info.context.service
        # Watch before reading the snapshot, so no change falls between the two.
        async with svc.runtime.live.watch(inventory.channel(str(show_id))) as watcher:
            async with svc.db.reader() as session:
                snap = await inventory.snapshot(session, str(show_id))
            if snap is None:
                raise NotFound("No show with this id is on sale.", field="showId")
            yield _event({"show_id": snap.show_id, "version": snap.version,
                          "seats": [s.as_message() for s in snap.seats],
                          **snap.availability.as_message()}, None)
            last = snap.version
            async for message in watcher.messages():
                if message["version"] <= last:
                    continue
                # One message is one version: after a lost one, a client sees the gap.
                last = message["version"]
                yield _event(message, last - 1)


schema = build_schema(Query, Mutation, Subscription, types=[Show, SeatHold, Booking, User])


def waiting_room_routes(app: FastAPI, svc: ServiceBase) -> None:
    """GET /queue/shows: the shows behind a waiting room (the router refuses their holds
    without a pass; it reads this list every few seconds). GET /queue/status/<ticket id>:
    queueStatus without GraphQL, for the crowd's polls (docs/waiting-room.md)."""

    @app.get("/queue/shows")
    async def queued_shows() -> dict[str, list[str]]:
        return {"shows": await waiting_room.queued_show_ids(svc)}

    @app.get("/queue/status/{ticket_id}")
    async def queue_status(ticket_id: str) -> JSONResponse:
        return await queue_schema.plain_status(svc, ticket_id)


SPEC = SubgraphSpec(
    name="booking", schema=schema, metadata=models.Base.metadata, tables=models.TABLES,
    consumes={"venue": service.apply_venue_event, "payment": service.apply_payment_event},
    background=[service.sweeper, waiting_room.admitter],
    routes=waiting_room_routes,
    shared=[live.seat_availability(_event)],
)
