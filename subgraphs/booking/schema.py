"""The booking subgraph's GraphQL schema: holds, bookings, availability and live seats.

Longer than most modules on purpose: booking has the largest part of the graph, and its
types stay beside the resolvers that fill them (each resolver a call of :mod:`.service`),
so one file shows the whole of booking's API.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, cast

import strawberry
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from strawberry.scalars import JSON

from subgraphs.booking import (
    backoffice_schema,
    checkins,
    exports,
    inventory,
    live,
    models,
    outcomes,
    promo_rules,
    promos,
    queue_schema,
    reads,
    service,
    waiting_room,
    waitlist,
)
from subgraphs.booking.backoffice import Search
from subgraphs.booking.backoffice_schema import BookingEvent, BookingPageInfo
from subgraphs.booking.fares_schema import Fare, load_hold_classes, show_fares
from subgraphs.booking.promo_types import (
    CreatePromoCodeInput,
    PromoCode,
    PromoCodeRejected,
)
from subgraphs.booking.queue_schema import (
    QueueMutation,
    QueueQuery,
    ShowQueue,
    queued_hold,
    show_queue,
)
from subgraphs.booking.reports_schema import SalesReport, sales_report
from subgraphs.kernel import metrics
from subgraphs.kernel.auth import require_owner_or_admin
from subgraphs.kernel.errors import ErrorCode, NotFound, present
from subgraphs.kernel.graphql import Info, Money, build_schema, session_batch
from subgraphs.kernel.inputs import text_rule
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
_load_hold_codes = session_batch(promos.codes_of_holds)


async def _priced(info: Info, hold_id: str) -> tuple[reads.HoldPrice, list[int]]:
    """A hold's prices and what its promo code takes off each line (zeros without one)."""
    price = await info.context.loader(_load_hold_prices).load(hold_id)
    code = await info.context.loader(_load_hold_codes).load(hold_id)
    return price, promo_rules.discounts(code, promo_rules.lines_of(price))
_load_check_in_counts = session_batch(checkins.counts_by_show)


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

    @strawberry.field(description="How many wait for this show and how many hold an offer "
                      "(the show's organizer and admins).")
    async def waiting_list(self, info: Info) -> WaitingListCounts | None:
        found = await waitlist.line_counts(info.context.service, info.context.caller,
                                           str(self.id))
        return None if found is None else WaitingListCounts(waiting=found.waiting,
                                                            offered=found.offered)

    @strawberry.field(description="What a seat costs over segment (default the whole "
                      "journey) in each category, without a fare class and in each of the "
                      "show's; README: Journeys.")
    async def fares(self, info: Info, segment: SegmentInput | None = None) -> list[Fare]:
        return await show_fares(info, str(self.id), _pair(segment))

    @strawberry.field(description="What the show sold (its organizer and admins; others are "
                      "FORBIDDEN); null until booking has the show. README: Reports and "
                      "exports.")
    async def sales_report(self, info: Info) -> SalesReport | None:
        return await sales_report(str(self.id), info)
    @strawberry.field(description=(
        "What a gate device needs to admit people offline: the show's tickets (of confirmed "
        "bookings), the scans recorded so far and notification's ticket keys (door staff of "
        "the venue, its organizer, admins); for a large show, page them and then follow "
        "what changes (README: Check-in). Null when booking has no such show."))
    async def check_in_list(self, info: Info) -> CheckInList | None:
        svc = info.context.service
        show = await checkins.show_for_door(svc, info.context.caller, str(self.id))
        if show is None:
            return None
        counts = await info.context.loader(_load_check_in_counts).load(show.id)
        return CheckInList(show_id=strawberry.ID(show.id), admitted=counts.admitted,
                           expected=counts.expected, show=show, full=[])

    @strawberry.field(description=(
        "Tickets let in so far and tickets expected (of confirmed bookings), kept as "
        "counters (door staff of the venue, its organizer, admins). Null when booking has "
        "no such show."))
    async def check_in(self, info: Info) -> CheckInCounts | None:
        show = await checkins.show_for_door(info.context.service, info.context.caller,
                                            str(self.id))
        if show is None:
            return None
        counts = await info.context.loader(_load_check_in_counts).load(show.id)
        return CheckInCounts(admitted=counts.admitted, expected=counts.expected)

    @strawberry.field(description="The show's waiting room (docs/waiting-room.md): null "
                      "when it has none; its organizer's and admins' otherwise.")
    async def queue(self, info: Info) -> ShowQueue | None:
        return await show_queue(info, str(self.id))

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Show:
        return cls(id=id)


@strawberry.type(description="A show's waiting list: entries still waiting, and entries "
                 "holding an offer.")
class WaitingListCounts:
    waiting: int
    offered: int


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


