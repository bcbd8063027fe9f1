"""The venue subgraph's GraphQL object types (venues, halls and seat maps, shows, a page of
shows) and the loaders they read through; :mod:`.inputs` has the inputs, :mod:`.schema` the
root fields."""


from __future__ import annotations

import itertools
from collections import OrderedDict
from datetime import datetime
from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from subgraphs.kernel.auth import require_owner_or_admin
from subgraphs.kernel.graphql import Info, Money, session_batch
from subgraphs.kernel.l10n import local
from subgraphs.venue import models, service

_load_venues = session_batch(service.venues_by_ids)
_load_shows = session_batch(service.shows_by_ids)
_load_halls = session_batch(service.halls_by_ids)
_load_venue_halls = session_batch(service.halls_by_venue)
_load_sections = session_batch(service.sections_by_hall)
_load_tiers = session_batch(service.tiers_by_show)
_load_ticket_types = session_batch(service.ticket_types_by_show)
_load_stops = session_batch(service.stops_by_show)
_load_seats = session_batch(service.seats_by_venue)
_load_owned = session_batch(service.venues_by_owner)
_load_staff = session_batch(service.staff_by_venue)


SEAT_MAP_CACHE = 32


async def _seat_map(info: Info, hall_id: str) -> dict[str, Any] | None:
    # A hall's map never changes once imported, so each process keeps the last few it read.
    cache: OrderedDict[str, dict[str, Any]] = info.context.service.state.setdefault(
        "seat_maps", OrderedDict())
    found = cache.get(hall_id)
    if found is None:
        async with info.context.service.db.reader() as session:
            found = await service.seat_map(session, hall_id)
        if found is None:
            return None
        cache[hall_id] = found
        while len(cache) > SEAT_MAP_CACHE:
            cache.popitem(last=False)
    cache.move_to_end(hall_id)
    return found


@strawberry.federation.type(keys=["id"], description="A seat a ticket can be sold for.")
class Seat:
    id: strawberry.ID
    label: str = strawberry.field(description="What is printed on the ticket, e.g. H12.")
    row: str
    number: int
    x: int = strawberry.field(description="Drawing position, left to right.")
    y: int = strawberry.field(description="Drawing position, front to back.")
    category: str
    accessible: bool
    blocked: bool = strawberry.field(description="Not for sale.")

    @classmethod
    def from_model(cls, s: models.Seat) -> Seat:
        return cls(id=strawberry.ID(s.id), label=s.label, row=s.row_label, number=s.number,
                   x=s.x, y=s.y, category=s.category, accessible=s.accessible, blocked=s.blocked)


@strawberry.enum(description="What a hall is.")
class HallKind(Enum):
    SCREEN = "SCREEN"
    STAGE = "STAGE"
    CONSIST = "CONSIST"
    AIRCRAFT = "AIRCRAFT"
    OTHER = "OTHER"


@strawberry.type(description="A seated block, or a standing area with a capacity.")
class Section:
    id: strawberry.ID
    key: str
    name: str
    capacity: int | None = strawberry.field(description="Places, for general admission.")
    category: str | None = strawberry.field(description="Price category of standing places.")

    @strawberry.field
    def general_admission(self) -> bool:
        return self.capacity is not None


@strawberry.type(description="A screen, stage, train consist or aircraft, with its seat map.")
class Hall:
    id: strawberry.ID
    name: str
    kind: HallKind

    @strawberry.field
    async def sections(self, info: Info) -> list[Section]:
        rows = await info.context.loader(_load_sections).load(str(self.id))
        return [Section(id=strawberry.ID(s.id), key=s.key, name=s.name, capacity=s.capacity,
                        category=s.category) for s in rows]

    @strawberry.field(description="The whole map, compact (see Show.seatMap).")
    async def seat_map(self, info: Info) -> JSON:
        return cast(JSON, await _seat_map(info, str(self.id)))

    @classmethod
    def from_model(cls, h: models.Hall) -> Hall:
        return cls(id=strawberry.ID(h.id), name=h.name, kind=HallKind(h.kind))


