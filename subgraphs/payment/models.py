"""The payment subgraph's tables: payments, their refunds, and the webhook log."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import Boolean, Integer, String, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.kernel.db import UTCDateTime, new_id, new_metadata, utcnow
from subgraphs.kernel.tables import kernel_tables


class Base(DeclarativeBase):
    metadata = new_metadata()


class BookingStatus:
    """``payments.booking_status``: the booking as payment last heard of it (booking's own
    statuses, carried by its events)."""

    PENDING_PAYMENT: Final = "PENDING_PAYMENT"
    CONFIRMED: Final = "CONFIRMED"
    EXPIRED: Final = "EXPIRED"
    CANCELLED: Final = "CANCELLED"


# What a payment can be (docs/payments.md draws the machine).
REQUIRES_PAYMENT: Final = "REQUIRES_PAYMENT"
PROCESSING: Final = "PROCESSING"
SUCCEEDED: Final = "SUCCEEDED"
FAILED: Final = "FAILED"
CANCELLED: Final = "CANCELLED"
REFUNDED: Final = "REFUNDED"
PARTIALLY_REFUNDED: Final = "PARTIALLY_REFUNDED"
# A customer may (re)try to pay in these.
PAYABLE = (REQUIRES_PAYMENT, FAILED)
# Money was captured; refunds apply.
CAPTURED = (SUCCEEDED, PARTIALLY_REFUNDED, REFUNDED)


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    booking_id: Mapped[str] = mapped_column(String(36), unique=True)
    # Copied from the BookingCreated event so access checks need no call to booking.
    user_id: Mapped[str] = mapped_column(String(36), index=True)
    organizer_id: Mapped[str] = mapped_column(String(36), index=True)
    show_id: Mapped[str] = mapped_column(String(36), default="")
    # The show has a waiting room: purchases per payment instrument are capped.
    queued: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(30), default=REQUIRES_PAYMENT)
    provider: Mapped[str] = mapped_column(String(30), default="sandbox")
    booking_status: Mapped[str] = mapped_column(String(20),
                                                default=BookingStatus.PENDING_PAYMENT)
    # Payment is refused from then on (the hold lapses; checked-out holds are not extended).
    booking_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The provider's order (Razorpay order_...) and the payment that paid it (pay_...).
    provider_order_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    provider_payment_id: Mapped[str | None] = mapped_column(String(64), nullable=True,
                                                            index=True)
    captured_amount: Mapped[int] = mapped_column(Integer, default=0)
    # Refunds that succeeded; refunds under way are in ``refunds`` with status PENDING.
    refunded_amount: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failure_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    failure_message: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # Sandbox "processing" cards: when and how the provider settles the payment.
    settle_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    settle_outcome: Mapped[str | None] = mapped_column(String(30), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def refundable(self) -> int:
        """Captured money not yet refunded (refunds under way not subtracted)."""
        return self.captured_amount - self.refunded_amount


# What a refund can be.
REFUND_PENDING: Final = "PENDING"
REFUND_SUCCEEDED: Final = "SUCCEEDED"
REFUND_FAILED: Final = "FAILED"


class RefundReason:
    """``refunds.reason``: why the money goes back."""

    REQUESTED: Final = "REQUESTED"  # the organizer or an admin (refundPayment)
    BOOKING_CANCELLED: Final = "BOOKING_CANCELLED"
    SHOW_CANCELLED: Final = "SHOW_CANCELLED"
    # Paid after the booking could no longer take it (it lapsed and its seats were resold).
    BOOKING_NOT_CONFIRMED: Final = "BOOKING_NOT_CONFIRMED"
    # A second capture for a payment already paid: given back whole, never the booking's.
    DUPLICATE_PAYMENT: Final = "DUPLICATE_PAYMENT"
    PROVIDER: Final = "PROVIDER"  # refunded at the provider (its dashboard), recorded here
    # Captured before TicketFlow declined the payment for its instrument (a queued show's
    # cap per instrument: the provider captured it on its own): given back whole.
    INSTRUMENT_REFUSED: Final = "INSTRUMENT_REFUSED"
    # Money that never was the booking's: outside the payment's captured and refunded.
    NOT_THE_BOOKINGS: Final = (DUPLICATE_PAYMENT, INSTRUMENT_REFUSED)


class Refund(Base):
    __tablename__ = "refunds"

    # Also the idempotency key sent to the provider: a retried refund is never paid twice.
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    payment_id: Mapped[str] = mapped_column(String(36), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default=REFUND_PENDING, index=True)
    # BOOKING_CANCELLED, SHOW_CANCELLED, BOOKING_NOT_CONFIRMED, REQUESTED, PROVIDER, and
    # DUPLICATE_PAYMENT: a second capture for a payment already paid (another tab, another
    # provider), and INSTRUMENT_REFUSED: a capture of a payment declined for its instrument;
    # both are given back whole and stay outside the payment's captured/refunded.
    reason: Mapped[str] = mapped_column(String(40))
    # Where the money goes back from: the payment's provider, or for NOT_THE_BOOKINGS the
    # provider (and provider payment) that took it the second time.
    provider: Mapped[str] = mapped_column(String(30))
    provider_payment_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Who asked (an organizer or admin); null when TicketFlow refunded on its own.
    requested_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    provider_refund_id: Mapped[str | None] = mapped_column(String(64), nullable=True,
                                                           index=True)
    failure_message: Mapped[str | None] = mapped_column(String(300), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebhookEvent(Base):
    """Each provider event applied once: a replayed webhook finds its row and stops."""

    __tablename__ = "webhook_events"

    provider: Mapped[str] = mapped_column(String(30), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(60))
    # What it did: APPLIED, IGNORED (nothing to change), UNMATCHED (no such payment) or
    # DECLINED (a queued show's payment its instrument may not pay: not captured nor booked).
    outcome: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InstrumentUse(Base):
    """A payment instrument used to pay for a booking of a queued show (docs/payments.md,
    "Cards per queued show"): a slot of the cap on purchases per instrument and show.

    Taken before the provider is asked, under a lock on (show, fingerprint); given back
    when that charge fails or the payment ends without capturing; kept once money was
    captured, refunded or not."""

    __tablename__ = "instrument_uses"

    show_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # hex HMAC-SHA256 of the instrument (the sandbox's card number; Razorpay's
    # "razorpay:par:<PAR>", "razorpay:nrid:<id>" or "razorpay:vpa:<upi id>") with the payment
    # instrument secret
    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    booking_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    payment_id: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


TABLES = kernel_tables(Base.metadata)
