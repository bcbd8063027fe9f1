"""Recurring schedules: a series of shows made from one rule (``createShowSeries``).

A rule is weekdays by venue-local wall-clock times over an inclusive range of dates, less
exception dates. Its shows are ordinary shows (own prices, own inventory once published)
that name their series; they are made in one transaction through the same code as
``createShow`` (:func:`.shows.prepare_show`, :func:`.shows.add_show`), published through
``publishShow``'s (:func:`.shows.put_on_sale`) and cancelled through ``cancelShow``'s
(:func:`.shows.take_off_sale`), so booking sees each as it sees a single show.

Times are the venue's wall clock: a 20:00 show is at 20:00 in the venue's IANA zone on
each date, whatever the UTC offset that day. A time the clocks skip on a date (the spring
daylight-saving gap, e.g. 02:30 in Europe/Berlin on the last Sunday of March) refuses the
whole series (``BAD_USER_INPUT`` naming the date), rather than moving a show an hour. A
time that happens twice (the autumn change) means its first occurrence (``fold=0``: the
earlier instant, still at summer time).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kernel.auth import Caller, require_role
from subgraphs.kernel.db import all_each, one_each
from subgraphs.kernel.errors import BadUserInput, Conflict, NotFound, present
from subgraphs.kernel.idempotency import clean_key, create_once
from subgraphs.kernel.l10n import local, zone
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork
from subgraphs.venue.models import Show, ShowSeries, ShowStatus, Venue
from subgraphs.venue.shows import (
    ShowSpec,
    add_show,
    prepare_show,
    put_on_sale,
    take_off_sale,
    validate_show,
)
from subgraphs.venue.teams import require_manager

WEEKDAYS: Final = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")  # date.weekday() order
MAX_SHOWS: Final = 500
MAX_DAYS: Final = 366  # from..until spans at most a year
MAX_MINUTES: Final = 24 * 60
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True)
class SeriesRule:
    """When a series' shows start: on ``weekdays`` at each of ``times`` (venue-local
    ``HH:MM``) from ``starts_on`` to ``ends_on`` inclusive, except on ``exceptions``."""

    weekdays: tuple[str, ...]
    times: tuple[str, ...]
    starts_on: date
    ends_on: date
    exceptions: tuple[date, ...] = ()
    duration_minutes: int = 120


def validate_rule(rule: SeriesRule) -> list[time]:
    """Check the rule's own fields; returns its times, earliest first."""
    if not rule.weekdays:
        raise BadUserInput("Give at least one weekday.", field="input.weekdays")
    for i, day in enumerate(rule.weekdays):
        if day not in WEEKDAYS:
            raise BadUserInput(f"Expected one of {', '.join(WEEKDAYS)}.",
                               field=f"input.weekdays[{i}]")
        if day in rule.weekdays[:i]:
            raise BadUserInput(f"{day} is given twice.", field=f"input.weekdays[{i}]")
    if not rule.times:
        raise BadUserInput("Give at least one time.", field="input.times")
    parsed: list[time] = []
    for i, text in enumerate(rule.times):
        match = _TIME.fullmatch(text)
        if match is None:
            raise BadUserInput(f"{text!r} is not a time: give HH:MM, 00:00 to 23:59.",
                               field=f"input.times[{i}]")
        at = time(int(match.group(1)), int(match.group(2)))
        if at in parsed:
            raise BadUserInput(f"{text} is given twice.", field=f"input.times[{i}]")
        parsed.append(at)
    if not 1 <= rule.duration_minutes <= MAX_MINUTES:
        raise BadUserInput(f"A show lasts 1 to {MAX_MINUTES} minutes.",
                           field="input.durationMinutes")
    if rule.ends_on < rule.starts_on:
        raise BadUserInput("until must not be before from.", field="input.until")
    if (rule.ends_on - rule.starts_on).days >= MAX_DAYS:
        raise BadUserInput(f"A series spans at most {MAX_DAYS} days, from and until "
                           "included.", field="input.until")
    for i, skipped in enumerate(rule.exceptions):
        if not rule.starts_on <= skipped <= rule.ends_on:
            raise BadUserInput(f"{skipped} is not between from and until.",
                               field=f"input.exceptions[{i}]")
    return sorted(parsed)