@strawberry.type(description="The ticket type a line is sold as (shows with ticket types).")
class LineTicketType:
    key: str = strawberry.field(description="e.g. CHILD")
    name: str = strawberry.field(description="e.g. Child: what mails and tickets name.")

    @classmethod
    def of(cls, pair: tuple[str | None, str | None] | None) -> LineTicketType | None:
        if pair is None or pair[0] is None:
            return None
        return cls(key=pair[0], name=pair[1] or pair[0])


@strawberry.input(description="The ticket type one seat of a hold is sold as.")
class SeatTicketTypeInput:
    seat_id: strawberry.ID
    ticket_type: str = strawberry.field(description="The key of one of Show.ticketTypes.")


@strawberry.type(description="One line of what a hold will cost at checkout: a seat, or the "
                 "places held in one standing section.")
class HoldLine:
    seat_id: strawberry.ID | None = strawberry.field(description="Null for standing places.")
    section_id: strawberry.ID | None = strawberry.field(description="Null for seats.")
    label: str = strawberry.field(description="The seat's label or the section's name.")
    quantity: int
    unit_price: Money
    price: Money = strawberry.field(description="Before the discount.")
    discount: Money = strawberry.field(description="What the hold's promo code takes off this "
                                       "line (zero without one).")
    ticket_type: LineTicketType | None = strawberry.field(
        default=None, description="The ticket type, on a show with ticket types (its price "
        "as it was when the hold was made); null otherwise.")


@strawberry.federation.type(keys=["id"], description="Seats (or standing places) reserved for "
                            "a buyer for a while. status: ACTIVE, CHECKED_OUT, BOOKED (paid), "
                            "RELEASED, EXPIRED; RESERVED while seats gather for a waiting list's "
                            "offer.")
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

    @strawberry.field(description="The fare class the seats were held in (null: none).")
    async def fare_class(self, info: Info) -> str | None:
        found: str | None = await info.context.loader(load_hold_classes).load(str(self.id))
        return found

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
        found, off = await _priced(info, str(self.id))

        def money(amount: int) -> Money:
            return Money(amount=amount, currency=found.currency)

        seats = len(found.seats)
        return [HoldLine(seat_id=strawberry.ID(s.seat_id), section_id=None, label=s.label,
                         quantity=1, unit_price=money(s.price_amount),
                         price=money(s.price_amount), discount=money(off[i]),
                         ticket_type=LineTicketType.of(s.ticket_type))
                for i, s in enumerate(found.seats)] + [
            HoldLine(seat_id=None, section_id=strawberry.ID(g.section_id), label=g.name,
                     quantity=a.quantity, unit_price=money(found.unit_price(g)),
                     price=money(a.quantity * found.unit_price(g)),
                     discount=money(off[seats + i]),
                     ticket_type=LineTicketType.of(found.place_type(g)))
            for i, (a, g) in enumerate(found.places)]

    @strawberry.field(description="What checkout will charge for this hold: the lines' prices "
                      "less the discount.")
    async def total(self, info: Info) -> Money:
        found, off = await _priced(info, str(self.id))
        return Money(amount=found.total - sum(off), currency=found.currency)

    @strawberry.field(description="What the hold's promo code takes off (zero without one); "
                      "checkout checks the code again and redeems it.")
    async def discount(self, info: Info) -> Money:
        found, off = await _priced(info, str(self.id))
        return Money(amount=sum(off), currency=found.currency)

    @strawberry.field(description="The promo code applied to this hold, as its organizer "
                      "wrote it (null when none).")
    async def promo_code(self, info: Info) -> str | None:
        code = await info.context.loader(_load_hold_codes).load(str(self.id))
        return None if code is None else code.code

    @classmethod
    def from_model(cls, h: models.Hold) -> SeatHold:
        return cls(id=strawberry.ID(h.id), show=Show(id=strawberry.ID(h.show_id)),
                   expires_at=h.expires_at, status=h.status, legs=(h.leg_from, h.leg_to))

    @classmethod
    def from_held(cls, info: Info, held: outcomes.Held, with_code: bool = False) -> SeatHold:
        """A hold a mutation returns: what it just made is known, so its seats and prices
        (and that it has no promo code, unless made with one) are given to the request's
        loader instead of being read back."""
        if held.price is not None:
            info.context.loader(_load_hold_prices).prime(held.hold.id, held.price)
            if not with_code:
                info.context.loader(_load_hold_codes).prime(held.hold.id, None)
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
    price: Money = strawberry.field(description="Before the discount.")
    discount: Money = strawberry.field(description="Taken off by a promo code at checkout "
                                       "(zero without one); never changes afterwards.")
    ticket_type: LineTicketType | None = strawberry.field(
        default=None, description="The ticket type sold (null on a show without types).")


