"""Reads behind the schema's loaders: each batch function answers many keys in one query."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.booking import fares
from subgraphs.booking.models import (
    AdmissionSection,
    BookableShow,
    Booking,
    BookingAdmission,
    BookingLine,
    Hold,
    HoldAdmission,
    HoldTicketLine,
    ShowSeat,
)
from subgraphs.kernel.db import all_each, one_each


async def shows_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[BookableShow | None]:
    """Shows in the order of ``ids``, in one query."""
    return await one_each(session, BookableShow.id, ids)


async def holds_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[Hold | None]:
    """Holds in the order of ``ids``, in one query."""
    return await one_each(session, Hold.id, ids)


async def bookings_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[Booking | None]:
    """Bookings in the order of ``ids``, in one query."""
    return await one_each(session, Booking.id, ids)


async def bookings_by_users(session: AsyncSession, user_ids: Sequence[str]) -> list[list[Booking]]:
    """Each user's bookings, newest first, for many users in one query."""
    return await all_each(session, Booking.user_id, user_ids, Booking.created_at.desc(),
                          Booking.id)


async def lines_by_bookings(session: AsyncSession,
                            booking_ids: Sequence[str]) -> list[list[BookingLine]]:
    """Each booking's line items, for many bookings in one query."""
    return await all_each(session, BookingLine.booking_id, booking_ids, BookingLine.label)


@dataclass(frozen=True)
class PricedSeat:
    """A seat a hold holds, at its price (on the hold's first leg)."""

    seat_id: str
    label: str
    category: str
    price_amount: int
    # The ticket type (key, name) on a show with ticket types (:mod:`.ticket_types`).
    ticket_type: tuple[str, str] | None = None


@dataclass(frozen=True)
class TypedPlaces:
    """The ticket type of a hold's places in one standing section, at its frozen price."""

    ticket_type: tuple[str, str]  # key, name
    price_amount: int  # per place


@dataclass
class HoldPrice:
    """What a hold would cost at checkout: its seats, its standing places, the currency."""

    seats: list[PricedSeat]
    places: list[tuple[HoldAdmission, AdmissionSection]]
    currency: str
    # section id -> the type and frozen price of its places (shows with ticket types).
    typed_places: dict[str, TypedPlaces] = field(default_factory=dict)

    def unit_price(self, section: AdmissionSection) -> int:
        """The price of one place of ``section`` in this hold."""
        typed = self.typed_places.get(section.section_id)
        return section.price_amount if typed is None else typed.price_amount

    def place_type(self, section: AdmissionSection) -> tuple[str, str] | None:
        """The ticket type of the places of ``section`` in this hold (key, name)."""
        typed = self.typed_places.get(section.section_id)
        return None if typed is None else typed.ticket_type

    @property
    def total(self) -> int:
        return (sum(s.price_amount for s in self.seats)
                + sum(a.quantity * self.unit_price(g) for a, g in self.places))


async def prices_of_holds(session: AsyncSession, hold_ids: Sequence[str]) -> list[HoldPrice]:
    """Each hold's seats and places with their prices, in three queries for any number."""
    ids = set(hold_ids)
    seats = await session.execute(
        select(ShowSeat.hold_id, ShowSeat.seat_id, ShowSeat.label, ShowSeat.category,
               ShowSeat.price_amount)
        .join(Hold, and_(Hold.id == ShowSeat.hold_id, Hold.leg_from == ShowSeat.leg))
        .where(ShowSeat.hold_id.in_(ids)).order_by(ShowSeat.position))
    places = (await session.execute(
        select(HoldAdmission, AdmissionSection)
        .join(AdmissionSection, and_(AdmissionSection.show_id == HoldAdmission.show_id,
                                     AdmissionSection.section_id == HoldAdmission.section_id))
        .where(HoldAdmission.hold_id.in_(ids)).order_by(AdmissionSection.position))).all()
    currencies = dict((await session.execute(
        select(Hold.id, BookableShow.currency).join(BookableShow, BookableShow.id == Hold.show_id)
        .where(Hold.id.in_(ids)))).all())
    found = {h: HoldPrice([], [], currencies.get(h, "")) for h in hold_ids}
    # A hold's fare fixed its unit prices when it was made (booking/fares.py).
    fixed = await fares.prices_of(session, hold_ids)
    for hold_id, seat_id, label, category, price_amount in seats:
        if hold_id in fixed:
            price_amount = fixed[hold_id][1].get(category, price_amount)
        found[str(hold_id)].seats.append(PricedSeat(seat_id, label, category, price_amount))
    for a, g in places:
        found[a.hold_id].places.append((a, g))
    frozen = await ticket_lines_of_holds(session, ids)
    return [typed_price(found[h], frozen.get(h, [])) for h in hold_ids]


async def ticket_lines_of_holds(session: AsyncSession,
                                hold_ids: set[str]) -> dict[str, list[HoldTicketLine]]:
    """Each hold's typed lines (holds of shows without ticket types have none)."""
    found: dict[str, list[HoldTicketLine]] = {}
    for line in await session.scalars(select(HoldTicketLine)
                                      .where(HoldTicketLine.hold_id.in_(hold_ids))):
        found.setdefault(line.hold_id, []).append(line)
    return found


def typed_price(price: HoldPrice, lines: Sequence[HoldTicketLine]) -> HoldPrice:
    """The ticket-type pricing rule, in one place: a seat or standing section a hold made
    with a ticket type is priced at the type's price for its category as frozen on the
    hold's line when it was made (:mod:`.ticket_types`), never at today's price; without a
    typed line the seat's or section's own price applies (shows without ticket types)."""
    if not lines:
        return price
    by_place = {line.place_id: line for line in lines}
    seats = []
    for s in price.seats:
        line = by_place.get(s.seat_id)
        seats.append(s if line is None else PricedSeat(
            s.seat_id, s.label, s.category, line.price_amount, (line.ticket_type, line.name)))
    places = {a.section_id: TypedPlaces((line.ticket_type, line.name), line.price_amount)
              for a, _ in price.places if (line := by_place.get(a.section_id)) is not None}
    return HoldPrice(seats, price.places, price.currency, places)


async def admission_by_bookings(session: AsyncSession,
                                booking_ids: Sequence[str]) -> list[list[BookingAdmission]]:
    """Each booking's standing places, for many bookings in one query."""
    return await all_each(session, BookingAdmission.booking_id, booking_ids,
                          BookingAdmission.name)


async def admission_by_holds(session: AsyncSession,
                             hold_ids: Sequence[str]) -> list[list[HoldAdmission]]:
    """Each hold's standing places, for many holds in one query."""
    return await all_each(session, HoldAdmission.hold_id, hold_ids, HoldAdmission.section_id)
