"""The booking subgraph's tables: per-show inventory, holds and bookings."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.kernel.db import UTCDateTime, new_id, new_metadata, utcnow
from subgraphs.kernel.tables import kernel_tables

AVAILABLE, HELD, SOLD = "AVAILABLE", "HELD", "SOLD"


ON_SALE, CANCELLED = "ON_SALE", "CANCELLED"  # a show's status in booking


class HoldStatus:
    """``holds.status``: ACTIVE -> CHECKED_OUT -> BOOKED (paid), or RELEASED | EXPIRED."""

    ACTIVE: Final = "ACTIVE"
    CHECKED_OUT: Final = "CHECKED_OUT"
    BOOKED: Final = "BOOKED"
    RELEASED: Final = "RELEASED"
    EXPIRED: Final = "EXPIRED"
    # A hold in one of these still owns its seats and places (and counts for its customer).
    OPEN: Final = (ACTIVE, CHECKED_OUT, BOOKED)


class BookingStatus:
    """``bookings.status``: PENDING_PAYMENT -> CONFIRMED | EXPIRED | CANCELLED."""

    PENDING_PAYMENT: Final = "PENDING_PAYMENT"
    CONFIRMED: Final = "CONFIRMED"
    EXPIRED: Final = "EXPIRED"
    CANCELLED: Final = "CANCELLED"
    CANCELLABLE: Final = (PENDING_PAYMENT, CONFIRMED)


class Base(DeclarativeBase):
    metadata = new_metadata()


class BookableShow(Base):
    """A show on sale, built from venue's ``ShowPublished`` event."""

    __tablename__ = "shows"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    venue_id: Mapped[str] = mapped_column(String(36))
    organizer_id: Mapped[str] = mapped_column(String(36))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    currency: Mapped[str] = mapped_column(String(3))
    # The venue's IANA zone: notices name the show's time as people there read it.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    status: Mapped[str] = mapped_column(String(20), default=ON_SALE)
    # Stops of a journey (0 for a show without stops); seats sell per leg between stops.
    stops: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The hall's kind (SCREEN, STAGE, ...): holdBestAvailable ranks rows by it.
    layout: Mapped[str] = mapped_column(String(20), default="OTHER", server_default="OTHER")
    # Bumped by every change to the show's seats: live clients detect gaps with it.
    version: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def legs(self) -> int:
        """Legs between consecutive stops; a show without stops has one."""
        return max(1, self.stops - 1)


class ShowSeat(Base):
    """One seat of one show on one leg. ``HELD`` past ``hold_expires_at`` counts as available.

    A show without stops has one leg (0); a journey has a row per seat and leg, so a seat
    sold from A to B is still free from B to D, and the primary key lets one holder at most
    have it on each leg.
    """

    __tablename__ = "show_seats"
    __table_args__ = (Index("ix_show_seats_hold", "hold_id"),)

    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id"), primary_key=True)
    seat_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    leg: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    price_amount: Mapped[int] = mapped_column(Integer)  # minor units, the show's currency
    # Where the seat is, for holdBestAvailable: its row (section and row label), its place
    # in the row counting seats not for sale (``col``; neighbours differ by one) and x, y.
    row: Mapped[str] = mapped_column(String(64), default="", server_default="")
    col: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    x: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    y: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    state: Mapped[str] = mapped_column(String(10), default=AVAILABLE)
    hold_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set by the hold statement from the state it took the seat in: True when it took the
    # seat from a lapsed hold (the seat was counted as held already), so the counts move
    # only for seats that were available. Meaningless outside that statement's RETURNING.
    was_held: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


class ShowChange(Base):
    """A unit of work's change to one show, settled by PostgreSQL as the transaction commits.

    On PostgreSQL the ledger writes a row here instead of locking the show itself: a
    deferred trigger (migration 0005) runs at COMMIT, advances the show's version (the
    show's row lock), applies ``deltas`` to ``show_counts`` and writes the version and
    every count back into the row. The lock is held for the commit alone, with no round
    trip to Python inside it. Right after the commit the ledger takes the row back out
    (``DELETE ... RETURNING``) to build the live message. Unlogged: a row only lives for
    that moment, and the sweeper removes any whose taker died in between.
    """

    __tablename__ = "show_changes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    show_id: Mapped[str] = mapped_column(String(36))
    # [[category, leg, held delta, sold delta], ...]
    deltas: Mapped[list[list[object]]] = mapped_column(JSON)
    # When the change was made: holds lapsed by then count as available in ``counts``.
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Written at commit by the trigger.
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    counts: Mapped[list[list[object]] | None] = mapped_column(JSON, nullable=True)


class ShowCount(Base):
    """Seats of one show, category and leg in each state, kept in step by every change.

    ``held`` counts seat rows in state ``HELD``, lapsed holds included until the sweeper
    releases them; reads subtract the lapsed ones (:mod:`.counts`), so nothing on the hot
    path ever recounts a show's seats.
    """

    __tablename__ = "show_counts"

    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    leg: Mapped[int] = mapped_column(Integer, primary_key=True)
    total: Mapped[int] = mapped_column(Integer)
    held: Mapped[int] = mapped_column(Integer, default=0)
    sold: Mapped[int] = mapped_column(Integer, default=0)