@strawberry.type(description="Standing places bought in one section, at the section's price.")
class AdmissionLine:
    section_id: strawberry.ID
    name: str
    quantity: int
    unit_price: Money
    price: Money = strawberry.field(description="Before the discount.")
    discount: Money = strawberry.field(description="Taken off these places by a promo code.")
    ticket_type: LineTicketType | None = strawberry.field(
        default=None, description="The ticket type sold (null on a show without types).")


@strawberry.federation.type(keys=["id"], description="Seats bought (or being paid for).")
class Booking:
    id: strawberry.ID
    status: BookingStatus
    show: Show
    total: Money = strawberry.field(description="What is paid: the lines less the discount.")
    discount: Money = strawberry.field(description="What a promo code took off at checkout "
                                       "(zero without one).")
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
        currency = self.total.currency
        return [BookingLine(seat_id=strawberry.ID(r.seat_id), label=r.label,
                            price=Money(amount=r.price_amount, currency=currency),
                            discount=Money(amount=r.discount_amount, currency=currency),
                            ticket_type=LineTicketType.of((r.ticket_type, r.ticket_type_name)))
                for r in rows]

    @strawberry.field(description="Standing places, per section.")
    async def general_admission(self, info: Info) -> list[AdmissionLine]:
        rows = await info.context.loader(_load_booking_places).load(str(self.id))
        currency = self.total.currency
        return [AdmissionLine(section_id=strawberry.ID(r.section_id), name=r.name,
                              quantity=r.quantity,
                              unit_price=Money(amount=r.price_amount, currency=currency),
                              price=Money(amount=r.price_amount * r.quantity, currency=currency),
                              discount=Money(amount=r.discount_amount, currency=currency),
                              ticket_type=LineTicketType.of((r.ticket_type,
                                                             r.ticket_type_name)))
                for r in rows]

    @strawberry.field(description="What happened to it, oldest first (its owner, its show's "
                      "organizer, admins).")
    async def history(self, info: Info) -> list[BookingEvent]:
        booking = present(await info.context.loader(_load_bookings).load(str(self.id)),
                          "a booking")
        show = await info.context.loader(_load_shows).load(booking.show_id)
        return await backoffice_schema.history(info, booking, show)

    @classmethod
    def from_model(cls, b: models.Booking) -> Booking:
        return cls(id=strawberry.ID(b.id), status=BookingStatus(b.status),
                   show=Show(id=strawberry.ID(b.show_id)),
                   total=Money(amount=b.total_amount, currency=b.currency),
                   discount=Money(amount=b.discount_amount, currency=b.currency),
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


@strawberry.input(description="Which bookings organizerBookings lists: all fields optional, "
                  "every one given must match.")
class BookingSearch:
    show_id: strawberry.ID | None = None
    venue_id: strawberry.ID | None = None
    status: BookingStatus | None = None
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="The customer's user id (search by e-mail is not offered: "
        "booking does not know addresses).")
    created_from: datetime | None = strawberry.field(default=None,
                                                     description="Ordered at or after.")
    created_to: datetime | None = strawberry.field(default=None, description="Ordered before.")
    seat: str | None = strawberry.field(default=None, description="A seat label, exactly.",
                                        metadata=text_rule(40))

    def rules(self) -> Search:
        return Search(
            show_id=None if self.show_id is None else str(self.show_id),
            venue_id=None if self.venue_id is None else str(self.venue_id),
            status=None if self.status is None else self.status.value,
            customer_id=None if self.customer_id is None else str(self.customer_id),
            created_from=self.created_from, created_to=self.created_to, seat=self.seat)


@strawberry.type
class BookingEdge:
    cursor: str
    node: Booking


@strawberry.type(description="A page of bookings, newest first.")
class BookingConnection:
    edges: list[BookingEdge]
    page_info: BookingPageInfo


@strawberry.type(description="The ticket is let in: its first scan.")
class CheckedIn:
    ticket_id: strawberry.ID
    seat: str = strawberry.field(description="The seat's label, or the standing place's.")
    at: datetime
    gate: str


@strawberry.type(description="The ticket was let in before: when and where.")
class AlreadyCheckedIn:
    ticket_id: strawberry.ID
    at: datetime
    gate: str


@strawberry.type(description=(
    "The ticket lets nobody in. code: BAD_SIGNATURE (not signed by TicketFlow's ticket "
    "keys), UNKNOWN_TICKET, WRONG_SHOW, NOT_CONFIRMED (its booking was cancelled or "
    "refunded), WRONG_STOP (a journey's ticket boards at another stop)."))
class TicketRefused:
    code: str
    reason: str


CheckInResult = Annotated[CheckedIn | AlreadyCheckedIn | TicketRefused,
                          strawberry.union("CheckInResult")]


@strawberry.input(description="A scan a gate made offline.")
class CheckInScanInput:
    ticket_id: strawberry.ID = strawberry.field(description="The ticket's tid.")
    at: datetime = strawberry.field(description="When the gate scanned it.")
    gate: str