def occurrences(rule: SeriesRule, zone_name: str) -> list[tuple[datetime, datetime]]:
    """Each show's (start, end) in UTC, in order, for a venue in ``zone_name``."""
    times = validate_rule(rule)
    tz = zone(zone_name)
    days = {WEEKDAYS.index(d) for d in rule.weekdays}
    skipped = set(rule.exceptions)
    length = timedelta(minutes=rule.duration_minutes)
    found: list[tuple[datetime, datetime]] = []
    day = rule.starts_on
    while day <= rule.ends_on:
        if day.weekday() in days and day not in skipped:
            for at in times:
                wall = datetime.combine(day, at, tzinfo=tz)  # fold=0: the first of two
                start = wall.astimezone(UTC)
                if start.astimezone(tz).replace(tzinfo=None) != wall.replace(tzinfo=None):
                    raise BadUserInput(
                        f"{day} {at:%H:%M} does not exist in {tz.key}: the clocks skip it "
                        "(daylight saving time). Add the date to exceptions or pick "
                        "another time.", field=f"input.times[{rule.times.index(f'{at:%H:%M}')}]",
                        date=day.isoformat())
                found.append((start, start + length))
                if len(found) > MAX_SHOWS:
                    raise BadUserInput(f"A series has at most {MAX_SHOWS} shows; make the "
                                       "date range shorter.", field="input.until")
        day += timedelta(days=1)
    if not found:
        raise BadUserInput("The rule gives no show: no date in the range falls on its "
                           "weekdays (or all are exceptions).", field="input.weekdays")
    return found


def _first_clash(slots: list[tuple[datetime, datetime]], taken: Sequence[Show],
                 tz_name: str) -> None:
    """``CONFLICT`` naming the first slot that overlaps another slot or a show in ``taken``."""
    for (_, end), (start, _) in itertools.pairwise(slots):
        if start < end:
            raise Conflict(f"The series' own shows overlap at "
                           f"{local(start, tz_name):%Y-%m-%d %H:%M}: make durationMinutes "
                           "shorter or the times further apart.", field="input.times",
                           startsAt=start.isoformat())
    for start, end in slots:
        for show in taken:
            if show.starts_at < end and show.ends_at > start:
                raise Conflict(f"The hall is taken by {show.title!r} at "
                               f"{local(start, tz_name):%Y-%m-%d %H:%M}.",
                               field="input.times", showId=show.id,
                               startsAt=start.isoformat())


def _serial(values: Sequence[object]) -> str:
    return ",".join(str(v) for v in values)


async def create_show_series(service: Service, caller: Caller | None, spec: ShowSpec,
                             rule: SeriesRule, publish: bool = False,
                             idempotency_key: str | None = None) -> ShowSeries:
    """Every show of ``rule`` in one transaction, as ``createShow`` makes one (DRAFT, or on
    sale with ``publish``); none if any is refused or overlaps."""
    who = require_role(caller, "ORGANIZER")
    validate_rule(rule)
    # The show fields are checked as createShow checks them, at the range's first day.
    first = datetime.combine(rule.starts_on, time(), tzinfo=UTC)
    template = replace(spec, starts_at=first,
                       ends_at=first + timedelta(minutes=rule.duration_minutes), stops=[])
    validate_show(template)

    async def create(uow: UnitOfWork) -> tuple[ShowSeries, str]:
        session = uow.session
        hall, venue, tiers = await prepare_show(session, who, template)  # hall locked
        slots = occurrences(rule, venue.time_zone)
        taken = list(await session.scalars(select(Show).where(
            Show.hall_id == hall.id, Show.status != ShowStatus.CANCELLED,
            Show.starts_at < slots[-1][1], Show.ends_at > slots[0][0])
            .order_by(Show.starts_at)))
        _first_clash(slots, taken, venue.time_zone)
        series = ShowSeries(venue_id=venue.id, hall_id=hall.id, title=spec.title.strip(),
                            kind=spec.kind, weekdays=_serial(
                                [d for d in WEEKDAYS if d in rule.weekdays]),
                            times=_serial(sorted(rule.times)), starts_on=rule.starts_on,
                            ends_on=rule.ends_on, exceptions=_serial(sorted(rule.exceptions)),
                            duration_minutes=rule.duration_minutes)
        session.add(series)
        await session.flush()
        for start, end in slots:
            show = await add_show(session, hall, venue, template, tiers, start, end,
                                  series_id=series.id)
            if publish:
                await put_on_sale(uow, show, venue, field="input.publish")
        return series, series.id

    return await create_once(
        service, service.idempotency, user_id=who.user_id, key=clean_key(idempotency_key),
        operation="createShowSeries",
        request={"show": asdict(template), "rule": asdict(rule), "publish": publish},
        create=create, load=lambda id: service.get(ShowSeries, id))


