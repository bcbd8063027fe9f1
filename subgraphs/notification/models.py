"""The notification subgraph's tables: recipients (a replica of auth's preferences),
deliveries (one per event and channel: sent at most once), the e-ticket signing keys and the
e-tickets issued."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text
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
    # CONFIRMATION, RECEIPT, CANCELLATION, REFUND, EXPIRY, WAITLIST_OFFER
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


TABLES = kernel_tables(Base.metadata)