@strawberry.type(description="A ticket's scan: when and at which gate.")
class CheckInScan:
    ticket_id: strawberry.ID
    at: datetime
    gate: str

    @classmethod
    def of(cls, scan: checkins.Scan | models.CheckIn) -> CheckInScan:
        return cls(ticket_id=strawberry.ID(scan.ticket_id), at=scan.at, gate=scan.gate)


@strawberry.type(description="One ticket scanned at two gates: the scan that counts (the "
                 "earliest) and the one that does not.")
class CheckInConflict:
    ticket_id: strawberry.ID
    winner: CheckInScan
    loser: CheckInScan


@strawberry.type(description="An uploaded scan of a ticket that lets nobody in (codes as "
                 "TicketRefused's); it is not recorded.")
class RefusedScan:
    ticket_id: strawberry.ID
    code: str
    reason: str


@strawberry.type(description="What uploadCheckIns made of the scans.")
class CheckInUpload:
    recorded: int = strawberry.field(description="Tickets let in by this upload.")
    unchanged: int = strawberry.field(description="Scans recorded before, exactly so (a "
                                      "re-upload).")
    conflicts: list[CheckInConflict]
    refused: list[RefusedScan]
    admitted: int = strawberry.field(description="Tickets of the show let in so far.")


@strawberry.type(description="A ticket the door expects: one seat or standing place of a "
                 "confirmed booking.")
class ExpectedTicket:
    ticket_id: strawberry.ID = strawberry.field(description="The ticket token's tid.")
    seat: str
    booking_id: strawberry.ID
    holder: User
    checked_in: CheckInScan | None = strawberry.field(description="Its scan, if let in.")


@strawberry.type(description="Tickets let in and expected.")
class CheckInCounts:
    admitted: int
    expected: int


@strawberry.type(description="A page of a show's tickets; pass pageInfo.endCursor as "
                 "after for the next.")
class ExpectedTicketConnection:
    nodes: list[ExpectedTicket]
    page_info: BookingPageInfo


@strawberry.type(description="A ticket whose booking was confirmed or cancelled.")
class TicketChange:
    ticket: ExpectedTicket
    admits: bool = strawberry.field(description="True: its booking is confirmed (let it "
                                    "in); false: cancelled, refuse it.")


@strawberry.type(description="A page of ticket changes, in the order they were committed; "
                 "keep pageInfo.endCursor for the next sync.")
class TicketChangeConnection:
    nodes: list[TicketChange]
    page_info: BookingPageInfo


@strawberry.type(description="A page of scans, in the order they were recorded; keep "
                 "pageInfo.endCursor for the next sync.")
class CheckInScanConnection:
    nodes: list[CheckInScan]
    page_info: BookingPageInfo


def _expected(t: checkins.ExpectedTicket, scan: models.CheckIn | None) -> ExpectedTicket:
    return ExpectedTicket(ticket_id=strawberry.ID(t.ticket_id), seat=t.seat,
                          booking_id=strawberry.ID(t.booking_id),
                          holder=User(id=strawberry.ID(t.holder_id)),
                          checked_in=None if scan is None else CheckInScan.of(scan))


def _page_info(has_next_page: bool, end_cursor: str | None) -> BookingPageInfo:
    return BookingPageInfo(has_next_page=has_next_page, end_cursor=end_cursor)


@strawberry.type(description="What a gate device needs to admit people offline. A small "
                 "show's device may read tickets and scans whole; a large one's pages "
                 "ticketsPage once (after reading changesCursor) and then, each sync, "
                 "ticketChanges and scansAfter from the cursors it kept (README: Check-in).")
