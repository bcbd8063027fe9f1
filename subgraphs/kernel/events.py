"""Integration events: what a subgraph tells the others, and their wire form.

:class:`Event` is the envelope the outbox stores and the bus carries (JSON); each kind of
event has one dataclass here, named as its ``type`` (past tense), whose fields are the
keys of its payload. A subgraph emits the dataclass (``uow.emit(SeatsHeld(...))``) and a
consumer reads it back (``SeatsHeld.read(event)``): the names are checked where they are
written and where they are read. Longer than most modules on purpose: one place holds
every event contract between the subgraphs, and they change only together.

Compatibility: a field added later has a default, so an older event still reads; a field
whose default is ``None`` is left out of the payload while it is ``None`` (as the events
always were); keys a reader does not know are ignored. Nested parts (a show's seats, a
booking's tickets) stay JSON-shaped.

The outbox that carries them is declared in :mod:`subgraphs.kernel.tables`.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from typing import Any, ClassVar, Final, Self, TypeVar, cast, dataclass_transform

from subgraphs.kernel.db import new_id, utcnow


@dataclass(frozen=True)
class Event:
    """Something that happened, named in the past tense (``ShowPublished``)."""

    type: str
    source: str
    payload: dict[str, Any]
    id: str = field(default_factory=new_id)
    occurred_at: str = field(default_factory=lambda: utcnow().isoformat())
    # The W3C traceparent of the transaction that wrote it (only when tracing is on):
    # the consumer's span links back to it (kernel/tracing.py).
    trace: str | None = None

    def to_json(self) -> str:
        """The wire form carried on the bus (written once per event on the hold's path:
        the fields by hand, as ``dataclasses.asdict`` deep-copies the payload first)."""
        data = {"type": self.type, "source": self.source, "payload": self.payload,
                "id": self.id, "occurred_at": self.occurred_at}
        if self.trace is not None:
            data["trace"] = self.trace
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Event:
        """Parse the wire form."""
        data = json.loads(raw)
        return cls(
            type=data["type"],
            source=data["source"],
            payload=data["payload"],
            id=data["id"],
            occurred_at=data["occurred_at"],
            trace=data.get("trace"),
        )

    @property
    def occurred(self) -> datetime:
        """``occurred_at`` as a datetime."""
        return datetime.fromisoformat(self.occurred_at)


class Payload:
    """The payload of one kind of event; subclasses are frozen keyword-only dataclasses."""

    # (name, left out while None) of each field, in order: read once per class.
    _shape: ClassVar[tuple[tuple[str, bool], ...]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._shape = ()  # set by ``event_payload`` once the dataclass exists

    @classmethod
    def type_name(cls) -> str:
        """The event's ``type``: the class's name."""
        return cls.__name__

    def to_payload(self) -> dict[str, Any]:
        """The JSON-shaped payload (what the outbox stores)."""
        out = {}
        for name, optional in self._shape:
            value = getattr(self, name)
            if value is not None or not optional:
                out[name] = value
        return out

    @classmethod
    def read(cls, event: Event) -> Self:
        """The payload of ``event`` (of this type; ``ValueError`` otherwise); keys it lacks
        take their defaults, keys this class does not know are ignored."""
        if event.type != cls.__name__:
            raise ValueError(f"{event.type} event {event.id} is not a {cls.__name__}")
        p = event.payload
        return cls(**{name: p[name] for name, _ in cls._shape if name in p})


P = TypeVar("P", bound=type[Payload])


@dataclass_transform(frozen_default=True, kw_only_default=True)
def event_payload(cls: P) -> P:
    """Make ``cls`` a frozen keyword-only dataclass and record its shape."""
    made: Any = dataclass(frozen=True, kw_only=True, slots=True)(cls)
    made._shape = tuple((f.name, f.default is None and f.default_factory is MISSING)
                        for f in fields(made))
    return cast(P, made)


Json = dict[str, Any]

# --- auth ----------------------------------------------------------------------------------


@event_payload
class UserRegistered(Payload):
    user_id: str
    email: str
    name: str
    role: str
    phone: str | None
    # Read with these when an older event lacks them:
    email_notifications: bool = True
    sms_notifications: bool = False


@event_payload
class NotificationPreferencesChanged(Payload):
    user_id: str
    email: str
    name: str
    phone: str | None
    # Read with these when an older event lacks them:
    email_notifications: bool = True
    sms_notifications: bool = False


@event_payload
class EmailVerificationRequested(Payload):
    """A new account (or a resend) asks its owner to confirm the address: notification
    mails ``token`` (the only copy; auth keeps its SHA-256) and a link with it."""

    user_id: str
    email: str
    name: str
    token: str
    expires_at: str


@event_payload
class EmailVerified(Payload):
    """The account's owner confirmed its email address (``verifyEmail``)."""

    user_id: str