@strawberry.federation.type(keys=["id"], description="A place where shows happen.")
class Venue:
    id: strawberry.ID
    name: str
    owner_id: strawberry.ID
    time_zone: str = strawberry.field(description=(
        "The IANA time zone of the venue, e.g. Europe/Berlin: mails and tickets give show "
        "times in it. Venues created before venues had a zone are in UTC."))

    @strawberry.field
    async def halls(self, info: Info) -> list[Hall]:
        rows = await info.context.loader(_load_venue_halls).load(str(self.id))
        return [Hall.from_model(h) for h in rows]

    @strawberry.field(description="Every seat of every hall, in map order.")
    async def seats(self, info: Info) -> list[Seat]:
        rows = await info.context.loader(_load_seats).load(str(self.id))
        return [Seat.from_model(s) for s in rows]

    @strawberry.field(description=(
        "The venue's shows, soonest first, a page at a time: of every status (or of "
        "`status`) for the venue's owner and admins, on sale only for anyone else."))
    async def shows(self, info: Info, status: ShowStatus | None = None, first: int = 20,
                    after: str | None = None) -> ShowConnection:
        statuses = service.venue_show_statuses(info.context.caller, str(self.owner_id),
                                               status.value if status else None)
        flt = service.ShowFilter(venue_id=str(self.id), statuses=statuses)
        async with info.context.service.db.reader() as session:
            rows, more = await service.list_shows(session, flt, service.page_size(first),
                                                    after)
        return ShowConnection.of(rows, more)
    @strawberry.field(description="Door staff: users who may check tickets in for the "
                      "venue's shows, earliest grant first (the venue's organizer and admins).")
    async def staff(self, info: Info) -> list[User]:
        require_owner_or_admin(info.context.caller, str(self.owner_id))
        rows = await info.context.loader(_load_staff).load(str(self.id))
        return [User(id=strawberry.ID(r.user_id)) for r in rows]

    @classmethod
    def from_model(cls, v: models.Venue) -> Venue:
        return cls(id=strawberry.ID(v.id), name=v.name, owner_id=strawberry.ID(v.owner_id),
                   time_zone=v.time_zone)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Venue | None:
        venue = await info.context.loader(_load_venues).load(str(id))
        return None if venue is None else cls.from_model(venue)


@strawberry.enum(description="Where a show is in its life.")
class ShowStatus(Enum):
    DRAFT = models.ShowStatus.DRAFT
    ON_SALE = models.ShowStatus.ON_SALE
    CLOSED = models.ShowStatus.CLOSED
    CANCELLED = models.ShowStatus.CANCELLED


@strawberry.enum
class ShowKind(Enum):
    MOVIE = "MOVIE"
    CONCERT = "CONCERT"
    TRAIN = "TRAIN"
    FLIGHT = "FLIGHT"
    OTHER = "OTHER"


@strawberry.type(description="The price of one category of seats or standing places.")
class PriceTier:
    category: str
    price: Money
    hidden: bool = strawberry.field(default=False, description="Sold only with a promo code "
                                    "that unlocks this category.")


@strawberry.type(description="The price of one category for one ticket type.")
class TicketTypePrice:
    category: str
    price: Money


@strawberry.type(description="A kind of ticket sold for the same seats and places (Adult, "
                 "Child, Senior...), priced per category.")
class TicketType:
    key: str
    name: str
    eligibility: str | None = strawberry.field(description="Who may buy it, e.g. Under 12.")
    prices: list[TicketTypePrice]
    min_per_order: int = strawberry.field(description="At least this many in a hold that has "
                                          "any (0: no minimum).")
    max_per_order: int | None = strawberry.field(description="At most this many in one hold.")
    default: bool = strawberry.field(description="What a hold that names no type sells.")


@strawberry.type(description="A stop of a journey.")
class Stop:
    name: str
    departs_at: datetime | None


@strawberry.type(description="The hop between two consecutive stops; seats sell per leg.")
class Leg:
    index: int
    origin: str = strawberry.field(name="from")
    destination: str = strawberry.field(name="to")