class CheckInList:
    show_id: strawberry.ID
    admitted: int
    expected: int
    show: strawberry.Private[models.BookableShow]
    # The whole list, read once for tickets and scans together.
    full: strawberry.Private[list[tuple[list[checkins.ExpectedTicket], list[models.CheckIn]]]]

    async def _whole(self, info: Info) -> tuple[list[checkins.ExpectedTicket],
                                                list[models.CheckIn]]:
        if not self.full:
            self.full.append(await checkins.check_in_list(info.context.service, self.show))
        return self.full[0]

    @strawberry.field(description="Every ticket of the show's confirmed bookings in one "
                      "answer: fine for a small show; page ticketsPage for a large one.")
    async def tickets(self, info: Info) -> list[ExpectedTicket]:
        tickets, scans = await self._whole(info)
        by_ticket = {s.ticket_id: s for s in scans}
        return [_expected(t, by_ticket.get(t.ticket_id)) for t in tickets]

    @strawberry.field(description="Scans recorded so far, earliest first: fine for a small "
                      "show; follow scansAfter for a large one.")
    async def scans(self, info: Info) -> list[CheckInScan]:
        _, scans = await self._whole(info)
        return [CheckInScan.of(s) for s in scans]

    @strawberry.field(description="Notification's public ticket keys (JWKS): verify ticket "
                      "tokens with them offline.")
    async def ticket_keys(self, info: Info) -> JSON:
        return cast(JSON, await checkins.ticket_keys_document(info.context.service))

    @strawberry.field(description=(
        "The show's tickets (of confirmed bookings), first at a time: bookings in the order "
        "they were made, each booking's tickets in its order (a booking may straddle two "
        "pages). Keyset cursors: bookings confirmed meanwhile never shift a page; "
        "ticketChanges from changesCursor brings them. first is 1 to 5000; a bad first or "
        "after is BAD_USER_INPUT."))
    async def tickets_page(self, info: Info, first: int = 1000,
                           after: str | None = None) -> ExpectedTicketConnection:
        page = await checkins.ticket_page(info.context.service, self.show, first, after)
        return ExpectedTicketConnection(
            nodes=[_expected(t, page.scans.get(t.ticket_id)) for t, _ in page.tickets],
            page_info=_page_info(page.has_next_page, page.end_cursor))

    @strawberry.field(description="A ticketChanges cursor for what changes from now on: "
                      "read it before paging ticketsPage.")
    async def changes_cursor(self, info: Info) -> str:
        return await checkins.changes_start(info.context.service, self.show)

    @strawberry.field(description=(
        "The tickets of bookings confirmed or cancelled after `after` (changesCursor or a "
        "previous page's endCursor; null: every confirmed booking and every numbered "
        "cancellation), in the order they were committed, each booking at its latest "
        "change. admits: false means its booking was cancelled: refuse the ticket. first "
        "is 1 to 5000; a bad first or after is BAD_USER_INPUT."))
    async def ticket_changes(self, info: Info, first: int = 1000,
                             after: str | None = None) -> TicketChangeConnection:
        page = await checkins.ticket_changes(info.context.service, self.show, first, after)
        return TicketChangeConnection(
            nodes=[TicketChange(ticket=_expected(t, page.scans.get(t.ticket_id)),
                                admits=admits) for t, admits in page.tickets],
            page_info=_page_info(page.has_next_page, page.end_cursor))

    @strawberry.field(description=(
        "Scans in the order booking recorded them (not by `at`: a gate that was offline "
        "uploads late, with earlier times), after `after` (a previous page's endCursor; "
        "null: from the first). A ticket whose scan an earlier upload replaced comes "
        "again. first is 1 to 5000; a bad first or after is BAD_USER_INPUT."))
    async def scans_after(self, info: Info, first: int = 1000,
                          after: str | None = None) -> CheckInScanConnection:
        page = await checkins.scans_after(info.context.service, self.show, first, after)
        return CheckInScanConnection(nodes=[CheckInScan.of(s) for s in page.scans],
                                     page_info=_page_info(page.has_next_page,
                                                          page.end_cursor))


def _check_in_result(result: checkins.CheckedIn | checkins.AlreadyCheckedIn
                     | checkins.TicketRefused) -> CheckedIn | AlreadyCheckedIn | TicketRefused:
    if isinstance(result, checkins.CheckedIn):
        return CheckedIn(ticket_id=strawberry.ID(result.ticket_id), seat=result.seat,
                         at=result.at, gate=result.gate)
    if isinstance(result, checkins.AlreadyCheckedIn):
        return AlreadyCheckedIn(ticket_id=strawberry.ID(result.ticket_id), at=result.at,
                                gate=result.gate)
    return TicketRefused(code=result.code, reason=result.reason)


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


@strawberry.enum(description="WAITING in line (seats may be gathering), OFFERED (a hold "
                 "awaits checkout until offerExpiresAt), CLAIMED (checked out), EXPIRED (the "
                 "offer lapsed, or the show was cancelled), LEFT.")
class WaitingListStatus(Enum):
    WAITING = "WAITING"
    OFFERED = "OFFERED"
    CLAIMED = "CLAIMED"
    EXPIRED = "EXPIRED"
    LEFT = "LEFT"