@event_payload
class PasswordChanged(Payload):
    user_id: str


@event_payload
class UserRoleChanged(Payload):
    user_id: str
    role: str


@event_payload
class SessionsRevoked(Payload):
    user_id: str
    session_ids: list[str]
    reason: str


# --- venue ---------------------------------------------------------------------------------


@event_payload
class ShowPublished(Payload):
    """A show went on sale: everything booking needs to sell it (seats, standing sections,
    prices, legs), so booking never asks venue."""

    show_id: str
    venue_id: str
    organizer_id: str
    title: str
    starts_at: str  # ISO 8601, UTC
    ends_at: str
    currency: str
    seats: list[Json]  # id, label, category, section_id, price, row, col, x, y
    # Added later (an older event lacks them):
    hall_id: str | None = None
    kind: str | None = None
    prices: dict[str, int] = field(default_factory=dict)  # tier -> minor units
    hall_kind: str = "OTHER"
    general_admission: list[Json] = field(default_factory=list)  # id key name capacity ...
    stops: int = 0
    legs: list[Json] = field(default_factory=list)  # index, from, to
    time_zone: str = "UTC"  # the venue's IANA zone then
    # Categories sold only to holds whose promo code unlocks them.
    hidden_categories: list[str] = field(default_factory=list)
    # A journey's fares per segment and its fare classes (subgraphs/venue/fares.py); empty:
    # every seat at its category's price, no classes.
    fares: Json = field(default_factory=dict)
    # Ticket types in order, the first the default (empty: the prices alone): key, name,
    # eligibility, prices (category -> minor units), min_per_order, max_per_order.
    ticket_types: list[Json] = field(default_factory=list)


@event_payload
class ShowCancelled(Payload):
    show_id: str
    venue_id: str


@event_payload
class ShowRescheduled(Payload):
    """A show on sale was moved or renamed (``updateShow``): booking's copy of the show
    takes its new title and times, so notices, tickets and the customer's cancel deadline
    name them. Every field is the show's value after the change."""

    show_id: str
    starts_at: str  # ISO 8601, UTC
    ends_at: str
    # Added with the title edit (an event without it leaves the title as it was):
    title: str | None = None
    previous_starts_at: str | None = None


@event_payload
class VenueTimeZoneChanged(Payload):
    """A venue's time zone was corrected: the notices of its shows name the new one."""

    venue_id: str
    time_zone: str  # IANA


@event_payload
class VenueStaffGranted(Payload):
    """The venue's owner (or an admin) made a user door staff of the venue: they may check
    tickets in for its shows."""

    venue_id: str
    user_id: str


@event_payload
class VenueStaffRevoked(Payload):
    """A user is door staff of the venue no more."""

    venue_id: str
    user_id: str


@event_payload
class TeamMemberAdded(Payload):
    """A user joined a venue's team as MANAGER or BOX_OFFICE (or changed role): booking
    lets them see the venue's bookings (and a MANAGER its reports)."""

    venue_id: str
    user_id: str
    role: str


@event_payload
class TeamMemberRemoved(Payload):
    """A user is on a venue's team no more."""

    venue_id: str
    user_id: str


# --- booking -------------------------------------------------------------------------------


@event_payload
class SeatsHeld(Payload):
    hold_id: str
    show_id: str
    user_id: str
    seat_ids: list[str]
    legs: list[int]  # [first leg, leg after the last]
    expires_at: str


@event_payload
class AdmissionHeld(Payload):
    hold_id: str
    show_id: str
    user_id: str
    section_id: str
    quantity: int
    expires_at: str


@event_payload
class HoldExtended(Payload):
    hold_id: str
    show_id: str
    user_id: str
    expires_at: str


@event_payload
class HoldReleased(Payload):
    hold_id: str
    show_id: str
    user_id: str
    seat_ids: list[str] = field(default_factory=list)
    general_admission: list[Json] = field(default_factory=list)  # section_id, quantity
    reason: str | None = None  # SHOW_CANCELLED when the show was; else left out


