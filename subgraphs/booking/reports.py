"""Sales reports for a show's organizer: sold, held, refunded, revenue net of refunds and
discounts, by category, by day and over time.

Read by organizers, never on the on-sale path: a report is a handful of aggregate
statements over the show's bookings (``GROUP BY`` in the database, through the indexes
``ix_bookings_show_created``, the primary keys of ``booking_lines``, ``show_seats`` and
``ga_sections``, and ``ix_booking_refunds_show_at``), never a loop over bookings in Python.
What comes back to Python is one row per category, per booking status, and per quarter
hour that had sales or refunds.

The definitions (README, "Reports and exports"):

* a line is a seat or a standing section's places of a booking that was **paid** (payment
  confirmed it: ``payment_id`` is set), whether it was cancelled later or not;
* **sold**: seats and places of bookings ``CONFIRMED`` now (a cancelled one's no longer);
* **gross**: the lines' list prices; **discounts**: what promotions took off them
  (:func:`line_discounts`); **refunded**: what payment gave back (``booking_refunds``,
  partial refunds by amount); **net** = gross - discounts - refunded;
* a booking's refunds are spread over its categories in proportion to what was paid for
  each, in whole minor units that add up exactly (cumulative rounding);
* sales fall on the time of the order (``bookings.created_at``), refunds on the time
  they were made; days and hours are the venue's (the show's ``time_zone``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import BigInteger, Integer, case, cast, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from subgraphs.booking import inventory
from subgraphs.booking.models import (
    AdmissionSection,
    BookableShow,
    Booking,
    BookingAdmission,
    BookingLine,
    BookingStatus,
    RefundRecord,
    ShowSeat,
)
from subgraphs.kernel.auth import Caller, require_caller, require_owner_or_admin

# Sales are summed per quarter hour (UTC) in the database, then folded into the venue's
# hours and days: every time zone's offset is a whole number of quarter hours.
SLOT_SECONDS = 900


class Bucket(enum.Enum):
    HOUR = "HOUR"
    DAY = "DAY"


def line_discounts(kind: str) -> ColumnElement[int]:
    """What promotions took off one line, in minor units: ``kind`` is ``"seat"`` (a row of
    ``booking_lines``) or ``"admission"`` (a row of ``booking_ga_lines``, all its places).

    The one place discounts enter reports: totals, byCategory, byDay, salesOverTime and the
    orders export all read them through here. A promo code's discount is stored per line
    at checkout (``discount_amount``; the booking's ``total_amount`` is net of it).
    """
    if kind == "seat":
        return BookingLine.discount_amount.expression
    if kind == "admission":
        return BookingAdmission.discount_amount.expression
    raise ValueError(f"no discount for lines of kind {kind!r}")


@dataclass
class Figures:
    """Places sold and money of a category, a day or a time bucket."""

    sold: int = 0
    gross: int = 0
    discounts: int = 0
    refunded: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.discounts - self.refunded

    def add(self, other: Figures) -> None:
        self.sold += other.sold
        self.gross += other.gross
        self.discounts += other.discounts
        self.refunded += other.refunded


@dataclass
class CategoryFigures(Figures):
    category: str = ""


@dataclass
class DayFigures(Figures):
    date: date = date.min


@dataclass
class Point:
    """One bucket of the sales-over-time series (the bucket's start, in the venue's zone)."""

    at: datetime
    sold: int
    net: int
    cumulative_sold: int
    cumulative_net: int


@dataclass
class SalesReport:
    show_id: str
    currency: str
    time_zone: str
    held: int
    bookings: int  # confirmed now
    pending_bookings: int
    cancelled_bookings: int
    refunded_bookings: int  # with any refund, partial ones included
    totals: Figures
    by_category: list[CategoryFigures]
    by_day: list[DayFigures]
    # quarter hour (UTC, as its start) -> figures; folded into buckets by ``over_time``
    slots: dict[datetime, Figures] = field(repr=False)

    def over_time(self, bucket: Bucket) -> list[Point]:
        """Sold and net per hour or day (the venue's) that had any, with running totals."""
        zone = zone_of(self.time_zone)
        folded: dict[datetime, Figures] = {}
        for start, figures in sorted(self.slots.items()):
            local = start.astimezone(zone)
            key = (local.replace(minute=0, second=0, microsecond=0) if bucket is Bucket.HOUR
                   else local.replace(hour=0, minute=0, second=0, microsecond=0))
            # A local midnight or hour that is not a real instant (a DST gap) is normalised.
            key = key.astimezone(UTC).astimezone(zone)
            folded.setdefault(key, Figures()).add(figures)
        points, sold, net = [], 0, 0
        for at, f in sorted(folded.items()):
            sold += f.sold
            net += f.net
            points.append(Point(at=at, sold=f.sold, net=f.net, cumulative_sold=sold,
                                cumulative_net=net))
        return points


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


async def sales_report(session: AsyncSession, caller: Caller | None, show_id: str,
                       *, sqlite: bool) -> SalesReport | None:
    """The show's report (its organizer or an admin); ``None`` for a show booking never had
    on sale. Anonymous callers are ``UNAUTHENTICATED``, others ``FORBIDDEN``."""
    who = require_caller(caller)
    show = await session.get(BookableShow, show_id)
    if show is None:
        return None
    require_owner_or_admin(who, show.organizer_id)
    return await _report(session, show, sqlite=sqlite)


def _lines(show_id: str) -> Any:
    """Every line of the show's paid bookings: booking, order time, whether it is confirmed
    now, category, places, list price and discount (a subquery)."""
    confirmed = case((Booking.status == BookingStatus.CONFIRMED, 1), else_=0)
    paid = (Booking.show_id == show_id) & Booking.payment_id.is_not(None)
    seats = (
        select(Booking.id.label("booking_id"), Booking.created_at.label("at"),
               confirmed.label("confirmed"), ShowSeat.category.label("category"),
               literal(1, Integer).label("places"),
               BookingLine.price_amount.label("gross"),
               line_discounts("seat").label("discount"))
        .join(BookingLine, BookingLine.booking_id == Booking.id)
        .join(ShowSeat, (ShowSeat.show_id == Booking.show_id)
              & (ShowSeat.seat_id == BookingLine.seat_id) & (ShowSeat.leg == 0))
        .where(paid))
    places = (
        select(Booking.id.label("booking_id"), Booking.created_at.label("at"),
               confirmed.label("confirmed"), AdmissionSection.category.label("category"),
               BookingAdmission.quantity.label("places"),
               (BookingAdmission.quantity * BookingAdmission.price_amount).label("gross"),
               line_discounts("admission").label("discount"))
        .join(BookingAdmission, BookingAdmission.booking_id == Booking.id)
        .join(AdmissionSection, (AdmissionSection.show_id == Booking.show_id)
              & (AdmissionSection.section_id == BookingAdmission.section_id))
        .where(paid))
    return union_all(seats, places).subquery("lines")


def _refunds(show_id: str) -> Any:
    """The show's refunds of paid bookings (a subquery: booking, amount, time)."""
    return (select(RefundRecord.booking_id, RefundRecord.amount, RefundRecord.refunded_at)
            .join(Booking, Booking.id == RefundRecord.booking_id)
            .where(RefundRecord.show_id == show_id, Booking.payment_id.is_not(None))
            .subquery("refunds"))


def _slot(column: Any, sqlite: bool) -> ColumnElement[Any]:
    """The quarter hour (UTC, seconds since the epoch / 900) a stored naive-UTC time is in."""
    if sqlite:
        return cast(func.strftime("%s", column), Integer).op("/")(SLOT_SECONDS)
    return cast(func.floor(func.extract("epoch", column) / SLOT_SECONDS), BigInteger)


def _allocated_refunds(show_id: str) -> Any:
    """Refunds per category: each booking's refunds spread over its categories in proportion
    to what was paid for each; cumulative rounding makes a booking's shares add up to
    exactly what it was refunded (one statement, window functions)."""
    lines = _lines(show_id)
    paid = (select(lines.c.booking_id, lines.c.category,
                   func.sum(lines.c.gross - lines.c.discount).label("paid"))
            .group_by(lines.c.booking_id, lines.c.category).subquery("paid"))
    refunds = _refunds(show_id)
    per_booking = (select(refunds.c.booking_id, func.sum(refunds.c.amount).label("refunded"))
                   .group_by(refunds.c.booking_id).subquery("per_booking"))
    big = BigInteger()
    shares = (
        select(paid.c.category,
               cast(per_booking.c.refunded, big).label("r"),
               cast(paid.c.paid, big).label("a"),
               cast(func.sum(paid.c.paid).over(
                   partition_by=paid.c.booking_id, order_by=paid.c.category,
                   rows=(None, 0)), big).label("cum"),
               cast(func.sum(paid.c.paid).over(partition_by=paid.c.booking_id), big)
               .label("t"),
               func.row_number().over(partition_by=paid.c.booking_id,
                                      order_by=paid.c.category).label("n"))
        .join(per_booking, per_booking.c.booking_id == paid.c.booking_id)
        .subquery("shares"))
    share = case(
        (shares.c.t == 0, case((shares.c.n == 1, shares.c.r), else_=0)),
        else_=(shares.c.r * shares.c.cum).op("/")(shares.c.t)
        - (shares.c.r * (shares.c.cum - shares.c.a)).op("/")(shares.c.t))
    return (select(shares.c.category, func.sum(share).label("refunded"))
            .group_by(shares.c.category))


async def _report(session: AsyncSession, show: BookableShow, *, sqlite: bool) -> SalesReport:
    lines = _lines(show.id)
    categories: dict[str, CategoryFigures] = {}
    for category, sold, gross, discounts in await session.execute(
            select(lines.c.category, func.sum(lines.c.places * lines.c.confirmed),
                   func.sum(lines.c.gross), func.sum(lines.c.discount))
            .group_by(lines.c.category)):
        categories[category] = CategoryFigures(category=category, sold=int(sold or 0),
                                               gross=int(gross or 0),
                                               discounts=int(discounts or 0))
    for category, refunded in await session.execute(_allocated_refunds(show.id)):
        categories.setdefault(category, CategoryFigures(category=category)).refunded = \
            int(refunded or 0)

    slots: dict[datetime, Figures] = {}
    slot = _slot(lines.c.at, sqlite)
    for n, sold, gross, discounts in await session.execute(
            select(slot, func.sum(lines.c.places * lines.c.confirmed), func.sum(lines.c.gross),
                   func.sum(lines.c.discount)).group_by(slot)):
        slots[_start(n)] = Figures(sold=int(sold or 0), gross=int(gross or 0),
                                   discounts=int(discounts or 0))
    refunds = _refunds(show.id)
    slot = _slot(refunds.c.refunded_at, sqlite)
    for n, refunded in await session.execute(
            select(slot, func.sum(refunds.c.amount)).group_by(slot)):
        slots.setdefault(_start(n), Figures()).refunded += int(refunded or 0)

    statuses: dict[str, int] = {status: n for status, n in await session.execute(
        select(Booking.status, func.count()).where(Booking.show_id == show.id)
        .group_by(Booking.status))}
    refunded_bookings = await session.scalar(
        select(func.count(func.distinct(refunds.c.booking_id))))
    found = (await inventory.availability_by_show(session, [show.id]))[0]
    held = 0 if found is None else sum(c.held for c in found.by_category)

    totals = Figures()
    for figures in slots.values():
        totals.add(figures)
    zone = zone_of(show.time_zone)
    days: dict[date, DayFigures] = {}
    for start, figures in slots.items():
        day = start.astimezone(zone).date()
        days.setdefault(day, DayFigures(date=day)).add(figures)
    return SalesReport(
        show_id=show.id, currency=show.currency, time_zone=show.time_zone, held=held,
        bookings=int(statuses.get(BookingStatus.CONFIRMED, 0)),
        pending_bookings=int(statuses.get(BookingStatus.PENDING_PAYMENT, 0)),
        cancelled_bookings=int(statuses.get(BookingStatus.CANCELLED, 0)),
        refunded_bookings=int(refunded_bookings or 0), totals=totals,
        by_category=sorted(categories.values(), key=lambda c: c.category),
        by_day=sorted(days.values(), key=lambda d: d.date), slots=slots)


def _start(slot: Any) -> datetime:
    return datetime.fromtimestamp(int(slot) * SLOT_SECONDS, UTC)