async def _owned_series(session: AsyncSession, who: Caller,
                        series_id: str) -> tuple[ShowSeries, Venue]:
    series = await session.get(ShowSeries, series_id, with_for_update=True)
    if series is None:
        raise NotFound("No show series with this id.", field="id")
    venue = present(await session.get(Venue, series.venue_id), "the series' venue")
    await require_manager(session, who, venue)
    return series, venue


async def _shows_of(session: AsyncSession, series_id: str, *statuses: str) -> list[Show]:
    return list(await session.scalars(
        select(Show).where(Show.series_id == series_id, Show.status.in_(statuses))
        .order_by(Show.starts_at, Show.id).with_for_update()))


async def publish_show_series(service: Service, caller: Caller | None,
                              series_id: str) -> ShowSeries:
    """Every DRAFT show of the series on sale at once, each as ``publishShow`` does (its own
    ``ShowPublished``); shows already on sale, closed or cancelled stay as they are."""
    who = require_role(caller, "ORGANIZER")
    async with service.uow() as uow:
        series, venue = await _owned_series(uow.session, who, series_id)
        for show in await _shows_of(uow.session, series.id, ShowStatus.DRAFT):
            await put_on_sale(uow, show, venue, field="id")
        await uow.commit()
    return series


async def cancel_show_series(service: Service, caller: Caller | None, series_id: str,
                             from_date: date | None = None) -> ShowSeries:
    """Cancel every draft and show on sale of the series, or those on ``from_date`` (venue
    local) and after, each as ``cancelShow`` does: booking cancels and refunds the bookings
    of each show that was on sale. Closed shows stay closed."""
    who = require_role(caller, "ORGANIZER")
    async with service.uow() as uow:
        series, venue = await _owned_series(uow.session, who, series_id)
        for show in await _shows_of(uow.session, series.id, ShowStatus.DRAFT,
                                    ShowStatus.ON_SALE):
            if from_date is None or local(show.starts_at, venue.time_zone).date() >= from_date:
                take_off_sale(uow, show)
        await uow.commit()
    return series


async def rename_show_series(service: Service, caller: Caller | None, series_id: str,
                             title: str) -> ShowSeries:
    """A new title for the series and its DRAFT shows. Shows on sale, closed or cancelled
    keep theirs: tickets and mails were issued with it."""
    who = require_role(caller, "ORGANIZER")
    if not title.strip() or len(title.strip()) > 200:
        raise BadUserInput("Enter a title of 1 to 200 characters.", field="title")
    async with service.uow() as uow:
        series, _ = await _owned_series(uow.session, who, series_id)
        series.title = title.strip()
        for show in await _shows_of(uow.session, series.id, ShowStatus.DRAFT):
            show.title = series.title
        await uow.commit()
    return series


# --- reads ------------------------------------------------------------------------------


def rule_of(series: ShowSeries) -> SeriesRule:
    """The rule a series was made from."""
    def split(text: str) -> tuple[str, ...]:
        return tuple(p for p in text.split(",") if p)

    return SeriesRule(weekdays=split(series.weekdays), times=split(series.times),
                      starts_on=series.starts_on, ends_on=series.ends_on,
                      exceptions=tuple(date.fromisoformat(d) for d in split(series.exceptions)),
                      duration_minutes=series.duration_minutes)


async def series_by_ids(session: AsyncSession,
                        ids: Sequence[str]) -> list[ShowSeries | None]:
    """Series in the order of ``ids`` (``None`` where unknown), in one query."""
    return await one_each(session, ShowSeries.id, ids)


async def series_by_venue(session: AsyncSession,
                          venue_ids: Sequence[str]) -> list[list[ShowSeries]]:
    """Each venue's series, first made first, in one query."""
    return await all_each(session, ShowSeries.venue_id, venue_ids, ShowSeries.created_at,
                          ShowSeries.id)


async def series_having_shows(session: AsyncSession, series_ids: Sequence[str],
                              statuses: Sequence[str]) -> set[str]:
    """Which of ``series_ids`` have a show with one of ``statuses`` (one query for all)."""
    if not series_ids:
        return set()
    return set(await session.scalars(select(Show.series_id).distinct().where(
        Show.series_id.in_(series_ids), Show.status.in_(statuses))))


async def count_series_shows(session: AsyncSession, series_id: str,
                             statuses: Sequence[str]) -> int:
    """How many shows of the series have one of ``statuses``."""
    return int(await session.scalar(select(func.count()).select_from(Show).where(
        Show.series_id == series_id, Show.status.in_(statuses))) or 0)
