"""The venue subgraph's GraphQL object types (venues, halls and seat maps, shows, a page of
shows) and the loaders they read through; :mod:`.inputs` has the inputs, :mod:`.schema` the
root fields."""


from __future__ import annotations

import itertools
from collections import OrderedDict
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, NewType, cast

import strawberry
from strawberry.scalars import JSON

from subgraphs.kernel.auth import require_caller, require_owner_or_admin
from subgraphs.kernel.errors import Forbidden
from subgraphs.kernel.graphql import Info, Money, session_batch
from subgraphs.kernel.l10n import local
from subgraphs.venue import models, service, teams
from subgraphs.venue.enums import ShowKind
from subgraphs.venue.inputs import CreateShowInput, MoneyInput, PriceTierInput, show_spec

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
_load_team = session_batch(teams.team_by_venue)



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

    @strawberry.field(description=(
        "The venue's show series (createShowSeries), first made first: all of them for "
        "the venue's owner and admins, those with a show on sale (or closed) for anyone "
        "else."))
    async def series(self, info: Info) -> list[ShowSeries]:
        return await venue_series(info, self)

    @strawberry.field(description="Door staff: users who may check tickets in for the "
                      "venue's shows, earliest grant first (the venue's organizer and admins).")
    async def staff(self, info: Info) -> list[User]:
        require_owner_or_admin(info.context.caller, str(self.owner_id))
        rows = await info.context.loader(_load_staff).load(str(self.id))
        return [User(id=strawberry.ID(r.user_id)) for r in rows]

    @strawberry.field(description="The venue's team: managers, box office, door staff "
                      "(its organizer, its managers and admins).")
    async def team(self, info: Info) -> list[TeamMember]:
        who = require_caller(info.context.caller)
        async with info.context.service.db.reader() as session:
            venue = await session.get(models.Venue, str(self.id))
            if venue is None or not await teams.can_manage_venue(session, who, venue):
                raise Forbidden("This needs the venue's organizer, one of its managers or "
                                "an admin.")
        rows = await info.context.loader(_load_team).load(str(self.id))
        return [TeamMember(user=User(id=strawberry.ID(m.user_id)), role=TeamRole(m.role))
                for m in rows]

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
    series_id: strawberry.Private[str | None] = None

    @strawberry.field
    async def venue(self, info: Info) -> Venue:
        venue = await info.context.loader(_load_venues).load(str(self.venue_id))
        return Venue.from_model(venue)

    @strawberry.field(description="The series the show was made by (createShowSeries); "
                      "null for a single show.")
    async def series(self, info: Info) -> ShowSeries | None:
        return None if self.series_id is None else await load_series(info, self.series_id)

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
                   hall_id=strawberry.ID(s.hall_id), series_id=s.series_id)

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


@strawberry.enum(description="A role on a venue's team: MANAGER runs its shows and halls as "
                 "its organizer does and sees its bookings and reports; BOX_OFFICE searches "
                 "its bookings and checks tickets in (no money); DOOR_STAFF checks tickets in "
                 "(the door-staff grant).")
class TeamRole(Enum):
    MANAGER = "MANAGER"
    BOX_OFFICE = "BOX_OFFICE"
    DOOR_STAFF = "DOOR_STAFF"


@strawberry.type
class TeamMember:
    user: User
    role: TeamRole


# --- Recurring schedules (series.py): ShowSeries, its input, the scalars and enums of a rule.

_load_series = session_batch(service.series_by_ids)
_load_venue_series = session_batch(service.series_by_venue)

LocalTime = NewType("LocalTime", str)
# Any string: createShowSeries refuses a bad one as BAD_USER_INPUT naming the time.
LOCAL_TIME = strawberry.scalar(
    name="LocalTime", serialize=str, parse_value=str,
    description="A wall-clock time of day, HH:MM on the 24-hour clock (e.g. 14:00), read in "
    "the venue's IANA time zone.")


@strawberry.enum(description="A day of the week.")
class Weekday(Enum):
    MON = "MON"
    TUE = "TUE"
    WED = "WED"
    THU = "THU"
    FRI = "FRI"
    SAT = "SAT"
    SUN = "SUN"


@strawberry.input(description=(
    "A film or event run on a schedule: the fields of CreateShowInput (without startsAt, "
    "endsAt and stops) and a rule. Times are the venue's wall clock in its time zone: a "
    "20:00 show stays at 20:00 local across daylight-saving changes. A time the clocks skip "
    "on some date (the spring gap) is refused; a time that happens twice (autumn) is its "
    "first occurrence."))
class CreateShowSeriesInput:
    hall_id: strawberry.ID | None = strawberry.field(
        default=None, description="The hall; may be left out when the venue has one hall.")
    venue_id: strawberry.ID | None = None
    title: str
    kind: ShowKind = ShowKind.OTHER
    currency: str | None = strawberry.field(default=None,
                                            description="A current ISO 4217 code, e.g. EUR.")
    price_tiers: list[PriceTierInput] | None = strawberry.field(
        default=None, description="A price for every category the hall uses.")
    price: MoneyInput | None = strawberry.field(
        default=None, description="Shortcut: one price for every category.")
    duration_minutes: int = strawberry.field(default=120, description="1 to 1440.")
    weekdays: list[Weekday]
    times: list[LocalTime] = strawberry.field(description="Start times, venue-local.")
    starts_on: date = strawberry.field(name="from", description="First date, venue-local.")
    ends_on: date = strawberry.field(name="until", description=(
        "Last date (inclusive), venue-local; from..until spans at most 366 days."))
    exceptions: list[date] = strawberry.field(default_factory=list,
                                              description="Dates with no show.")
    publish: bool = strawberry.field(default=False, description=(
        "Put every show on sale at once (else they are drafts: publishShowSeries)."))