@strawberry.federation.type(keys=["id"], description="One performance, screening or departure.")
class Show:
    id: strawberry.ID
    title: str
    kind: ShowKind
    starts_at: datetime
    ends_at: datetime
    status: ShowStatus
    currency: str
    venue_id: strawberry.ID
    hall_id: strawberry.ID

    @strawberry.field
    async def venue(self, info: Info) -> Venue:
        venue = await info.context.loader(_load_venues).load(str(self.venue_id))
        return Venue.from_model(venue)

    @strawberry.field(description=(
        "startsAt at the venue's UTC offset, as people there read it (venue.timeZone names "
        "the zone), e.g. 2031-07-01T20:00:00+02:00 for 18:00 UTC in Europe/Berlin."))
    async def local_starts_at(self, info: Info) -> datetime:
        venue = await info.context.loader(_load_venues).load(str(self.venue_id))
        return local(self.starts_at, venue.time_zone)

    @strawberry.field
    async def hall(self, info: Info) -> Hall:
        hall = await info.context.loader(_load_halls).load(str(self.hall_id))
        return Hall.from_model(hall)

    @strawberry.field
    async def price_tiers(self, info: Info) -> list[PriceTier]:
        rows = await info.context.loader(_load_tiers).load(str(self.id))
        return [PriceTier(category=t.category, price=Money(amount=t.amount,
                                                            currency=self.currency),
                          hidden=t.hidden)
                for t in rows]

    @strawberry.field(description="Ticket types sold for the same seats and places, the "
                      "default first; empty when the show sells at its price tiers alone.")
    async def ticket_types(self, info: Info) -> list[TicketType]:
        rows = await info.context.loader(_load_ticket_types).load(str(self.id))
        return [TicketType(key=t.key, name=t.name, eligibility=t.eligibility,
                           prices=[TicketTypePrice(category=c, price=Money(
                               amount=a, currency=self.currency))
                               for c, a in sorted(t.prices.items())],
                           min_per_order=t.min_per_order, max_per_order=t.max_per_order,
                           default=i == 0) for i, t in enumerate(rows)]

    @strawberry.field(description="The lowest price of the show.")
    async def price(self, info: Info) -> Money:
        rows = await info.context.loader(_load_tiers).load(str(self.id))
        return Money(amount=min((t.amount for t in rows), default=0), currency=self.currency)

    @strawberry.field(description="Ordered stops of a journey (empty for other shows).")
    async def stops(self, info: Info) -> list[Stop]:
        rows = await info.context.loader(_load_stops).load(str(self.id))
        return [Stop(name=s.name, departs_at=s.departs_at) for s in rows]

    @strawberry.field(description="Legs between consecutive stops (none without stops).")
    async def legs(self, info: Info) -> list[Leg]:
        rows = await info.context.loader(_load_stops).load(str(self.id))
        return [Leg(index=i, origin=a.name, destination=b.name)
                for i, (a, b) in enumerate(itertools.pairwise(rows))]

    @strawberry.field(description=(
        "The hall's whole seat map in one compact object: sections, categories, and seats as "
        "parallel arrays id/label/row/x/y/category/section/flags (flags: 1 accessible, "
        "2 blocked). Pair it with Show.seatStates to draw availability."))
    async def seat_map(self, info: Info) -> JSON:
        return cast(JSON, await _seat_map(info, str(self.hall_id)))

    @classmethod
    def from_model(cls, s: models.Show) -> Show:
        return cls(id=strawberry.ID(s.id), title=s.title, kind=ShowKind(s.kind),
                   starts_at=s.starts_at, ends_at=s.ends_at, status=ShowStatus(s.status),
                   currency=s.currency, venue_id=strawberry.ID(s.venue_id),
                   hall_id=strawberry.ID(s.hall_id))

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Show | None:
        show = await info.context.loader(_load_shows).load(str(id))
        return None if show is None else cls.from_model(show)


async def visible(info: Info, show: Show | None) -> Show | None:
    # Drafts and cancelled shows are the organizer's business until they go on sale.
    if show is None or show.status in (ShowStatus.ON_SALE, ShowStatus.CLOSED):
        return show
    caller = info.context.caller
    venue = await info.context.loader(_load_venues).load(str(show.venue_id))
    if caller is None or (caller.user_id != venue.owner_id and not caller.is_admin):
        return None
    return show


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID

    @strawberry.field(description="Venues this user organizes.")
    async def venues(self, info: Info) -> list[Venue]:
        rows = await info.context.loader(_load_owned).load(str(self.id))
        return [Venue.from_model(v) for v in rows]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return cls(id=id)


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class ShowEdge:
    cursor: str
    node: Show


@strawberry.type(description="A page of shows; pass pageInfo.endCursor as `after` for more.")
class ShowConnection:
    edges: list[ShowEdge]
    page_info: PageInfo

    @strawberry.field
    def nodes(self) -> list[Show]:
        return [e.node for e in self.edges]

    @classmethod
    def of(cls, rows: list[models.Show], more: bool) -> ShowConnection:
        """A page of ``rows``; ``more``: whether shows follow it."""
        edges = [ShowEdge(cursor=service.encode_cursor(s), node=Show.from_model(s))
                 for s in rows]
        return cls(edges=edges, page_info=PageInfo(
            has_next_page=more, end_cursor=edges[-1].cursor if edges else None))
