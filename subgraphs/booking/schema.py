"""The booking subgraph's GraphQL schema: holds, bookings, availability and live seats."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from subgraphs.booking import inventory, models, service
from subgraphs.kernel.app import SubgraphSpec
from subgraphs.kernel.auth import require_owner_or_admin
from subgraphs.kernel.errors import NotFound
from subgraphs.kernel.graphql import Info, Money, build_schema, session_batch

_load_counts = session_batch(inventory.counts_by_show)
_load_bookings = session_batch(service.bookings_by_ids)
_load_user_bookings = session_batch(service.bookings_by_users)
_load_lines = session_batch(service.lines_by_bookings)
_load_hold_seats = session_batch(service.hold_seat_ids)


@strawberry.enum(description="A seat's state as buyers see it.")
class SeatStatus(Enum):
    AVAILABLE = "AVAILABLE"
    HELD = "HELD"
    SOLD = "SOLD"


@strawberry.type(description="How many seats of a show are in each state.")
class Availability:
    total: int
    available: int
    held: int
    sold: int

    @classmethod
    def from_counts(cls, c: inventory.Counts) -> Availability:
        return cls(total=c.total, available=c.available, held=c.held, sold=c.sold)


@strawberry.type
class SeatState:
    seat_id: strawberry.ID
    state: SeatStatus


@strawberry.federation.type(keys=["id"])
class Show:
    id: strawberry.ID

    @strawberry.field(description="Seat counts; null until booking has the show's inventory.")
    async def availability(self, info: Info) -> Availability | None:
        counts = await info.context.loader(_load_counts).load(str(self.id))
        return None if counts is None else Availability.from_counts(counts)

    @strawberry.field(description="Every seat's state, in seat-map order.")
    async def seat_states(self, info: Info) -> list[SeatState]:
        async with info.context.service.db.session() as session:
            snap = await inventory.snapshot(session, str(self.id))
        if snap is None:
            return []
        return [SeatState(seat_id=strawberry.ID(s.seat_id), state=SeatStatus(s.state))
                for s in snap.seats]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Show:
        return cls(id=id)


@strawberry.federation.type(keys=["id"], description="Seats reserved for a buyer for a while.")
class SeatHold:
    id: strawberry.ID
    show: Show
    expires_at: datetime
    status: str

    @strawberry.field
    async def seat_ids(self, info: Info) -> list[strawberry.ID]:
        seats = await info.context.loader(_load_hold_seats).load(str(self.id))
        return [strawberry.ID(s) for s in seats]

    @classmethod
    def from_model(cls, h: models.Hold) -> SeatHold:
        return cls(id=strawberry.ID(h.id), show=Show(id=strawberry.ID(h.show_id)),
                   expires_at=h.expires_at, status=h.status)


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


@strawberry.federation.type(keys=["id"], description="Seats bought (or being paid for).")
class Booking:
    id: strawberry.ID
    status: BookingStatus
    show: Show
    total: Money
    created_at: datetime

    @strawberry.field
    async def lines(self, info: Info) -> list[BookingLine]:
        rows = await info.context.loader(_load_lines).load(str(self.id))
        return [BookingLine(seat_id=strawberry.ID(r.seat_id), label=r.label,
                            price=Money(amount=r.price_amount, currency=self.total.currency))
                for r in rows]

    @classmethod
    def from_model(cls, b: models.Booking) -> Booking:
        return cls(id=strawberry.ID(b.id), status=BookingStatus(b.status),
                   show=Show(id=strawberry.ID(b.show_id)),
                   total=Money(amount=b.total_amount, currency=b.currency),
                   created_at=b.created_at)

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
    code: str = "SEATS_UNAVAILABLE"
    message: str = "Some of these seats are no longer available."
    seat_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.type(description="The hold lapsed before checkout; hold the seats again.")
class HoldExpired:
    code: str = "HOLD_EXPIRED"
    message: str = "The hold has expired."
    hold_id: strawberry.ID = strawberry.ID("")


HoldSeatsResult = Annotated[SeatHold | SeatsUnavailable,
                            strawberry.union("HoldSeatsResult")]
CheckoutResult = Annotated[Booking | HoldExpired, strawberry.union("CheckoutResult")]


@strawberry.enum
class SeatEventKind(Enum):
    SNAPSHOT = "SNAPSHOT"
    DELTA = "DELTA"


@strawberry.type(description="A snapshot of every seat, or the seats that changed since.")
class SeatAvailabilityEvent:
    show_id: strawberry.ID
    kind: SeatEventKind
    version: int = strawberry.field(description="Consecutive per show; a gap means resubscribe.")
    seats: list[SeatState]
    availability: Availability


def _event(kind: SeatEventKind, show_id: str, version: int, seats: list[dict[str, str]],
           counts: dict[str, int]) -> SeatAvailabilityEvent:
    return SeatAvailabilityEvent(
        show_id=strawberry.ID(show_id), kind=kind, version=version,
        seats=[SeatState(seat_id=strawberry.ID(s["seat_id"]), state=SeatStatus(s["state"]))
               for s in seats],
        availability=Availability(**counts))


@strawberry.type
class Query:
    @strawberry.field(description="One booking (its owner or an admin).")
    async def booking(self, info: Info, id: strawberry.ID) -> Booking | None:
        return await Booking.resolve_reference(info, id)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Hold all of these seats for you, or none of them. "
                         "A retry with the same idempotencyKey returns the first hold.")
    async def hold_seats(self, info: Info, show_id: strawberry.ID, seat_ids: list[strawberry.ID],
                         idempotency_key: str | None = None) -> HoldSeatsResult:
        result = await service.hold_seats(info.context.service, info.context.caller,
                                          str(show_id), [str(s) for s in seat_ids],
                                          idempotency_key)
        if isinstance(result, service.SeatsTaken):
            return SeatsUnavailable(seat_ids=[strawberry.ID(s) for s in result.seat_ids])
        return SeatHold.from_model(result)

    @strawberry.mutation(description="Turn your hold into a booking awaiting payment. "
                         "Retrying with the same idempotencyKey returns the same booking.")
    async def checkout(self, info: Info, hold_id: strawberry.ID,
                       idempotency_key: str) -> CheckoutResult:
        result = await service.checkout(info.context.service, info.context.caller,
                                        str(hold_id), idempotency_key)
        if isinstance(result, service.HoldLapsed):
            return HoldExpired(hold_id=strawberry.ID(result.hold_id))
        return Booking.from_model(result)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="A snapshot of the show's seats, then every change.")
    async def seat_availability(
        self, info: Info, show_id: strawberry.ID
    ) -> AsyncGenerator[SeatAvailabilityEvent, None]:
        svc = info.context.service
        # Watch before reading the snapshot, so no change falls between the two.
        async with svc.runtime.live.watch(inventory.channel(str(show_id))) as watcher:
            async with svc.db.session() as session:
                snap = await inventory.snapshot(session, str(show_id))
            if snap is None:
                raise NotFound("No show with this id is on sale.", field="showId")
            yield _event(SeatEventKind.SNAPSHOT, snap.show_id, snap.version,
                         [{"seat_id": s.seat_id, "state": s.state} for s in snap.seats],
                         snap.counts.as_dict())
            last = snap.version
            async for message in watcher.messages():
                if message["version"] <= last:
                    continue
                last = message["version"]
                yield _event(SeatEventKind.DELTA, message["show_id"], message["version"],
                             message["seats"], message["counts"])


schema = build_schema(Query, Mutation, Subscription, types=[Show, SeatHold, Booking, User])
SPEC = SubgraphSpec(
    name="booking", schema=schema, metadata=models.Base.metadata, tables=models.TABLES,
    consumes={"venue": inventory.apply_venue_event},
    background=[service.sweeper],
)