def series_input(input: CreateShowSeriesInput) -> tuple[service.ShowSpec, service.SeriesRule]:
    """The show fields (checked as createShow's are) and the rule of ``input``."""
    placeholder = datetime.combine(input.starts_on, datetime.min.time(), tzinfo=UTC)
    spec = show_spec(CreateShowInput(
        hall_id=input.hall_id, venue_id=input.venue_id, title=input.title, kind=input.kind,
        starts_at=placeholder, currency=input.currency, price_tiers=input.price_tiers,
        price=input.price))
    rule = service.SeriesRule(
        weekdays=tuple(d.value for d in input.weekdays), times=tuple(input.times),
        starts_on=input.starts_on, ends_on=input.ends_on, exceptions=tuple(input.exceptions),
        duration_minutes=input.duration_minutes)
    return spec, rule


def _manages(info: Info, owner_id: str) -> bool:
    caller = info.context.caller
    return caller is not None and (caller.user_id == owner_id or caller.is_admin)


PUBLIC = (models.ShowStatus.ON_SALE, models.ShowStatus.CLOSED)


@strawberry.type(description=(
    "Shows made from one schedule (createShowSeries): each is an ordinary show with its own "
    "inventory; the rule says when they start."))
class ShowSeries:
    id: strawberry.ID
    title: str
    kind: ShowKind
    weekdays: list[Weekday]
    times: list[LocalTime]
    starts_on: date = strawberry.field(name="from")
    ends_on: date = strawberry.field(name="until")
    exceptions: list[date]
    duration_minutes: int
    venue_id: strawberry.ID
    hall_id: strawberry.ID
    owner_id: strawberry.Private[str]

    @strawberry.field
    async def venue(self, info: Info) -> Venue:
        return Venue.from_model(await info.context.loader(_load_venues).load(str(self.venue_id)))

    @strawberry.field
    async def hall(self, info: Info) -> Hall:
        return Hall.from_model(await info.context.loader(_load_halls).load(str(self.hall_id)))

    @strawberry.field(description=(
        "The series' shows, soonest first, a page at a time: of every status (or of "
        "`status`) for the venue's owner and admins, on sale only for anyone else."))
    async def shows(self, info: Info, status: ShowStatus | None = None, first: int = 20,
                    after: str | None = None) -> ShowConnection:
        statuses = service.venue_show_statuses(info.context.caller, self.owner_id,
                                               status.value if status else None)
        flt = service.ShowFilter(series_id=str(self.id), statuses=statuses)
        async with info.context.service.db.reader() as session:
            rows, more = await service.list_shows(session, flt, service.page_size(first),
                                                  after)
        return ShowConnection.of(rows, more)

    @strawberry.field(description="How many shows `shows` lists (all its pages).")
    async def count(self, info: Info, status: ShowStatus | None = None) -> int:
        statuses = service.venue_show_statuses(info.context.caller, self.owner_id,
                                               status.value if status else None)
        async with info.context.service.db.reader() as session:
            return await service.count_series_shows(session, str(self.id), statuses)

    @classmethod
    def from_model(cls, s: models.ShowSeries, owner_id: str) -> ShowSeries:
        rule = service.rule_of(s)
        return cls(id=strawberry.ID(s.id), title=s.title, kind=ShowKind(s.kind),
                   weekdays=[Weekday(d) for d in rule.weekdays],
                   times=[LocalTime(t) for t in rule.times], starts_on=rule.starts_on,
                   ends_on=rule.ends_on, exceptions=list(rule.exceptions),
                   duration_minutes=rule.duration_minutes, venue_id=strawberry.ID(s.venue_id),
                   hall_id=strawberry.ID(s.hall_id), owner_id=owner_id)

    @classmethod
    async def of(cls, info: Info, s: models.ShowSeries) -> ShowSeries:
        venue = await info.context.loader(_load_venues).load(s.venue_id)
        return cls.from_model(s, venue.owner_id)


async def load_series(info: Info, series_id: str) -> ShowSeries | None:
    """The series, if the caller may see it: its venue's owner and admins always, anyone
    else once one of its shows is on sale (or was: closed)."""
    found = await info.context.loader(_load_series).load(series_id)
    if found is None:
        return None
    series = await ShowSeries.of(info, found)
    if _manages(info, series.owner_id):
        return series
    async with info.context.service.db.reader() as session:
        public = await service.count_series_shows(session, series_id, PUBLIC)
    return series if public else None


async def venue_series(info: Info, venue: Venue) -> list[ShowSeries]:
    """A venue's series the caller may see (as :func:`load_series`), first made first."""
    rows = await info.context.loader(_load_venue_series).load(str(venue.id))
    found = [ShowSeries.from_model(s, str(venue.owner_id)) for s in rows]
    if _manages(info, str(venue.owner_id)):
        return found
    async with info.context.service.db.reader() as session:
        public = await service.series_having_shows(session, [str(s.id) for s in found], PUBLIC)
    return [s for s in found if str(s.id) in public]