@strawberry.type(description="Your place on a sold-out show's waiting list.")
class WaitingListEntry:
    id: strawberry.ID
    show: Show
    position: int = strawberry.field(description="Your number in the show's line: the order "
                                     "of joining (1 joined first); offers go in this order.")
    status: WaitingListStatus
    quantity: int
    category: str | None
    section_id: strawberry.ID | None
    joined_at: datetime
    hold_id: strawberry.Private[str | None]
    offered_until: strawberry.Private[datetime | None]

    @strawberry.field(description="Until when the offer's hold waits for checkout (an "
                      "extendHold of the offer moves it).")
    async def offer_expires_at(self, info: Info) -> datetime | None:
        if self.hold_id is None or self.status != WaitingListStatus.OFFERED:
            return self.offered_until
        hold = await info.context.loader(_load_holds).load(self.hold_id)
        return self.offered_until if hold is None else hold.expires_at

    @strawberry.field(description="The seats offered, held in your name: check the hold out "
                      "as any hold (OFFERED and CLAIMED entries; null otherwise).")
    async def offer(self, info: Info) -> SeatHold | None:
        if self.hold_id is None or self.status not in (WaitingListStatus.OFFERED,
                                                       WaitingListStatus.CLAIMED):
            return None
        hold = await info.context.loader(_load_holds).load(self.hold_id)
        return None if hold is None else SeatHold.from_model(hold)

    @classmethod
    def from_model(cls, e: models.WaitingListEntry) -> WaitingListEntry:
        return cls(id=strawberry.ID(e.id), show=Show(id=strawberry.ID(e.show_id)),
                   position=e.position, status=WaitingListStatus(e.status),
                   quantity=e.quantity, category=e.category,
                   section_id=None if e.section_id is None else strawberry.ID(e.section_id),
                   joined_at=e.joined_at, hold_id=e.hold_id,
                   offered_until=e.offer_expires_at)


@strawberry.type(description="Enough seats are on sale now: buy them instead of waiting.")
class PlacesAvailable:
    code: str = "PLACES_AVAILABLE"
    message: str = "Enough seats are available: hold them instead of waiting."
    available: int = strawberry.field(default=0, description="Matching seats on sale now.")


JoinWaitingListResult = Annotated[WaitingListEntry | PlacesAvailable,
                                  strawberry.union("JoinWaitingListResult")]
HoldSeatsResult = Annotated[SeatHold | SeatsUnavailable | PromoCodeRejected,
                            strawberry.union("HoldSeatsResult")]
HoldGeneralAdmissionResult = Annotated[SeatHold | SoldOut | PromoCodeRejected,
                                       strawberry.union("HoldGeneralAdmissionResult")]
HoldBestAvailableResult = Annotated[SeatHold | SoldOut | PromoCodeRejected,
                                    strawberry.union("HoldBestAvailableResult")]
PROMO_ARG = ("A promo code of the show's organizer to hold with (as applyPromoCode; "
             "PromoCodeRejected when it cannot be used, nothing held). Seats and places of "
             "a hidden category are held only with a code that unlocks it.")
PromoCodeArg = Annotated[str | None, strawberry.argument(description=PROMO_ARG)]
FareClassArg = Annotated[str | None, strawberry.argument(description=(
    "A fare class of the show (Show.fares), e.g. SAVER: its price, and its quota on every "
    "leg of the segment (CONFLICT when it has too few seats left)."))]
TicketTypeArg = Annotated[str | None, strawberry.argument(description=(
    "On a show with ticket types, the key of the type every seat or place is sold as "
    "(default: the show's default type); on a show without types, leave it out."))]
TicketTypesArg = Annotated[list[SeatTicketTypeInput] | None, strawberry.argument(description=(
    "On a show with ticket types, the type of each seat that is not the show's default type "
    "(say one Child among Adults); on a show without types, leave it out."))]
CheckoutResult = Annotated[Booking | HoldExpired | PromoCodeRejected,
                           strawberry.union("CheckoutResult")]
ApplyPromoCodeResult = Annotated[SeatHold | PromoCodeRejected,
                                 strawberry.union("ApplyPromoCodeResult")]
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

    @strawberry.field(description="Bookings of the caller's shows (an organizer's; every "
                      "show's for admins), newest first, a page at a time (first: 1 to 100).")
    async def organizer_bookings(self, info: Info, filter: BookingSearch | None = None,
                                 first: int = 20,
                                 after: str | None = None) -> BookingConnection:
        page = await backoffice_schema.search(
            info, Search() if filter is None else filter.rules(), first, after)
        return BookingConnection(
            edges=[BookingEdge(cursor=c, node=Booking.from_model(b))
                   for b, c in zip(page.bookings, page.cursors, strict=True)],
            page_info=BookingPageInfo(has_next_page=page.has_next_page,
                                      end_cursor=page.end_cursor))

    @strawberry.field(description="Your waiting-list entries, newest first.")
    async def my_waiting_lists(self, info: Info) -> list[WaitingListEntry]:
        found = await waitlist.my_waiting_lists(info.context.service, info.context.caller)
        return [WaitingListEntry.from_model(e) for e in found]

    @strawberry.field(description="Promo codes, newest first: an organizer's own; an admin's "
                      "choice of organizer (everyone's without organizerId).")
    async def promo_codes(self, info: Info,
                          organizer_id: strawberry.ID | None = None) -> list[PromoCode]:
        found = await promos.codes(info.context.service, info.context.caller,
                                   None if organizer_id is None else str(organizer_id))
        return [PromoCode.from_model(c) for c in found]


