"""The payment subgraph's tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.kernel.db import UTCDateTime, new_id, new_metadata, utcnow
from subgraphs.kernel.events import kernel_tables


class Base(DeclarativeBase):
    metadata = new_metadata()


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    booking_id: Mapped[str] = mapped_column(String(36), unique=True)
    # Copied from the BookingCreated event so access checks need no call to booking.
    user_id: Mapped[str] = mapped_column(String(36), index=True)
    organizer_id: Mapped[str] = mapped_column(String(36), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    # REQUIRES_PAYMENT -> PROCESSING -> SUCCEEDED | FAILED; CANCELLED; (PARTIALLY_)REFUNDED
    status: Mapped[str] = mapped_column(String(30), default="REQUIRES_PAYMENT")
    provider: Mapped[str] = mapped_column(String(30), default="sandbox")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


TABLES = kernel_tables(Base.metadata)
