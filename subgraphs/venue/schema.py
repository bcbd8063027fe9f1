"""The venue subgraph's GraphQL schema: venues, halls and seat maps, shows."""

from __future__ import annotations

import itertools
from collections import OrderedDict
from datetime import datetime
from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from subgraphs.kernel.auth import require_role
from subgraphs.kernel.errors import BadUserInput
from subgraphs.kernel.graphql import Info, Money, build_schema, session_batch
from subgraphs.kernel.l10n import check_currency, local
from subgraphs.kernel.service import SubgraphSpec
from subgraphs.venue import models, service

MAX_PAGE = 100

_load_venues = session_batch(service.venues_by_ids)
_load_shows = session_batch(service.shows_by_ids)
_load_halls = session_batch(service.halls_by_ids)
_load_venue_halls = session_batch(service.halls_by_venue)
_load_sections = session_batch(service.sections_by_hall)
_load_tiers = session_batch(service.tiers_by_show)
_load_stops = session_batch(service.stops_by_show)
_load_seats = session_batch(service.seats_by_venue)
_load_owned = session_batch(service.venues_by_owner)


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
    DRAFT = "DRAFT"
    ON_SALE = "ON_SALE"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


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
                                                            currency=self.currency))
                for t in rows]

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


async def _visible(info: Info, show: Show | None) -> Show | None:
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


@strawberry.input
class ShowFilter:
    kind: ShowKind | None = None
    venue_id: strawberry.ID | None = None
    starts_from: datetime | None = strawberry.field(default=None, name="from")
    starts_to: datetime | None = strawberry.field(default=None, name="to")
    text: str | None = strawberry.field(default=None, description="Part of the title.")


@strawberry.input
class RowInput:
    label: str = strawberry.field(description="Row name, e.g. A; seats are labelled A1, A2, ...")
    seats: int = strawberry.field(description="Number of seats, 1 to 1000.")
    category: str = "STANDARD"


@strawberry.input
class CreateVenueInput:
    name: str
    time_zone: str = strawberry.field(description=(
        "The venue's IANA time zone, e.g. Europe/Berlin or America/New_York; show times in "
        "mails and tickets are given in it."))
    rows: list[RowInput] | None = strawberry.field(
        default=None, description="Shortcut: one hall named Main with these rows.")


@strawberry.input
class MoneyInput:
    amount: int = strawberry.field(description=(
        "Minor units as ISO 4217 counts them: 1250 is 12.50 EUR, 1.250 KWD, 1250 JPY."))
    currency: str = strawberry.field(description="A current ISO 4217 code, e.g. EUR.")


@strawberry.input
class PriceTierInput:
    category: str
    amount: int = strawberry.field(description="Minor units.")


@strawberry.input
class StopInput:
    name: str
    departs_at: datetime | None = None


@strawberry.input
class CreateShowInput:
    hall_id: strawberry.ID | None = strawberry.field(
        default=None, description="The hall; may be left out when the venue has one hall.")
    venue_id: strawberry.ID | None = None
    title: str
    kind: ShowKind = ShowKind.OTHER
    starts_at: datetime
    ends_at: datetime | None = None
    currency: str | None = strawberry.field(default=None,
                                            description="A current ISO 4217 code, e.g. EUR.")
    price_tiers: list[PriceTierInput] | None = strawberry.field(
        default=None, description="A price for every category the hall uses.")
    price: MoneyInput | None = strawberry.field(
        default=None, description="Shortcut: one price for every category.")
    stops: list[StopInput] | None = strawberry.field(
        default=None, description="Ordered stops of a journey (two or more).")


def _page(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE}.", field="first")
    return first


def _show_spec(input: CreateShowInput) -> service.ShowSpec:
    if (input.price is None) == (input.price_tiers is None):
        raise BadUserInput("Give either price or priceTiers.", field="input.priceTiers")
    tiers: dict[str, int] = {}
    if input.price_tiers is not None:
        for i, tier in enumerate(input.price_tiers):
            if tier.category in tiers:
                raise BadUserInput(f"{tier.category} is priced twice.",
                                   field=f"input.priceTiers[{i}].category")
            tiers[tier.category] = tier.amount
        currency = input.currency or ""
    else:
        assert input.price is not None
        currency = input.price.currency
        if input.price.amount < 0:
            raise BadUserInput("A price cannot be negative.", field="input.price.amount")
        check_currency(currency, "input.price.currency")
    return service.ShowSpec(
        title=input.title, starts_at=input.starts_at, ends_at=input.ends_at,
        currency=currency, tiers=tiers, kind=input.kind.value,
        flat_price=input.price.amount if input.price is not None else None,
        hall_id=str(input.hall_id) if input.hall_id else None,
        venue_id=str(input.venue_id) if input.venue_id else None,
        stops=[(s.name, s.departs_at) for s in input.stops or []])


