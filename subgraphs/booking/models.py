"""The booking subgraph's tables: per-show inventory, holds and bookings."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    false,
    text,
    true,
)
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
    # Seats that came back, kept for the head of a waiting list until they are as many as
    # it asked for (then the hold becomes ACTIVE: the offer). Never lapses; see waitlist.py.
    RESERVED: Final = "RESERVED"
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
    # Waiting list (waitlist.py): entries still WAITING, and the last position given out.
    # While ``waiting`` > 0 a lapsed hold's seats wait for the sweeper (they go to the line).
    waiting: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    waitlist_last: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Fares per segment and fare classes from ShowPublished (booking/fares.py); none: every
    # seat at its category's price.
    fares: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

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
    # Sales reports and exports read a show's bookings by time (reports.py, exports.py).
    __table_args__ = (Index("ix_bookings_show_created", "show_id", "created_at"),
                      # Show.checkInList.ticketChanges: a show's bookings by door_seq.
                      Index("ix_bookings_show_door_seq", "show_id", "door_seq", "id"))

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
    # What a promo code took off (``total_amount`` is net of it); the lines say per line.
    discount_amount: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When its status last changed (null until then).
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True,
                                                        onupdate=utcnow)
    # The show's check-in sequence (``check_in_counts.seq``) when it was last confirmed or
    # cancelled: the order gate devices learn of it in (Show.checkInList.ticketChanges).
    door_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class BookingLine(Base):
    __tablename__ = "booking_lines"

    booking_id: Mapped[str] = mapped_column(ForeignKey("bookings.id"), primary_key=True)
    seat_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    label: Mapped[str] = mapped_column(String(40))
    price_amount: Mapped[int] = mapped_column(Integer)
    # Taken off this line by a promo code at checkout (minor units; never changes after).
    discount_amount: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The ticket type sold (key and name), for a show with ticket types; null otherwise.
    ticket_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    ticket_type_name: Mapped[str | None] = mapped_column(String(100), nullable=True)


class BookingAdmission(Base):
    """A booking's places in one general-admission section, at the section's price."""

    __tablename__ = "booking_ga_lines"

    booking_id: Mapped[str] = mapped_column(ForeignKey("bookings.id"), primary_key=True)
    section_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    price_amount: Mapped[int] = mapped_column(Integer)  # per place
    # Taken off the whole line (all its places) by a promo code at checkout.
    discount_amount: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The ticket type sold (key and name), for a show with ticket types; null otherwise.
    ticket_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    ticket_type_name: Mapped[str | None] = mapped_column(String(100), nullable=True)


class ShowTicketType(Base):
    """A ticket type of a show (Adult, Child...), from ``ShowPublished`` (:mod:`.ticket_types`):
    a price per category, a minimum and maximum per hold. The first is the default."""

    __tablename__ = "show_ticket_types"

    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    prices: Mapped[dict[str, int]] = mapped_column(JSON)  # category -> minor units
    min_per_order: Mapped[int] = mapped_column(Integer, default=0)
    max_per_order: Mapped[int | None] = mapped_column(Integer, nullable=True)


class HoldTicketLine(Base):
    """The ticket type of one seat or standing section of a hold, and its unit price then:
    frozen when the hold is made, so no later price change alters the hold or its booking.
    Only holds of shows with ticket types have them."""

    __tablename__ = "hold_ticket_lines"

    hold_id: Mapped[str] = mapped_column(ForeignKey("holds.id"), primary_key=True)
    place_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # seat or section
    ticket_type: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    price_amount: Mapped[int] = mapped_column(Integer)  # per seat or place


class PromoKind:
    """``promo_codes.kind``: a percentage of each line in scope, or an amount off."""

    PERCENT: Final = "PERCENT"
    AMOUNT: Final = "AMOUNT"


class PromoCode(Base):
    """An organizer's promo code (:mod:`.promos`). ``code_key`` is the code upper-cased:
    codes are case-insensitive and unique per organizer."""

    __tablename__ = "promo_codes"
    __table_args__ = (Index("ux_promo_codes_organizer_code", "organizer_id", "code_key",
                            unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organizer_id: Mapped[str] = mapped_column(String(36))
    code: Mapped[str] = mapped_column(String(40))  # as the organizer wrote it
    code_key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))
    percent: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 1 to 100
    amount: Mapped[int | None] = mapped_column(Integer, nullable=True)  # minor units
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)  # with amount
    show_ids: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every show
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every one
    unlocks_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    max_redemptions: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_per_customer: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Bookings that hold a redemption now: raised by checkout with one conditional UPDATE,
    # lowered when such a booking is cancelled, refunded in full or expires.
    redeemed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HiddenCategory(Base):
    """A price category of a show sold only to holds whose promo code unlocks it (venue's
    ``PriceTierInput.hidden``, carried by ``ShowPublished``)."""

    __tablename__ = "hidden_categories"

    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)


class HoldPromoCode(Base):
    """The promo code applied to a hold (``applyPromoCode``), redeemed at its checkout."""

    __tablename__ = "hold_promo_codes"

    hold_id: Mapped[str] = mapped_column(ForeignKey("holds.id"), primary_key=True)
    code_id: Mapped[str] = mapped_column(ForeignKey("promo_codes.id"))


class PromoCustomerUse(Base):
    """How many redemptions of one code one customer holds now: the per-customer limit is
    one conditional upsert of this row (as :class:`CustomerPlaces` is), never a count."""

    __tablename__ = "promo_customer_uses"

    code_id: Mapped[str] = mapped_column(ForeignKey("promo_codes.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    used: Mapped[int] = mapped_column(Integer, default=0)


class PromoRedemption(Base):
    """A booking that redeemed a code; deleted (once) when the redemption is given back."""

    __tablename__ = "promo_redemptions"
    __table_args__ = (Index("ix_promo_redemptions_code_user", "code_id", "user_id"),)

    booking_id: Mapped[str] = mapped_column(ForeignKey("bookings.id"), primary_key=True)
    code_id: Mapped[str] = mapped_column(ForeignKey("promo_codes.id"))
    user_id: Mapped[str] = mapped_column(String(36))
    discount_amount: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RefundRecord(Base):
    """Money payment gave back for a booking, from payment's ``PaymentRefunded`` (one row per
    refund, partial ones included): what sales reports subtract. Payment owns refunds;
    this is booking's copy of the amounts, written once per refund (:mod:`.sales_ledger`)."""

    __tablename__ = "booking_refunds"
    __table_args__ = (Index("ix_booking_refunds_show_at", "show_id", "refunded_at"),
                      Index("ix_booking_refunds_booking", "booking_id"))

    refund_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    booking_id: Mapped[str] = mapped_column(String(36))
    show_id: Mapped[str] = mapped_column(String(36))
    payment_id: Mapped[str] = mapped_column(String(36))
    amount: Mapped[int] = mapped_column(Integer)  # minor units
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(40))
    refunded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DoorStaff(Base):
    """Door staff of a venue, a replica of venue's grants (``VenueStaffGranted``,
    ``VenueStaffRevoked``): who may check tickets in for the venue's shows."""

    __tablename__ = "venue_staff"
    __table_args__ = (Index("ix_venue_staff_user", "user_id"),)

    venue_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class CheckIn(Base):
    """A ticket let in at a door: one row per ticket, ever. The primary key decides which
    of two scans of one ticket came first (the first insert wins); an offline scan uploaded
    later with an earlier ``at`` takes the row over (the earliest scan wins)."""

    __tablename__ = "check_ins"
    __table_args__ = (Index("ix_check_ins_show", "show_id"),
                      # Show.checkInList.scansAfter: a show's scans in the order recorded.
                      Index("ix_check_ins_show_seq", "show_id", "seq", "ticket_id"))

    # "<booking id>:<seat id>" or "<booking id>:<section id>:<n>", the ticket's tid.
    ticket_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    show_id: Mapped[str] = mapped_column(String(36))
    booking_id: Mapped[str] = mapped_column(String(36))
    seat: Mapped[str] = mapped_column(String(250))  # the ticket's label
    gate: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the gate scanned it
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    scanned_by: Mapped[str] = mapped_column(String(36))
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    # The show's check-in sequence (``check_in_counts.seq``) of the transaction that last
    # wrote this row: the order of recording, which gate devices follow (not ``at``).
    seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class CheckInCount(Base):
    """A show's tickets (of confirmed bookings) and those let in so far, moved by every
    confirmation, cancellation and first scan: never recounted."""

    __tablename__ = "check_in_counts"

    show_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    expected: Mapped[int] = mapped_column(Integer, default=0)
    admitted: Mapped[int] = mapped_column(Integer, default=0)
    # Moved by one in every transaction that confirms or cancels a booking of the show or
    # records a scan, under this row's lock until its commit: so a transaction that commits
    # later always has a larger number (checkins.move_counts).
    seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class BookingHistoryEntry(Base):
    """A change of a booking's status that no other row keeps the time of: confirmed
    (paid), cancelled, expired. Append-only, written in the transaction that changes the
    status (:func:`subgraphs.booking.backoffice.record`); ``Booking.history`` reads it
    beside the hold, the booking, ``booking_refunds`` and ``check_ins``."""

    __tablename__ = "booking_history"
    __table_args__ = (Index("ix_booking_history_booking", "booking_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    booking_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(20))  # CONFIRMED | CANCELLED | EXPIRED
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TeamMemberReplica(Base):
    """Venue team members (MANAGER, BOX_OFFICE), a replica of venue's (``TeamMemberAdded``,
    ``TeamMemberRemoved``): they search the venue's bookings and check tickets in; a
    MANAGER also reads its shows' sales reports (:mod:`.backoffice`)."""

    __tablename__ = "venue_team"
    __table_args__ = (Index("ix_venue_team_user", "user_id"),)

    venue_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))

