"""The venue subgraph's tables: venues, halls with seat maps, shows with prices and stops."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.kernel.db import UTCDateTime, new_id, new_metadata, utcnow
from subgraphs.kernel.tables import kernel_tables


class ShowStatus:
    """``shows.status``: DRAFT -> ON_SALE -> CLOSED, or CANCELLED."""

    DRAFT: Final = "DRAFT"
    ON_SALE: Final = "ON_SALE"
    CLOSED: Final = "CLOSED"
    CANCELLED: Final = "CANCELLED"


class Base(DeclarativeBase):
    metadata = new_metadata()


class Venue(Base):
    __tablename__ = "venues"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # The IANA zone its shows are announced in (mails, tickets); venues from before zones: UTC.
    time_zone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VenueStaff(Base):
    """Door staff of a venue: users its owner (or an admin) lets check tickets in for the
    venue's shows. A grant per venue, not a role: booking keeps a replica from the
    ``VenueStaffGranted`` and ``VenueStaffRevoked`` events."""

    __tablename__ = "venue_staff"

    venue_id: Mapped[str] = mapped_column(ForeignKey("venues.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    granted_by: Mapped[str] = mapped_column(String(36))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Hall(Base):
    """A screen, a stage, a train consist, an aircraft: one seat map."""

    __tablename__ = "halls"
    __table_args__ = (UniqueConstraint("venue_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    venue_id: Mapped[str] = mapped_column(ForeignKey("venues.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="OTHER")
    # The compact map (Show.seatMap), drawn once at import: a hall never changes after.
    seat_map: Mapped[str] = mapped_column(Text, deferred=True)  # MBs: read only on demand
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Section(Base):
    """Seated (its seats have rows) or general admission (a capacity, no seats)."""

    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("hall_id", "key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    hall_id: Mapped[str] = mapped_column(ForeignKey("halls.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    category: Mapped[str | None] = mapped_column(String(40), nullable=True)


class Seat(Base):
    __tablename__ = "seats"
    __table_args__ = (UniqueConstraint("hall_id", "label"),
                      Index("ix_seats_hall_position", "hall_id", "position"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    hall_id: Mapped[str] = mapped_column(ForeignKey("halls.id"))
    section_id: Mapped[str] = mapped_column(ForeignKey("sections.id"))
    position: Mapped[int] = mapped_column(Integer)  # seat-map order
    row_label: Mapped[str] = mapped_column(String(20))
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(40))
    x: Mapped[int] = mapped_column(Integer)
    y: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(40))
    accessible: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)


class ShowSeries(Base):
    """A recurring schedule (``createShowSeries``): the rule its shows were made from. Its
    shows are ordinary shows that name it (``Show.series_id``)."""

    __tablename__ = "show_series"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    venue_id: Mapped[str] = mapped_column(ForeignKey("venues.id"), index=True)
    hall_id: Mapped[str] = mapped_column(ForeignKey("halls.id"))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="OTHER")
    # The rule, in the venue's zone: "MON,WED", "14:00,20:00", dates inclusive, "2032-03-10,...".
    weekdays: Mapped[str] = mapped_column(String(40))
    times: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    exceptions: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Show(Base):
    __tablename__ = "shows"
    __table_args__ = (Index("ix_shows_hall_time", "hall_id", "starts_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    venue_id: Mapped[str] = mapped_column(ForeignKey("venues.id"), index=True)
    hall_id: Mapped[str] = mapped_column(ForeignKey("halls.id"))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="OTHER")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=ShowStatus.DRAFT, index=True)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The series it was made by (createShowSeries); None for a single show.
    series_id: Mapped[str | None] = mapped_column(ForeignKey("show_series.id"), nullable=True,
                                                  index=True)
    # A journey's fares per segment and its fare classes (subgraphs/venue/fares.py).
    fares: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class PriceTier(Base):
    """The price of one category (of seats or of a standing section) for one show."""

    __tablename__ = "price_tiers"

    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    amount: Mapped[int] = mapped_column(Integer)
    # Sold only to holds whose promo code unlocks the category (booking enforces it).
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class TicketType(Base):
    """A ticket type of one show (Adult, Child...): a price per category, an eligibility
    note, a minimum and maximum per order (:mod:`.ticket_types`)."""

    __tablename__ = "ticket_types"

    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)  # the first is the default
    name: Mapped[str] = mapped_column(String(100))
    eligibility: Mapped[str | None] = mapped_column(String(500), nullable=True)
    prices: Mapped[dict[str, int]] = mapped_column(JSON)  # category -> minor units
    min_per_order: Mapped[int] = mapped_column(Integer, default=0)
    max_per_order: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Stop(Base):
    """A stop of a journey; legs run between consecutive stops."""

    __tablename__ = "stops"

    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    departs_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class TeamRole:
    """``team_members.role`` (DOOR_STAFF is the existing ``venue_staff`` grant)."""

    MANAGER: Final = "MANAGER"
    BOX_OFFICE: Final = "BOX_OFFICE"
    DOOR_STAFF: Final = "DOOR_STAFF"
    ALL: Final = (MANAGER, BOX_OFFICE, DOOR_STAFF)


class TeamMember(Base):
    """A user on a venue's team as MANAGER or BOX_OFFICE (:mod:`.teams`); door staff are
    ``venue_staff``. Booking hears ``TeamMemberAdded``/``TeamMemberRemoved``."""

    __tablename__ = "team_members"
    __table_args__ = (Index("ix_team_members_user", "user_id"),)

    venue_id: Mapped[str] = mapped_column(ForeignKey("venues.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    added_by: Mapped[str] = mapped_column(String(36))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TeamInvitation(Base):
    """An invitation to one or more venues' teams: whoever presents its token (once, before
    ``expires_at``) joins them. Only the token's SHA-256 is kept."""

    __tablename__ = "team_invitations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    venue_ids: Mapped[list[str]] = mapped_column(JSON)
    invited_by: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


TABLES = kernel_tables(Base.metadata)
