"""Ticket types on booking's side: which type each seat or standing place of a hold is sold
as, and its price then.

Venue's ``ShowPublished`` carries a show's types (Adult, Child...: a price per category, a
minimum and maximum per order), kept in ``show_ticket_types`` (:func:`remember`). A hold
names the type per seat (``holdSeats(ticketTypes: [{seatId, ticketType}])``) or one type
for all its seats or places (``holdBestAvailable(ticketType)``,
``holdGeneralAdmission(ticketType)``); what it leaves unnamed is the show's first
(default) type. :func:`choose` checks the choice before anything is taken (unknown type,
a type on a show without types, a seat not in the hold, the type's minimum and maximum per
hold); :func:`freeze` writes the hold's typed lines with the unit price of the type for
each seat's category, in the hold's own transaction. From then on the hold, its lines,
total, promo discount and booking read that frozen price
(:func:`subgraphs.booking.reads.typed_price`), never the type's current one.

A show without ticket types sells exactly as before: no typed lines, the seat's and the
section's prices.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select

from subgraphs.booking.models import AdmissionSection, HoldTicketLine, ShowTicketType
from subgraphs.kernel.errors import BadUserInput
from subgraphs.kernel.events import ShowPublished
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork

CACHE_SIZE = 4096


@dataclass(frozen=True)
class TicketType:
    key: str
    name: str
    prices: dict[str, int]  # category -> minor units
    min_per_order: int
    max_per_order: int | None


@dataclass(frozen=True)
class Choice:
    """The ticket type of each seat or place a hold asks for."""

    types: dict[str, TicketType]
    default: str  # the key of what is not named otherwise
    per_place: dict[str, str]  # seat id -> key

    def key_of(self, place_id: str) -> str:
        return self.per_place.get(place_id, self.default)

    def arguments(self) -> dict[str, Any]:
        """What the hold's idempotency fingerprint adds."""
        return {"ticket_types": sorted(self.per_place.items()), "ticket_type": self.default}


async def remember(uow: UnitOfWork, published: ShowPublished) -> None:
    """Keep the show's ticket types (a replayed event writes the same rows again)."""
    if not published.ticket_types:
        return
    await uow.session.execute(delete(ShowTicketType)
                              .where(ShowTicketType.show_id == published.show_id))
    await uow.session.execute(insert(ShowTicketType), [
        {"show_id": published.show_id, "key": t["key"], "position": i, "name": t["name"],
         "prices": dict(t["prices"]), "min_per_order": int(t.get("min_per_order") or 0),
         "max_per_order": t.get("max_per_order")}
        for i, t in enumerate(published.ticket_types)])


async def types_of(service: Service, show_id: str) -> list[TicketType]:
    """The show's ticket types in order, the default first (none: it has none), read once
    per process: they come with the show and booking never changes them."""
    cache: OrderedDict[str, list[TicketType]] = service.once("ticket_types", OrderedDict)
    found = cache.get(show_id)
    if found is None:
        async with service.db.reader() as session:
            found = [TicketType(t.key, t.name, dict(t.prices), t.min_per_order,
                                t.max_per_order)
                     for t in await session.scalars(
                         select(ShowTicketType).where(ShowTicketType.show_id == show_id)
                         .order_by(ShowTicketType.position))]
        cache[show_id] = found
        if len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    else:
        cache.move_to_end(show_id)
    return found


def _key(types: dict[str, TicketType], given: str, field: str) -> str:
    key = given.strip().upper()
    if key not in types:
        raise BadUserInput(f"This show has no ticket type {key or given!r}.", field=field,
                           ticketTypes=sorted(types))
    return key


async def choose(service: Service, show_id: str, places: Sequence[str] | int, *,
                 per_seat: Sequence[tuple[str, str]] | None = None,
                 single: str | None = None, field: str = "ticketType") -> Choice | None:
    """The types a hold of ``places`` (seat ids, or a number of seats or places) is sold as,
    checked: ``None`` for a show without ticket types (naming a type is then an error)."""
    found = await types_of(service, show_id)
    if not found:
        if per_seat or single is not None:
            raise BadUserInput("This show has no ticket types.", field=field)
        return None
    types = {t.key: t for t in found}
    default = found[0].key if single is None else _key(types, single, field)
    per_place: dict[str, str] = {}
    wanted = set(places) if not isinstance(places, int) else set()
    for i, (seat_id, given) in enumerate(per_seat or []):
        if seat_id not in wanted:
            raise BadUserInput("This seat is not among the seats to hold.",
                               field=f"{field}[{i}].seatId", seatId=seat_id)
        if seat_id in per_place:
            raise BadUserInput("This seat is given a ticket type twice.",
                               field=f"{field}[{i}].seatId", seatId=seat_id)
        per_place[seat_id] = _key(types, given, f"{field}[{i}].ticketType")
    choice = Choice(types, default, per_place)
    counted = (Counter({default: places}) if isinstance(places, int)
               else Counter(choice.key_of(p) for p in places))
    for key, n in sorted(counted.items()):
        t = types[key]
        if n < t.min_per_order:
            raise BadUserInput(f"Hold at least {t.min_per_order} {t.name} tickets at once.",
                               field=field, ticketType=key, minPerOrder=t.min_per_order)
        if t.max_per_order is not None and n > t.max_per_order:
            raise BadUserInput(f"Hold at most {t.max_per_order} {t.name} tickets at once.",
                               field=field, ticketType=key, maxPerOrder=t.max_per_order)
    return choice


async def freeze(uow: UnitOfWork, hold_id: str, choice: Choice,
                 places: Sequence[tuple[str, str]],
                 pricing: Callable[[str, int], int] | None = None) -> list[HoldTicketLine]:
    """Write the hold's typed lines for ``places`` (seat or section id, category) at the
    type's price for the category now, or what ``pricing`` (category, type price) makes of
    it on a journey with fares or in a fare class (:func:`.fares.pricing`, the one pricing
    rule); the hold is priced from them ever after."""
    lines = []
    for place_id, category in places:
        t = choice.types[choice.key_of(place_id)]
        price = t.prices.get(category)
        if price is None:  # venue prices every category of the hall: a show edited since?
            raise BadUserInput(f"The ticket type {t.key} has no price for {category}.",
                               field="ticketType", ticketType=t.key, category=category)
        if pricing is not None:
            price = pricing(category, price)
        lines.append(HoldTicketLine(hold_id=hold_id, place_id=place_id, ticket_type=t.key,
                                    name=t.name, price_amount=price))
    if lines:
        await uow.session.execute(insert(HoldTicketLine), [
            {"hold_id": x.hold_id, "place_id": x.place_id, "ticket_type": x.ticket_type,
             "name": x.name, "price_amount": x.price_amount} for x in lines])
    return lines


async def freeze_places(uow: UnitOfWork, hold_id: str, choice: Choice, show_id: str,
                        section_id: str) -> None:
    """:func:`freeze` for a hold's places in one standing section."""
    category = await uow.session.scalar(select(AdmissionSection.category).where(
        AdmissionSection.show_id == show_id, AdmissionSection.section_id == section_id))
    await freeze(uow, hold_id, choice, [(section_id, category or "")])


def columns(ticket_type: tuple[str, str] | None) -> dict[str, str | None]:
    """A booking line's ticket-type columns."""
    key, name = ticket_type if ticket_type is not None else (None, None)
    return {"ticket_type": key, "ticket_type_name": name}


def ticket_entry(name: str | None) -> dict[str, str]:
    """What a ``BookingConfirmed`` ticket entry adds: the type's name, when it has one."""
    return {} if name is None else {"ticket_type": name}