# organizerBookings (backoffice.py): newest first by (created_at, id) for admins, an
# organizer's shows and a venue's shows, an exact seat label.
Index("ix_bookings_created_id", Booking.created_at, Booking.id)
Index("ix_shows_organizer", BookableShow.organizer_id)
Index("ix_shows_venue", BookableShow.venue_id)
Index("ix_booking_lines_label", BookingLine.label)


class WaitlistStatus:
    """``waitlist_entries.status``: WAITING -> OFFERED -> CLAIMED, or EXPIRED | LEFT."""

    WAITING: Final = "WAITING"
    OFFERED: Final = "OFFERED"
    CLAIMED: Final = "CLAIMED"
    EXPIRED: Final = "EXPIRED"
    LEFT: Final = "LEFT"
    ACTIVE: Final = (WAITING, OFFERED)


class WaitingListEntry(Base):
    """One customer waiting for ``quantity`` seats of a sold-out show (see waitlist.py).

    ``position`` is the join order within the show (1, 2, ...; from the show's
    ``waitlist_last``, raised under the show's row lock, so two joins never share one).
    ``hold_id`` is the hold the returned seats gather in (RESERVED while fewer than
    ``quantity``, then the ACTIVE offer hold); ``reserved`` how many it has.
    """

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        Index("ix_waitlist_line", "show_id", "status", "position"),
        Index("ux_waitlist_position", "show_id", "position", unique=True),
        Index("ix_waitlist_hold", "hold_id"),
        Index("ix_waitlist_user", "user_id"),
        # One active entry per customer and show.
        Index("ux_waitlist_active", "show_id", "user_id", unique=True,
              postgresql_where=text("status IN ('WAITING', 'OFFERED')"),
              sqlite_where=text("status IN ('WAITING', 'OFFERED')")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id"))
    user_id: Mapped[str] = mapped_column(String(36))
    position: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    section_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=WaitlistStatus.WAITING)
    hold_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    reserved: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class FareQuota(Base):
    """How many seats of a fare class are held or sold on one leg, and the most it may
    (invariant 15): moved only by a conditional UPDATE in the hold's transaction."""

    __tablename__ = "fare_quotas"

    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id"), primary_key=True)
    fare_class: Mapped[str] = mapped_column(String(40), primary_key=True)
    leg: Mapped[int] = mapped_column(Integer, primary_key=True)
    quota: Mapped[int] = mapped_column(Integer)
    used: Mapped[int] = mapped_column(Integer, default=0)


