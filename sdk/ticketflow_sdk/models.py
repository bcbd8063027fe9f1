"""What the API answers with, as frozen dataclasses built from GraphQL response data.

Field names follow the schema in snake_case; lists are tuples; times are timezone-aware
``datetime``; money is :class:`Money` (integer minor units and an ISO 4217 currency).
Each model's ``from_graphql`` reads the selection its operation in
:mod:`ticketflow_sdk.operations` asks for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Self
from zoneinfo import ZoneInfo

from iso_4217 import Currency

Data = Mapping[str, Any]


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _required_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


class Role(StrEnum):
    CUSTOMER = "CUSTOMER"
    ORGANIZER = "ORGANIZER"
    ADMIN = "ADMIN"


class ShowKind(StrEnum):
    MOVIE = "MOVIE"
    CONCERT = "CONCERT"
    TRAIN = "TRAIN"
    FLIGHT = "FLIGHT"
    OTHER = "OTHER"


class ShowStatus(StrEnum):
    DRAFT = "DRAFT"
    ON_SALE = "ON_SALE"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


class HallKind(StrEnum):
    SCREEN = "SCREEN"
    STAGE = "STAGE"
    CONSIST = "CONSIST"
    AIRCRAFT = "AIRCRAFT"
    OTHER = "OTHER"


class SeatStatus(StrEnum):
    AVAILABLE = "AVAILABLE"
    HELD = "HELD"
    SOLD = "SOLD"


class SeatEventKind(StrEnum):
    SNAPSHOT = "SNAPSHOT"
    DELTA = "DELTA"


class BookingStatus(StrEnum):
    PENDING_PAYMENT = "PENDING_PAYMENT"
    CONFIRMED = "CONFIRMED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"


class PaymentProvider(StrEnum):
    SANDBOX = "SANDBOX"
    RAZORPAY = "RAZORPAY"


class PaymentStatus(StrEnum):
    REQUIRES_PAYMENT = "REQUIRES_PAYMENT"
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"


class RefundStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


# --- small values -----------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    """``amount`` minor units of ``currency`` (ISO 4217's: 2 digits for EUR, 3 for KWD,
    none for JPY): ``Money(1250, "EUR")`` is 12.50 EUR, ``Money(1250, "KWD")`` 1.250 KWD,
    ``Money(1250, "JPY")`` 1250 JPY. ``str()`` gives it so."""

    amount: int
    currency: str

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        return cls(int(data["amount"]), str(data["currency"]))

    @property
    def major(self) -> Decimal:
        """The exact amount in the currency's main unit: ``Decimal("1.250")`` for 1250 KWD
        minor units."""
        known = Currency.__members__.get(self.currency)
        places = known.subunit_exp if known is not None and known.subunit_exp is not None else 2
        return Decimal(self.amount).scaleb(-places)

    def __str__(self) -> str:
        return f"{self.major} {self.currency}"


@dataclass(frozen=True)
class Segment:
    """Part of a journey: stop indexes into ``Show.stops``, ``from_stop < to_stop``."""

    from_stop: int
    to_stop: int

    @classmethod
    def from_graphql(cls, data: Data | None) -> Self | None:
        return None if data is None else cls(int(data["from"]), int(data["to"]))

    def as_input(self) -> dict[str, int]:
        """The ``SegmentInput`` value."""
        return {"from": self.from_stop, "to": self.to_stop}


@dataclass(frozen=True)
class RazorpayProof:
    """What Razorpay Checkout's handler gave the browser."""

    order_id: str
    payment_id: str
    signature: str

    def as_input(self) -> dict[str, str]:
        """The ``RazorpayProofInput`` value."""
        return {"orderId": self.order_id, "paymentId": self.payment_id,
                "signature": self.signature}


@dataclass(frozen=True)
class RowSpec:
    """One row of a simple hall for :meth:`AsyncClient.create_venue` (seats labelled A1, A2…)."""

    label: str
    seats: int
    category: str = "STANDARD"

    def as_input(self) -> dict[str, Any]:
        """The ``RowInput`` value."""
        return {"label": self.label, "seats": self.seats, "category": self.category}


@dataclass(frozen=True)
class Stop:
    """A stop of a journey (also what :meth:`AsyncClient.create_show` takes)."""

    name: str
    departs_at: datetime | None = None

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        return cls(str(data["name"]), _time(data.get("departsAt")))

    def as_input(self) -> dict[str, Any]:
        """The ``StopInput`` value."""
        return {"name": self.name,
                "departsAt": self.departs_at.isoformat() if self.departs_at else None}


