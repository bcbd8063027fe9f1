"""The GraphQL side of recurring schedules (:mod:`.series`): ``ShowSeries``, its input and
the scalars and enums of a rule. :mod:`.schema` has the root fields."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum
from typing import NewType

import strawberry

from subgraphs.kernel.graphql import Info, session_batch
from subgraphs.venue import models, service
from subgraphs.venue.inputs import CreateShowInput, MoneyInput, PriceTierInput, show_spec
from subgraphs.venue.types import (
    Hall,
    ShowConnection,
    ShowKind,
    ShowStatus,
    Venue,
    _load_halls,
    _load_venues,
)

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
        counted = [await service.count_series_shows(session, str(s.id), PUBLIC)
                   for s in found]
    return [s for s, n in zip(found, counted, strict=True) if n]