class HoldFare(Base):
    """A hold's fare: its fare class and the unit price of each category, fixed when it was
    made; ``returned_at`` once its quota was given back (exactly once)."""

    __tablename__ = "hold_fares"

    hold_id: Mapped[str] = mapped_column(ForeignKey("holds.id"), primary_key=True)
    show_id: Mapped[str] = mapped_column(String(36), index=True)
    fare_class: Mapped[str | None] = mapped_column(String(40), nullable=True)
    seats: Mapped[int] = mapped_column(Integer)
    # category -> unit price (minor units) of this hold's segment and class
    prices: Mapped[dict[str, Any]] = mapped_column(JSON)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ShowQueue(Base):
    """A show's waiting room (booking/waiting_room.py, docs/waiting-room.md): when it opens,
    how fast it admits (``rate_per_minute``; null: auto) and whether it is paused. Who waits
    where lives in the queue store (Redis, or memory when embedded), not here."""

    __tablename__ = "show_queues"

    show_id: Mapped[str] = mapped_column(ForeignKey("shows.id"), primary_key=True)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rate_per_minute: Mapped[int | None] = mapped_column(Integer, nullable=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # joinQueue refuses accounts whose email is not verified (EMAIL_NOT_VERIFIED).
    require_verified_email: Mapped[bool] = mapped_column(Boolean, default=True,
                                                         server_default=true())
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