# --- accounts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    id: str
    name: str
    role: Role
    email: str

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        return cls(str(data["id"]), str(data["name"]), Role(data["role"]), str(data["email"]))


@dataclass(frozen=True)
class Tokens:
    """A session's credentials: keep ``refresh_token`` secret; it is single use."""

    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class AuthPayload:
    """What ``register``, ``login`` and ``refresh`` answer."""

    tokens: Tokens
    user: User

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        tokens = Tokens(str(data["accessToken"]), str(data["refreshToken"]),
                        _required_time(data["expiresAt"]))
        return cls(tokens, User.from_graphql(data["user"]))


# --- venues and shows -------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """A seated block, or a standing (general-admission) area with a capacity."""

    id: str
    key: str
    name: str
    general_admission: bool
    capacity: int | None = None
    category: str | None = None

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        return cls(str(data["id"]), str(data["key"]), str(data["name"]),
                   bool(data["generalAdmission"]), data.get("capacity"), data.get("category"))


@dataclass(frozen=True)
class Hall:
    id: str
    name: str
    kind: HallKind
    sections: tuple[Section, ...]

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        return cls(str(data["id"]), str(data["name"]), HallKind(data["kind"]),
                   tuple(Section.from_graphql(s) for s in data["sections"]))


@dataclass(frozen=True)
class Venue:
    id: str
    name: str
    owner_id: str
    halls: tuple[Hall, ...]
    time_zone: str  # IANA, e.g. Europe/Berlin

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        return cls(str(data["id"]), str(data["name"]), str(data["ownerId"]),
                   tuple(Hall.from_graphql(h) for h in data["halls"]), str(data["timeZone"]))


@dataclass(frozen=True)
class CategoryAvailability:
    category: str
    total: int
    available: int
    held: int
    sold: int

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        return cls(str(data["category"]), data["total"], data["available"], data["held"],
                   data["sold"])


@dataclass(frozen=True)
class GeneralAdmissionAvailability:
    """Places of one standing section."""

    section_id: str
    key: str
    name: str
    capacity: int
    available: int
    held: int
    sold: int

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        return cls(str(data["sectionId"]), str(data["key"]), str(data["name"]),
                   data["capacity"], data["available"], data["held"], data["sold"])


@dataclass(frozen=True)
class Availability:
    """Seat counts (numbered seats only), plus per category and per standing section."""

    total: int
    available: int
    held: int
    sold: int
    by_category: tuple[CategoryAvailability, ...] = ()
    general_admission: tuple[GeneralAdmissionAvailability, ...] = ()

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        return cls(data["total"], data["available"], data["held"], data["sold"],
                   tuple(CategoryAvailability.from_graphql(c) for c in data["byCategory"]),
                   tuple(GeneralAdmissionAvailability.from_graphql(g)
                         for g in data["generalAdmission"]))


@dataclass(frozen=True)
class PriceTier:
    category: str
    price: Money

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        return cls(str(data["category"]), Money.from_graphql(data["price"]))


@dataclass(frozen=True)
class Leg:
    """The hop between two consecutive stops (by name)."""

    index: int
    from_stop: str
    to_stop: str

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        return cls(int(data["index"]), str(data["from"]), str(data["to"]))


@dataclass(frozen=True)
class Show:
    """One performance, screening or departure. ``availability`` is None until booking has
    the show's inventory (a moment after it went on sale)."""

    id: str
    title: str
    kind: ShowKind
    status: ShowStatus
    starts_at: datetime
    ends_at: datetime
    currency: str
    venue_id: str
    venue_name: str
    hall_id: str
    price: Money
    price_tiers: tuple[PriceTier, ...]
    stops: tuple[Stop, ...]
    legs: tuple[Leg, ...]
    availability: Availability | None
    venue_time_zone: str = "UTC"  # IANA, e.g. Europe/Berlin

    @property
    def local_starts_at(self) -> datetime:
        """``starts_at`` as people at the venue read it (in ``venue_time_zone``)."""
        return self.starts_at.astimezone(ZoneInfo(self.venue_time_zone))

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        availability = data.get("availability")
        return cls(
            str(data["id"]), str(data["title"]), ShowKind(data["kind"]),
            ShowStatus(data["status"]), _required_time(data["startsAt"]),
            _required_time(data["endsAt"]), str(data["currency"]), str(data["venueId"]),
            str(data["venue"]["name"]), str(data["hallId"]), Money.from_graphql(data["price"]),
            tuple(PriceTier.from_graphql(t) for t in data["priceTiers"]),
            tuple(Stop.from_graphql(s) for s in data["stops"]),
            tuple(Leg.from_graphql(leg) for leg in data["legs"]),
            Availability.from_graphql(availability) if availability else None,
            str(data["venue"]["timeZone"]))