@event_payload
class HoldExpired(Payload):
    hold_id: str
    show_id: str
    seat_ids: list[str]
    general_admission: list[Json]


@event_payload
class ShowSalesStopped(Payload):
    show_id: str


@event_payload
class WaitingListOffered(Payload):
    """Seats came back for the head of a show's waiting list: they are held in the waiting
    customer's name (``hold_id``) until ``expires_at``; notification mails the offer."""

    entry_id: str
    user_id: str
    show_id: str
    hold_id: str
    expires_at: str
    seat_ids: list[str]
    labels: list[str]  # the seats' labels, in seat-map order
    show: Json  # title, starts_at, time_zone: what the notice names


@event_payload
class BookingCreated(Payload):
    booking_id: str
    user_id: str
    show_id: str = ""
    organizer_id: str
    amount: int  # minor units of currency
    currency: str
    seat_ids: list[str]
    expires_at: str | None = None
    # Added later (an older event lacks them):
    general_admission: list[Json] = field(default_factory=list)  # section_id, quantity
    legs: list[int] = field(default_factory=list)
    # The show has a waiting room: payment caps purchases per payment instrument.
    queued: bool = False


@event_payload
class BookingConfirmed(Payload):
    booking_id: str
    user_id: str
    show_id: str
    amount: int
    currency: str
    payment_id: str
    seat_ids: list[str]
    show: Json  # title, starts_at, time_zone: what the notice names
    tickets: list[Json]  # id, label; ticket_type (the type's name) when the show has types


@event_payload
class BookingNotConfirmed(Payload):
    """A payment succeeded for a booking that could not take it: payment gives it back."""

    booking_id: str
    user_id: str
    show_id: str
    amount: int
    currency: str
    payment_id: str
    status: str | None = None  # the booking's status then


@event_payload
class BookingRescheduled(Payload):
    """The show of a confirmed booking was moved (venue's ``ShowRescheduled`` with a new
    start): one per confirmed booking of the show, emitted by booking in the transaction
    that applies the move, so notification tells the holder. ``show`` is the show after the
    move (title, starts_at, time_zone: what the notice names), ``previous_starts_at`` its
    start before it; ``cancellable_until`` is until when the customer may still cancel
    (``cancelBooking``: until the show starts, with what was paid refunded), left out when
    the show was moved to a time already past."""

    booking_id: str
    user_id: str
    show_id: str
    amount: int
    currency: str
    show: Json  # title, starts_at, time_zone: after the move
    previous_starts_at: str  # ISO 8601, UTC
    cancellable_until: str | None = None  # ISO 8601, UTC


class CancelReason:
    """Why a booking was cancelled (``BookingCancelled.reason``), or a hold released with its
    show (``HoldReleased.reason``)."""

    CUSTOMER: Final = "CUSTOMER"
    SHOW_CANCELLED: Final = "SHOW_CANCELLED"
    REFUNDED: Final = "REFUNDED"


@event_payload
class BookingCancelled(Payload):
    booking_id: str
    user_id: str
    show_id: str
    amount: int
    currency: str
    previous_status: str
    reason: str  # a CancelReason
    payment_id: str | None
    seat_ids: list[str]
    show: Json


@event_payload
class BookingExpired(Payload):
    booking_id: str
    user_id: str
    show_id: str
    # Added later (an older event lacks them):
    amount: int | None = None
    currency: str | None = None
    show: Json | None = None


# --- payment -------------------------------------------------------------------------------


@event_payload
class PaymentSucceeded(Payload):
    payment_id: str
    booking_id: str
    user_id: str
    amount: int
    currency: str
    provider: str
    succeeded_at: str | None = None  # older events: the event's own time


@event_payload
class PaymentFailed(Payload):
    payment_id: str
    booking_id: str
    user_id: str
    code: str | None
    message: str | None
    status: str


@event_payload
class PaymentCancelled(Payload):
    payment_id: str
    booking_id: str


@event_payload
class PaymentRefunded(Payload):
    payment_id: str
    booking_id: str
    refund_id: str
    amount: int
    currency: str
    reason: str
    refunded_total: int
    fully_refunded: bool
    # Added later (an older event lacks them):
    user_id: str | None = None
    provider: str | None = None


@event_payload
class PaymentRefundFailed(Payload):
    payment_id: str
    booking_id: str
    refund_id: str
    amount: int
    currency: str
    message: str | None