@strawberry.type
class Query:
    @strawberry.field(description="Shows on sale, soonest first, a page at a time.")
    async def shows(self, info: Info, filter: ShowFilter | None = None, first: int = 20,
                    after: str | None = None) -> ShowConnection:
        f = filter or ShowFilter()
        flt = service.ShowFilter(kind=f.kind.value if f.kind else None,
                                 venue_id=str(f.venue_id) if f.venue_id else None,
                                 starts_from=f.starts_from, starts_to=f.starts_to, text=f.text)
        async with info.context.service.db.reader() as session:
            rows, more = await service.list_shows(session, flt, _page(first), after)
        edges = [ShowEdge(cursor=service.encode_cursor(s), node=Show.from_model(s))
                 for s in rows]
        return ShowConnection(edges=edges, page_info=PageInfo(
            has_next_page=more, end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="A show on sale (drafts: their organizer and admins).")
    async def show(self, info: Info, id: strawberry.ID) -> Show | None:
        return await _visible(info, await Show.resolve_reference(info, id))

    @strawberry.field
    async def venues(self, info: Info, first: int = 50) -> list[Venue]:
        async with info.context.service.db.reader() as session:
            rows = await service.list_venues(session, _page(first))
        return [Venue.from_model(v) for v in rows]

    @strawberry.field
    async def venue(self, info: Info, id: strawberry.ID) -> Venue | None:
        return await Venue.resolve_reference(info, id)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a venue (organizers). A retry with the same "
                         "idempotencyKey returns the first venue.")
    async def create_venue(self, info: Info, input: CreateVenueInput,
                           idempotency_key: str | None = None) -> Venue:
        rows = ([service.RowInput(r.label, r.seats, r.category) for r in input.rows]
                if input.rows is not None else None)
        venue = await service.create_venue(info.context.service, info.context.caller,
                                           input.name, input.time_zone, rows,
                                           idempotency_key)
        return Venue.from_model(venue)

    @strawberry.mutation(description=(
        "Correct your venue's IANA time zone, e.g. Europe/Berlin (venues from before zones "
        "are in UTC): mails and tickets give its show times in it from now on."))
    async def set_venue_time_zone(self, info: Info, venue_id: strawberry.ID,
                                  time_zone: str) -> Venue:
        venue = await service.set_venue_time_zone(info.context.service, info.context.caller,
                                                  str(venue_id), time_zone)
        return Venue.from_model(venue)

    @strawberry.mutation(description="Add a hall to your venue from a seat-map document "
                         "(docs/seatmap-format.md); a 50,000-seat map loads in one call.")
    async def create_hall(self, info: Info, venue_id: strawberry.ID, seat_map: JSON,
                          idempotency_key: str | None = None) -> Hall:
        hall = await service.create_hall(info.context.service, info.context.caller,
                                         str(venue_id), seat_map, idempotency_key)
        return Hall.from_model(hall)

    @strawberry.mutation(description="A draft show in one of your halls; publishShow puts it "
                         "on sale. Shows in one hall may not overlap.")
    async def create_show(self, info: Info, input: CreateShowInput,
                          idempotency_key: str | None = None) -> Show:
        # Who asks comes first: an anonymous caller learns nothing about valid input.
        require_role(info.context.caller, "ORGANIZER")
        spec = _show_spec(input)
        show = await service.create_show(info.context.service, info.context.caller, spec,
                                         idempotency_key)
        return Show.from_model(show)

    @strawberry.mutation(description="DRAFT → ON_SALE: booking starts selling it.")
    async def publish_show(self, info: Info, id: strawberry.ID) -> Show:
        show = await service.publish_show(info.context.service, info.context.caller, str(id))
        return Show.from_model(show)

    @strawberry.mutation(description="Cancel a show; booking stops selling it.")
    async def cancel_show(self, info: Info, id: strawberry.ID) -> Show:
        show = await service.cancel_show(info.context.service, info.context.caller, str(id))
        return Show.from_model(show)


schema = build_schema(Query, Mutation, types=[Venue, Show, Seat, User])
SPEC = SubgraphSpec(name="venue", schema=schema, metadata=models.Base.metadata,
                    tables=models.TABLES)