@dataclass(frozen=True)
class ShowPage:
    """One page of ``shows``; pass ``end_cursor`` as ``after`` for the next."""

    shows: tuple[Show, ...]
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        page = data["pageInfo"]
        return cls(tuple(Show.from_graphql(s) for s in data["nodes"]),
                   bool(page["hasNextPage"]), page.get("endCursor"))


@dataclass(frozen=True)
class Seat:
    """A seat of a show's map with its state over the segment asked for (``None`` for a seat
    not for sale); on a journey ``legs`` is its state on each leg."""

    id: str
    label: str
    row: str
    category: str
    x: int
    y: int
    section_id: str
    accessible: bool
    blocked: bool
    state: SeatStatus | None
    legs: tuple[SeatStatus, ...] = ()


@dataclass(frozen=True)
class SeatMap:
    """A show's hall drawn with every seat's current state."""

    show_id: str
    hall_id: str
    sections: tuple[Section, ...]
    categories: tuple[str, ...]
    seats: tuple[Seat, ...]

    @classmethod
    def from_graphql(cls, show_id: str, compact: Data, states: Sequence[Data]) -> Self:
        """Joins ``Show.seatMap`` (parallel arrays) with ``Show.seatStates``."""
        sections = tuple(Section.from_graphql(s) for s in compact["sections"])
        categories = tuple(str(c) for c in compact["categories"])
        by_id = {str(s["seatId"]): s for s in states}
        columns = compact["seats"]
        seats = []
        for i, seat_id in enumerate(columns["id"]):
            state = by_id.get(seat_id)
            flags = int(columns["flags"][i])
            seats.append(Seat(
                id=str(seat_id), label=str(columns["label"][i]), row=str(columns["row"][i]),
                category=categories[columns["category"][i]], x=int(columns["x"][i]),
                y=int(columns["y"][i]), section_id=sections[columns["section"][i]].id,
                accessible=bool(flags & 1), blocked=bool(flags & 2),
                state=SeatStatus(state["state"]) if state else None,
                legs=tuple(SeatStatus(s) for s in state["legs"]) if state else ()))
        return cls(show_id, str(compact["hallId"]), sections, categories, tuple(seats))

    def seat(self, seat_id: str) -> Seat:
        """The seat with this id (``KeyError`` if the hall has none)."""
        for seat in self.seats:
            if seat.id == seat_id:
                return seat
        raise KeyError(seat_id)


# --- holds and bookings -----------------------------------------------------------------


@dataclass(frozen=True)
class HeldSeat:
    seat_id: str
    label: str
    category: str
    price: Money

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        return cls(str(data["seatId"]), str(data["label"]), str(data["category"]),
                   Money.from_graphql(data["price"]))


@dataclass(frozen=True)
class HeldPlaces:
    section_id: str
    quantity: int

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        return cls(str(data["sectionId"]), int(data["quantity"]))


@dataclass(frozen=True)
class HoldLine:
    """A seat (``seat_id``) or the places held in one standing section (``section_id``)."""

    seat_id: str | None
    section_id: str | None
    label: str
    quantity: int
    unit_price: Money
    price: Money

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        return cls(data.get("seatId"), data.get("sectionId"), str(data["label"]),
                   int(data["quantity"]), Money.from_graphql(data["unitPrice"]),
                   Money.from_graphql(data["price"]))


@dataclass(frozen=True)
class SeatHold:
    """Seats or places reserved for you until ``expires_at``.

    ``status`` is one of ACTIVE, CHECKED_OUT, BOOKED, RELEASED, EXPIRED.
    """

    id: str
    show_id: str
    status: str
    expires_at: datetime
    seat_ids: tuple[str, ...]
    seats: tuple[HeldSeat, ...]
    general_admission: tuple[HeldPlaces, ...]
    segment: Segment | None
    lines: tuple[HoldLine, ...]
    total: Money

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        return cls(
            str(data["id"]), str(data["show"]["id"]), str(data["status"]),
            _required_time(data["expiresAt"]), tuple(str(s) for s in data["seatIds"]),
            tuple(HeldSeat.from_graphql(s) for s in data["seats"]),
            tuple(HeldPlaces.from_graphql(g) for g in data["generalAdmission"]),
            Segment.from_graphql(data.get("segment")),
            tuple(HoldLine.from_graphql(line) for line in data["lines"]),
            Money.from_graphql(data["total"]))


