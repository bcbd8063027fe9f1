"""The venue subgraph's GraphQL schema: venues, seats and shows."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from subgraphs.kernel.app import SubgraphSpec
from subgraphs.kernel.errors import BadUserInput
from subgraphs.kernel.graphql import Info, Money, build_schema, session_batch
from subgraphs.venue import models, service

MAX_PAGE = 100


_load_venues = session_batch(service.venues_by_ids)
_load_shows = session_batch(service.shows_by_ids)
_load_seats = session_batch(service.seats_by_venue)
_load_owned = session_batch(service.venues_by_owner)


@strawberry.federation.type(keys=["id"], description="A seat a ticket can be sold for.")
class Seat:
    id: strawberry.ID
    label: str = strawberry.field(description="What is printed on the ticket, e.g. H12.")
    row: str
    number: int
    x: int = strawberry.field(description="Drawing position, left to right.")
    y: int = strawberry.field(description="Drawing position, front to back.")
    category: str

    @classmethod
    def from_model(cls, s: models.Seat) -> Seat:
        return cls(id=strawberry.ID(s.id), label=s.label, row=s.row_label, number=s.number,
                   x=s.x, y=s.y, category=s.category)


@strawberry.federation.type(keys=["id"], description="A place where shows happen.")
class Venue:
    id: strawberry.ID
    name: str
    owner_id: strawberry.ID

    @strawberry.field(description="Every seat, front row first.")
    async def seats(self, info: Info) -> list[Seat]:
        rows = await info.context.loader(_load_seats).load(str(self.id))
        return [Seat.from_model(s) for s in rows]

    @classmethod
    def from_model(cls, v: models.Venue) -> Venue:
        return cls(id=strawberry.ID(v.id), name=v.name, owner_id=strawberry.ID(v.owner_id))

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


@strawberry.federation.type(keys=["id"], description="One performance, screening or departure.")
class Show:
    id: strawberry.ID
    title: str
    starts_at: datetime
    ends_at: datetime
    status: ShowStatus
    price: Money
    venue_id: strawberry.ID

    @strawberry.field
    async def venue(self, info: Info) -> Venue:
        venue = await info.context.loader(_load_venues).load(str(self.venue_id))
        return Venue.from_model(venue)

    @classmethod
    def from_model(cls, s: models.Show) -> Show:
        return cls(id=strawberry.ID(s.id), title=s.title, starts_at=s.starts_at,
                   ends_at=s.ends_at, status=ShowStatus(s.status),
                   price=Money(amount=s.price_amount, currency=s.currency),
                   venue_id=strawberry.ID(s.venue_id))

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Show | None:
        show = await info.context.loader(_load_shows).load(str(id))
        return None if show is None else cls.from_model(show)


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


@strawberry.input
class RowInput:
    label: str = strawberry.field(description="Row name, e.g. A; seats are labelled A1, A2, ...")
    seats: int = strawberry.field(description="Number of seats, 1 to 1000.")
    category: str = "STANDARD"


@strawberry.input
class CreateVenueInput:
    name: str
    rows: list[RowInput]


@strawberry.input
class MoneyInput:
    amount: int = strawberry.field(description="Minor units, e.g. 1250 for 12.50.")
    currency: str = strawberry.field(description="ISO 4217 code.")


@strawberry.input
class CreateShowInput:
    venue_id: strawberry.ID
    title: str
    starts_at: datetime
    ends_at: datetime | None = None
    price: MoneyInput


def _page(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE}.", field="first")
    return first


@strawberry.type
class Query:
    @strawberry.field(description="Shows on sale, soonest first.")
    async def shows(self, info: Info, first: int = 50) -> list[Show]:
        async with info.context.service.db.session() as session:
            rows = await service.list_shows(session, _page(first))
        return [Show.from_model(s) for s in rows]

    @strawberry.field
    async def show(self, info: Info, id: strawberry.ID) -> Show | None:
        return await Show.resolve_reference(info, id)

    @strawberry.field
    async def venues(self, info: Info, first: int = 50) -> list[Venue]:
        async with info.context.service.db.session() as session:
            rows = await service.list_venues(session, _page(first))
        return [Venue.from_model(v) for v in rows]

    @strawberry.field
    async def venue(self, info: Info, id: strawberry.ID) -> Venue | None:
        return await Venue.resolve_reference(info, id)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a venue with a seat map (organizers). "
                         "A retry with the same idempotencyKey returns the first venue.")
    async def create_venue(self, info: Info, input: CreateVenueInput,
                           idempotency_key: str | None = None) -> Venue:
        rows = [service.RowSpec(r.label, r.seats, r.category) for r in input.rows]
        venue = await service.create_venue(info.context.service, info.context.caller,
                                           input.name, rows, idempotency_key)
        return Venue.from_model(venue)

    @strawberry.mutation(description="Put a show on sale in one of your venues (organizers). "
                         "A retry with the same idempotencyKey returns the first show.")
    async def create_show(self, info: Info, input: CreateShowInput,
                          idempotency_key: str | None = None) -> Show:
        spec = service.ShowSpec(
            venue_id=str(input.venue_id), title=input.title, starts_at=input.starts_at,
            ends_at=input.ends_at, price_amount=input.price.amount,
            currency=input.price.currency)
        show = await service.create_show(info.context.service, info.context.caller, spec,
                                         idempotency_key)
        return Show.from_model(show)


schema = build_schema(Query, Mutation, types=[Venue, Show, Seat, User])
SPEC = SubgraphSpec(name="venue", schema=schema, metadata=models.Base.metadata,
                    tables=models.TABLES)