class CustomerPlaces(Base):
    """Seats and standing places one customer holds or has booked for one show.

    Raised when a hold is made, lowered when the hold (or its booking) ends: the
    per-customer limit is one conditional upsert of this row, never a count.
    """

    __tablename__ = "customer_places"

    show_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    places: Mapped[int] = mapped_column(Integer, default=0)


class Hold(Base):
    __tablename__ = "holds"
    __table_args__ = (Index("ix_holds_status_expires", "status", "expires_at"),
                      # the per-customer limit counts one customer's holds for one show
                      Index("ix_holds_show_user", "show_id", "user_id"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(36), index=True)
    # ACTIVE -> CHECKED_OUT -> BOOKED (paid: its places are sold), or RELEASED | EXPIRED
    # (a lapsed ACTIVE hold counts as EXPIRED); RELEASED also when its booking is cancelled.
    status: Mapped[str] = mapped_column(String(20), default=HoldStatus.ACTIVE)
    # The legs held, first and one past the last ([0, 1) for a show without stops).
    leg_from: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    leg_to: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Seats (a seat held on several legs is one) plus standing places: what the hold adds to
    # its customer's places until it ends (released or expired, or its booking cancelled).
    places: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AdmissionSection(Base):
    """A general-admission (standing) section of one show, from ``ShowPublished``.

    ``held`` counts the places of holds that have not ended, lapsed ones included until the
    sweeper releases them; a hold takes places with one conditional update
    (``capacity - sold - held >= quantity``), and reads subtract lapsed holds' places.
    """

    __tablename__ = "ga_sections"

    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id"), primary_key=True)
    section_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    # Places whose payment was confirmed (a held place counts in ``held`` until then).
    sold: Mapped[int] = mapped_column(Integer, default=0)
    held: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    price_amount: Mapped[int] = mapped_column(Integer)  # minor units, the show's currency


class HoldAdmission(Base):
    """A hold's places in one general-admission section."""

    __tablename__ = "hold_ga_lines"
    __table_args__ = (Index("ix_hold_ga_lines_section", "show_id", "section_id"),)

    hold_id: Mapped[str] = mapped_column(ForeignKey("holds.id"), primary_key=True)
    section_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    show_id: Mapped[str] = mapped_column(String(36))
    quantity: Mapped[int] = mapped_column(Integer)
    # True once these places no longer count in the section's ``held``: the hold ended, was
    # paid (they moved to ``sold``), or lapsed and another hold reclaimed its places.
    released: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class Booking(Base):
    __tablename__ = "bookings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(36), index=True)
    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id"), index=True)
    hold_id: Mapped[str] = mapped_column(ForeignKey("holds.id"), unique=True)
    # PENDING_PAYMENT -> CONFIRMED | EXPIRED | CANCELLED; CONFIRMED -> CANCELLED
    # (its legs are its hold's)
    status: Mapped[str] = mapped_column(String(20), default=BookingStatus.PENDING_PAYMENT)
    total_amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The payment that confirmed it (from payment's PaymentSucceeded).
    payment_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # When its status last changed (null until then).
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True,
                                                        onupdate=utcnow)


class BookingLine(Base):
    __tablename__ = "booking_lines"

    booking_id: Mapped[str] = mapped_column(ForeignKey("bookings.id"), primary_key=True)
    seat_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    label: Mapped[str] = mapped_column(String(40))
    price_amount: Mapped[int] = mapped_column(Integer)


class BookingAdmission(Base):
    """A booking's places in one general-admission section, at the section's price."""

    __tablename__ = "booking_ga_lines"

    booking_id: Mapped[str] = mapped_column(ForeignKey("bookings.id"), primary_key=True)
    section_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    price_amount: Mapped[int] = mapped_column(Integer)  # per place


class ShowQueue(Base):
    """A show's waiting room (booking/waiting_room.py, docs/waiting-room.md): when it opens,
    how fast it admits (``rate_per_minute``; null: auto) and whether it is paused. Who waits
    where lives in the queue store (Redis, or memory when embedded), not here."""

    __tablename__ = "show_queues"

    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id"), primary_key=True)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rate_per_minute: Mapped[int | None] = mapped_column(Integer, nullable=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QueuePassUse(Base):
    """A queue pass spent on a hold: a pass admits one purchase session (its ``jti`` once)."""

    __tablename__ = "queue_pass_uses"

    jti: Mapped[str] = mapped_column(String(200), primary_key=True)
    show_id: Mapped[str] = mapped_column(String(36), index=True)
    user_id: Mapped[str] = mapped_column(String(36))
    idempotency_key: Mapped[str | None] = mapped_column(String(256), nullable=True)
    hold_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


TABLES = kernel_tables(Base.metadata)
