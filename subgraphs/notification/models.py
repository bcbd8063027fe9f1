"""The notification subgraph's tables: recipients (a replica of auth's preferences),
deliveries (one per event and channel: sent at most once), the e-ticket signing keys and the
e-tickets issued."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.kernel.db import UTCDateTime, new_metadata, utcnow
from subgraphs.kernel.tables import kernel_tables


class Base(DeclarativeBase):
    metadata = new_metadata()


class Recipient(Base):
    """A user as notification needs them, from auth's UserRegistered and
    NotificationPreferencesChanged events: nothing is asked of auth on the send path."""

    __tablename__ = "recipients"

    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(16), nullable=True)
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    sms_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


EMAIL, SMS = "EMAIL", "SMS"
PENDING, SENDING, SENT, FAILED, PARKED = "PENDING", "SENDING", "SENT", "FAILED", "PARKED"
# The worker picks these up once next_attempt_at has passed.
DUE = (PENDING, FAILED)


class Delivery(Base):
    """One message for one event on one channel. The primary key makes a redelivered event
    find its row; the worker's conditional claim (SENDING) makes one sender at most."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    # CONFIRMATION, RECEIPT, CANCELLATION, REFUND, EXPIRY, WAITLIST_OFFER, RESCHEDULED,
    # VERIFY_EMAIL
    kind: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str] = mapped_column(String(36), index=True)
    # The address or phone number; empty while the recipient is not known yet.
    recipient: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(String(300))
    # The event's payload (JSON): the message is rendered from it when it is sent.
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the current attempt was claimed (SENDING) and when the message went out.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def id(self) -> str:
        """The delivery's public id: ``<event id>:<channel>``."""
        return f"{self.event_id}:{self.channel}"


class TicketKey(Base):
    """An Ed25519 key that signs e-ticket tokens; its public half is in the ticket JWKS."""

    __tablename__ = "ticket_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IssuedTicket(Base):
    """One e-ticket as issued for a confirmed booking: the signed token the mail carries and
    the graph serves (``Booking.tickets``), stored so that both show the same token and a
    redelivered BookingConfirmed signs nothing new. ``voided_at``: the booking was cancelled
    (BookingCancelled), and the ticket is no longer served."""

    __tablename__ = "tickets"

    # ``<booking id>:<seat id>`` or ``<booking id>:<section id>:<n>``: the token's ``tid``.
    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    booking_id: Mapped[str] = mapped_column(String(36), index=True)
    user_id: Mapped[str] = mapped_column(String(36))
    show_id: Mapped[str] = mapped_column(String(36))
    # Where it was in the event's list (the booking's order: seats, then standing places).
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    token: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# --- outgoing webhooks (webhooks.py) --------------------------------------------------------

SUCCEEDED = "SUCCEEDED"
# A webhook delivery is picked up while PENDING or FAILED once next_attempt_at has passed.


class WebhookEndpoint(Base):
    """An organizer's HTTPS endpoint for booking and payment events about their shows."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organizer_id: Mapped[str] = mapped_column(String(36), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # The event types it wants (a JSON list of names).
    events: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The HMAC key of its signatures (shown once, at creation or rotation).
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookBooking(Base):
    """Whose a booking is (from BookingCreated): the organizer its later events go to."""

    __tablename__ = "webhook_bookings"

    booking_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organizer_id: Mapped[str] = mapped_column(String(36))
    show_id: Mapped[str] = mapped_column(String(36))


class WebhookEvent(Base):
    """A booking or payment event as webhooks carry it, kept for its deliveries and replays.
    ``organizer_id`` is empty while its booking's BookingCreated has not arrived (another
    stream); the event is fanned out to endpoints once it is known."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(60))
    booking_id: Mapped[str] = mapped_column(String(36), index=True)
    organizer_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[str] = mapped_column(Text)  # the event's payload (JSON)


class WebhookDelivery(Base):
    """One event for one endpoint: unique per (endpoint, event), so a redelivered event adds
    nothing. Delivered at least once: receivers deduplicate by the event id."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("endpoint_id", "event_id"),
                      Index("ix_webhook_deliveries_due", "status", "next_attempt_at"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(String(36), index=True)
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The first attempt of the current series (a replay starts a new one): retries stop
    # once the retry window has passed since then.
    series_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    series_attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookAttempt(Base):
    """One HTTP request of a delivery and what came of it."""

    __tablename__ = "webhook_attempts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(36), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer)


TABLES = kernel_tables(Base.metadata)