@dataclass(frozen=True)
class BookingLine:
    seat_id: str
    label: str
    price: Money

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        return cls(str(data["seatId"]), str(data["label"]), Money.from_graphql(data["price"]))


@dataclass(frozen=True)
class AdmissionLine:
    """Standing places bought in one section."""

    section_id: str
    name: str
    quantity: int
    unit_price: Money
    price: Money

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        return cls(str(data["sectionId"]), str(data["name"]), int(data["quantity"]),
                   Money.from_graphql(data["unitPrice"]), Money.from_graphql(data["price"]))


@dataclass(frozen=True)
class ShowSummary:
    """The show a booking is for."""

    id: str
    title: str
    starts_at: datetime

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        return cls(str(data["id"]), str(data["title"]), _required_time(data["startsAt"]))


@dataclass(frozen=True)
class PaymentFailure:
    code: str | None
    message: str | None

    @classmethod
    def from_graphql(cls, data: Data | None) -> Self | None:
        return None if data is None else cls(data.get("code"), data.get("message"))


@dataclass(frozen=True)
class PaymentCheckout:
    """What a client opens the provider's checkout with (Razorpay: ``key_id``, ``order_id``)."""

    provider: PaymentProvider
    key_id: str | None
    order_id: str | None

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        return cls(PaymentProvider(data["provider"]), data.get("keyId"), data.get("orderId"))


@dataclass(frozen=True)
class Refund:
    id: str
    payment_id: str
    amount: Money
    status: RefundStatus
    reason: str
    provider_refund_id: str | None
    failure_message: str | None
    created_at: datetime
    settled_at: datetime | None

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        return cls(str(data["id"]), str(data["payment"]["id"]), Money.from_graphql(data["amount"]),
                   RefundStatus(data["status"]), str(data["reason"]),
                   data.get("providerRefundId"), data.get("failureMessage"),
                   _required_time(data["createdAt"]), _time(data.get("settledAt")))


@dataclass(frozen=True)
class Payment:
    """Money paid (or owed) for one booking; ``amount`` is always the booking's total."""

    id: str
    booking_id: str
    status: PaymentStatus
    provider: PaymentProvider
    amount: Money
    captured: Money
    refunded: Money
    provider_payment_id: str | None
    failure: PaymentFailure | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    succeeded_at: datetime | None
    checkout: PaymentCheckout
    refunds: tuple[Refund, ...]

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        return cls(
            str(data["id"]), str(data["booking"]["id"]), PaymentStatus(data["status"]),
            PaymentProvider(data["provider"]), Money.from_graphql(data["amount"]),
            Money.from_graphql(data["captured"]), Money.from_graphql(data["refunded"]),
            data.get("providerPaymentId"), PaymentFailure.from_graphql(data.get("failure")),
            int(data["attempts"]), _required_time(data["createdAt"]),
            _required_time(data["updatedAt"]), _time(data.get("succeededAt")),
            PaymentCheckout.from_graphql(data["checkout"]),
            tuple(Refund.from_graphql(r) for r in data["refunds"]))


@dataclass(frozen=True)
class Booking:
    """Seats bought or being paid for; ``payment`` is None until payment has seen it."""

    id: str
    status: BookingStatus
    show: ShowSummary
    total: Money
    created_at: datetime
    segment: Segment | None
    lines: tuple[BookingLine, ...]
    general_admission: tuple[AdmissionLine, ...]
    payment: Payment | None

    @classmethod
    def from_graphql(cls, data: Data) -> Self:
        payment = data.get("payment")
        return cls(
            str(data["id"]), BookingStatus(data["status"]), ShowSummary.from_graphql(data["show"]),
            Money.from_graphql(data["total"]), _required_time(data["createdAt"]),
            Segment.from_graphql(data.get("segment")),
            tuple(BookingLine.from_graphql(line) for line in data["lines"]),
            tuple(AdmissionLine.from_graphql(a) for a in data["generalAdmission"]),
            Payment.from_graphql(payment) if payment else None)