@strawberry.type
class Mutation(QueueMutation):
    @strawberry.mutation(description="Hold all of these seats for you (on a journey, from "
                         "segment.from to segment.to; default the whole journey), or none of "
                         "them. A retry with the same idempotencyKey returns the first hold.")
    async def hold_seats(self, info: Info, show_id: strawberry.ID, seat_ids: list[strawberry.ID],
                         idempotency_key: str | None = None,
                         segment: SegmentInput | None = None,
                         promo_code: PromoCodeArg = None,
                         fare_class: FareClassArg = None,
                         ticket_types: TicketTypesArg = None) -> HoldSeatsResult:
        result = await queued_hold(info, str(show_id), idempotency_key,
                                   lambda: service.hold_seats(
            info.context.service, info.context.caller, str(show_id), [str(s) for s in seat_ids],
            idempotency_key, _pair(segment), promo_code, fare_class=fare_class,
            seat_ticket_types=None if ticket_types is None else [
                (str(t.seat_id), t.ticket_type) for t in ticket_types]), _held_id)
        if isinstance(result, promo_rules.Rejected):  # nothing was asked of the seats
            return PromoCodeRejected.of(result)
        metrics.hold_answered("seats", isinstance(result, outcomes.SeatsUnavailable))
        if isinstance(result, outcomes.SeatsUnavailable):
            return SeatsUnavailable(seat_ids=[strawberry.ID(s) for s in result.seat_ids])
        return SeatHold.from_held(info, result, promo_code is not None)

    @strawberry.mutation(description="Hold the best quantity seats left (of category, on "
                         "segment), together in one row when any row has room, never leaving "
                         "a single seat alone; the rule is in the README. SoldOut when they "
                         "do not fit. A retry with the same idempotencyKey returns the first "
                         "hold.")
    async def hold_best_available(
        self, info: Info, show_id: strawberry.ID, quantity: int, category: str | None = None,
        segment: SegmentInput | None = None, idempotency_key: str | None = None,
        promo_code: PromoCodeArg = None, fare_class: FareClassArg = None,
        ticket_type: TicketTypeArg = None,
    ) -> HoldBestAvailableResult:
        result = await queued_hold(info, str(show_id), idempotency_key,
                                   lambda: service.hold_best_available(
            info.context.service, info.context.caller, str(show_id), quantity, category,
            _pair(segment), idempotency_key, promo_code, fare_class=fare_class,
            ticket_type=ticket_type), _held_id)
        if isinstance(result, promo_rules.Rejected):  # nothing was asked of the seats
            return PromoCodeRejected.of(result)
        metrics.hold_answered("best_available", isinstance(result, outcomes.SoldOut))
        if isinstance(result, outcomes.SoldOut):
            return SoldOut(available=result.available)
        return SeatHold.from_held(info, result, promo_code is not None)

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
        if isinstance(result, promo_rules.Rejected):
            return PromoCodeRejected.of(result)
        return Booking.from_model(result)

    @strawberry.mutation(description="Make a promo code for your shows (organizers; admins for "
                         "any organizer). A retry with the same idempotencyKey returns the "
                         "first code; the same code text again is a CONFLICT error.")
    async def create_promo_code(self, info: Info, input: CreatePromoCodeInput,
                                idempotency_key: str | None = None) -> PromoCode:
        code = await promos.create_code(info.context.service, info.context.caller,
                                        input.read(), idempotency_key)
        return PromoCode.from_model(code)

    @strawberry.mutation(description="Withdraw your promo code: no hold can apply it and no "
                         "checkout redeem it any more (bookings keep their discount).")
    async def deactivate_promo_code(self, info: Info, id: strawberry.ID) -> PromoCode:
        code = await promos.deactivate_code(info.context.service, info.context.caller, str(id))
        return PromoCode.from_model(code)

    @strawberry.mutation(description="Apply a promo code of the show's organizer to your "
                         "active hold (replacing any other): its lines, discount and total "
                         "show the discount; checkout redeems it. PromoCodeRejected says why "
                         "it cannot be used. A hold that is not active is a CONFLICT error.")
    async def apply_promo_code(self, info: Info, hold_id: strawberry.ID,
                               code: str) -> ApplyPromoCodeResult:
        result = await promos.apply_code(info.context.service, info.context.caller,
                                         str(hold_id), code)
        if isinstance(result, promo_rules.Rejected):
            return PromoCodeRejected.of(result)
        return SeatHold.from_model(result)

    @strawberry.mutation(description="Take the promo code off your active hold (its full price "
                         "applies again). A hold that is not active is a CONFLICT error.")
    async def remove_promo_code(self, info: Info, hold_id: strawberry.ID) -> SeatHold:
        hold = await promos.remove_code(info.context.service, info.context.caller, str(hold_id))
        return SeatHold.from_model(hold)

    @strawberry.mutation(description="Hold this many places of a standing section for you, or "
                         "none (SoldOut when fewer are left). A retry with the same "
                         "idempotencyKey returns the first hold.")
    async def hold_general_admission(
        self, info: Info, show_id: strawberry.ID, section_id: strawberry.ID, quantity: int,
        idempotency_key: str | None = None, promo_code: PromoCodeArg = None,
        ticket_type: TicketTypeArg = None,
    ) -> HoldGeneralAdmissionResult:
        result = await queued_hold(info, str(show_id), idempotency_key,
                                   lambda: service.hold_general_admission(
            info.context.service, info.context.caller, str(show_id), str(section_id), quantity,
            idempotency_key, promo_code, ticket_type), _held_id)
        if isinstance(result, promo_rules.Rejected):  # nothing was asked of the seats
            return PromoCodeRejected.of(result)
        metrics.hold_answered("general_admission", isinstance(result, outcomes.SoldOut))
        if isinstance(result, outcomes.SoldOut):
            return SoldOut(available=result.available)
        return SeatHold.from_held(info, result, promo_code is not None)

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

    @strawberry.mutation(description="Wait in line for quantity seats (of category), or "
                         "places of the standing section sectionId, of a sold-out show: what "
                         "comes back goes to the line first, in join order, as a hold offered "
                         "to you for TICKETFLOW_WAITLIST_OFFER_SECONDS (mailed). "
                         "PlacesAvailable when enough are on sale now. One active entry per "
                         "show (CONFLICT).")
    async def join_waiting_list(
        self, info: Info, show_id: strawberry.ID, quantity: int, category: str | None = None,
        section_id: strawberry.ID | None = None, idempotency_key: str | None = None,
    ) -> JoinWaitingListResult:
        result = await waitlist.join_waiting_list(
            info.context.service, info.context.caller, str(show_id), quantity, category,
            None if section_id is None else str(section_id), idempotency_key)
        if isinstance(result, waitlist.PlacesAvailable):
            return PlacesAvailable(available=result.available)
        return WaitingListEntry.from_model(result)

    @strawberry.mutation(description="Leave the line (your entry, or an admin): seats gathered "
                         "or offered to you go to the next in line. An entry no longer "
                         "waiting or offered is a CONFLICT error.")
    async def leave_waiting_list(self, info: Info, entry_id: strawberry.ID) -> WaitingListEntry:
        entry = await waitlist.leave_waiting_list(info.context.service, info.context.caller,
                                                  str(entry_id))
        return WaitingListEntry.from_model(entry)


    @strawberry.mutation(description=(
        "Let a ticket in at the door (door staff of the show's venue, its organizer, "
        "admins): its token's signature is checked with notification's ticket keys, its "
        "booking must be confirmed, and a ticket is let in once (AlreadyCheckedIn after). "
        "On a journey, stop is where the gate is: a ticket boarding elsewhere is refused."))
    async def check_in(self, info: Info,
                       ticket_token: Annotated[str, strawberry.argument(
                           metadata=text_rule(4096))],
                       gate: str, stop: int | None = None) -> CheckInResult:
        result = await checkins.check_in(info.context.service, info.context.caller,
                                         ticket_token, gate, stop)
        return _check_in_result(result)

    @strawberry.mutation(description=(
        "Record scans gates made offline (door staff of the show's venue, its organizer, "
        "admins), at most 1000 at a time: each ticket's earliest scan counts (ties: the "
        "first to arrive); a ticket scanned at two gates is reported in conflicts. "
        "Uploading the same scans again changes nothing."))
    async def upload_check_ins(self, info: Info, show_id: strawberry.ID,
                               scans: list[CheckInScanInput]) -> CheckInUpload:
        svc = info.context.service
        done = await checkins.upload_check_ins(
            svc, info.context.caller, str(show_id),
            [checkins.Scan(str(s.ticket_id), s.at, s.gate) for s in scans])
        async with svc.db.reader() as session:
            [counts] = await checkins.counts_by_show(session, [str(show_id)])
        return CheckInUpload(
            recorded=done.recorded, unchanged=done.unchanged,
            conflicts=[CheckInConflict(ticket_id=strawberry.ID(c.ticket_id),
                                       winner=CheckInScan.of(c.winner),
                                       loser=CheckInScan.of(c.loser)) for c in done.conflicts],
            refused=[RefusedScan(ticket_id=strawberry.ID(r.ticket_id), code=r.code,
                                 reason=r.reason) for r in done.refused],
            admitted=counts.admitted)


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


def booking_routes(app: FastAPI, svc: ServiceBase) -> None:
    """GET /queue/shows: the shows behind a waiting room (the router refuses their holds
    without a pass; it reads this list every few seconds). GET /queue/status/<ticket id>:
    queueStatus without GraphQL, for the crowd's polls (docs/waiting-room.md). And the CSV
    exports (exports.py)."""
    exports.routes(app, svc)

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
    routes=booking_routes,
    shared=[live.seat_availability(_event)],
)
