"""Venue's shows and their life: a DRAFT show in a hall (no overlap there), publishing it
(DRAFT -> ON_SALE, with ``ShowPublished``: everything booking sells it from) and cancelling
it (``ShowCancelled``); editing one show's title or times (``updateShow``, with
``ShowRescheduled`` for one on sale)."""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kernel.auth import Caller, require_role
from subgraphs.kernel.errors import BadUserInput, Conflict, NotFound, present
from subgraphs.kernel.events import ShowCancelled, ShowPublished, ShowRescheduled
from subgraphs.kernel.idempotency import clean_key, create_once
from subgraphs.kernel.l10n import check_currency
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork
from subgraphs.venue import ticket_types
from subgraphs.venue.fares import FareSpec, fare_document
from subgraphs.venue.models import Hall, PriceTier, Seat, Section, Show, ShowStatus, Stop, Venue
from subgraphs.venue.teams import require_manager
from subgraphs.venue.ticket_types import TicketTypeSpec

SHOW_KINDS = ("MOVIE", "CONCERT", "TRAIN", "FLIGHT", "OTHER")


@dataclass(frozen=True)
class ShowSpec:
    title: str
    starts_at: datetime
    ends_at: datetime | None
    currency: str
    tiers: dict[str, int]
    hall_id: str | None = None
    venue_id: str | None = None
    kind: str = "OTHER"
    stops: list[tuple[str, datetime | None]] = field(default_factory=list)
    # One price for every category the hall uses, instead of ``tiers``.
    flat_price: int | None = None
    # Categories of ``tiers`` sold only with a promo code that unlocks them.
    hidden: frozenset[str] = frozenset()
    # Fares per segment and fare classes (:mod:`.fares`).
    fares: FareSpec = field(default_factory=FareSpec)
    # Adult, Child... each priced per category (:mod:`.ticket_types`); none: the tiers alone.
    ticket_types: tuple[TicketTypeSpec, ...] = ()


def validate_show(spec: ShowSpec) -> datetime:
    """Check a show's own fields; returns its end (default: two hours after the start)."""
    if not spec.title.strip() or len(spec.title) > 200:
        raise BadUserInput("Enter a title of 1 to 200 characters.", field="input.title")
    if spec.kind not in SHOW_KINDS:
        raise BadUserInput(f"Expected one of {', '.join(SHOW_KINDS)}.", field="input.kind")
    if spec.starts_at.tzinfo is None:
        raise BadUserInput("Give startsAt with a time zone.", field="input.startsAt")
    ends_at = spec.ends_at or spec.starts_at + timedelta(hours=2)
    if ends_at.tzinfo is None or ends_at <= spec.starts_at:
        raise BadUserInput("endsAt must be after startsAt.", field="input.endsAt")
    check_currency(spec.currency, "input.currency")
    for category, amount in spec.tiers.items():
        if amount < 0:
            raise BadUserInput(f"The price of {category} cannot be negative.",
                               field="input.priceTiers")
    ticket_types.check(spec.ticket_types)
    if len(spec.stops) == 1:
        raise BadUserInput("A journey has at least two stops.", field="input.stops")
    for i, (name, departs_at) in enumerate(spec.stops):
        if not name.strip() or len(name.strip()) > 200:
            raise BadUserInput("Enter a stop name of 1 to 200 characters.",
                               field=f"input.stops[{i}].name")
        if departs_at is not None and departs_at.tzinfo is None:
            raise BadUserInput("Give departsAt with a time zone.",
                               field=f"input.stops[{i}].departsAt")
    return ends_at


async def _hall_for(session: AsyncSession, spec: ShowSpec) -> Hall:
    if spec.hall_id is not None:
        hall = await session.get(Hall, spec.hall_id, with_for_update=True)
        if hall is None:
            raise NotFound("No hall with this id.", field="input.hallId")
        if spec.venue_id is not None and spec.venue_id != hall.venue_id:
            raise BadUserInput("This hall belongs to another venue.", field="input.venueId")
        return hall
    if spec.venue_id is None:
        raise BadUserInput("Give the hallId of the show.", field="input.hallId")
    halls = list(await session.scalars(select(Hall).where(Hall.venue_id == spec.venue_id)
                                       .with_for_update()))
    if not halls:
        if await session.get(Venue, spec.venue_id) is None:
            raise NotFound("No venue with this id.", field="input.venueId")
        raise BadUserInput("The venue has no hall yet.", field="input.venueId")
    if len(halls) > 1:
        raise BadUserInput("The venue has several halls: give hallId.", field="input.hallId")
    return halls[0]


async def hall_categories(session: AsyncSession, hall_id: str) -> set[str]:
    """The price categories a hall uses: of seats for sale and of standing sections."""
    seats = await session.scalars(select(Seat.category).distinct().where(
        Seat.hall_id == hall_id, Seat.blocked.is_(False)))
    standing = await session.scalars(select(Section.category).distinct().where(
        Section.hall_id == hall_id, Section.category.is_not(None)))
    return {*seats, *(c for c in standing if c is not None)}


async def prepare_show(session: AsyncSession, who: Caller,
                       spec: ShowSpec) -> tuple[Hall, Venue, dict[str, int]]:
    """The hall (locked: overlap checks take turns per hall), its venue (the caller's, or
    an admin's call) and the price of each category, for a show or a series of ``spec``."""
    hall = await _hall_for(session, spec)
    venue = present(await session.get(Venue, hall.venue_id), "the hall's venue")
    await require_manager(session, who, venue)
    categories = await hall_categories(session, hall.id)
    tiers = (dict.fromkeys(categories, spec.flat_price) if spec.flat_price is not None
             else spec.tiers)
    unknown = sorted(set(tiers) - categories)
    if unknown:
        raise BadUserInput(f"The hall has no category {unknown[0]}.",
                           field="input.priceTiers")
    ticket_types.check_hall(spec.ticket_types, categories)
    return hall, venue, tiers


async def add_show(session: AsyncSession, hall: Hall, venue: Venue, spec: ShowSpec,
                   tiers: dict[str, int], starts_at: datetime, ends_at: datetime,
                   series_id: str | None = None,
                   fares: dict[str, Any] | None = None) -> Show:
    """Store a DRAFT show of ``spec`` at ``starts_at`` to ``ends_at`` with its prices and
    stops (overlaps are the caller's to check)."""
    show = Show(venue_id=venue.id, hall_id=hall.id, title=spec.title.strip(),
                kind=spec.kind, starts_at=starts_at.astimezone(UTC),
                ends_at=ends_at.astimezone(UTC), status=ShowStatus.DRAFT,
                currency=spec.currency, series_id=series_id, fares=fares)
    session.add(show)
    await session.flush()
    session.add_all(PriceTier(show_id=show.id, category=c, amount=a, hidden=c in spec.hidden)
                    for c, a in tiers.items())
    session.add_all(Stop(show_id=show.id, position=i, name=name.strip(), departs_at=at)
                    for i, (name, at) in enumerate(spec.stops))
    session.add_all(ticket_types.rows(show.id, spec.ticket_types))
    return show


async def _seats_for_sale(session: AsyncSession, hall_id: str) -> int:
    return int(await session.scalar(select(func.count()).select_from(Seat).where(
        Seat.hall_id == hall_id, Seat.blocked.is_(False))) or 0)


async def fares_of(session: AsyncSession, hall: Hall, spec: ShowSpec) -> dict[str, Any] | None:
    """The checked fare document of ``spec`` (a journey's fares and fare classes), or None."""
    if spec.fares.empty:
        return None
    return fare_document(spec.fares, len(spec.stops), await hall_categories(session, hall.id),
                         await _seats_for_sale(session, hall.id))


async def create_show(service: Service, caller: Caller | None, spec: ShowSpec,
                      idempotency_key: str | None = None) -> Show:
    """A DRAFT show in one of the caller's halls; it may not overlap another show there."""
    who = require_role(caller, "ORGANIZER")
    ends_at = validate_show(spec)

    async def create(uow: UnitOfWork) -> tuple[Show, str]:
        session = uow.session
        hall, venue, tiers = await prepare_show(session, who, spec)
        fares = await fares_of(session, hall, spec)
        clash = await session.scalar(select(Show).where(
            Show.hall_id == hall.id, Show.status != ShowStatus.CANCELLED,
            Show.starts_at < ends_at, Show.ends_at > spec.starts_at).limit(1))
        if clash is not None:
            raise Conflict(f"The hall is taken by {clash.title!r} at that time.",
                           field="input.startsAt", showId=clash.id)
        show = await add_show(session, hall, venue, spec, tiers, spec.starts_at, ends_at,
                              fares=fares)
        return show, show.id

    return await create_once(
        service, service.idempotency, user_id=who.user_id, key=clean_key(idempotency_key),
        operation="createShow", request=asdict(spec), create=create,
        load=lambda id: service.get(Show, id))


async def _owned_show(session: AsyncSession, who: Caller, show_id: str) -> tuple[Show, Venue]:
    show = await session.get(Show, show_id, with_for_update=True)
    if show is None:
        raise NotFound("No show with this id.", field="showId")
    venue = present(await session.get(Venue, show.venue_id), "the show's venue")
    await require_manager(session, who, venue)
    return show, venue


async def publish_show(service: Service, caller: Caller | None, show_id: str) -> Show:
    """DRAFT → ON_SALE, announcing everything booking needs to sell it (``ShowPublished``)."""
    who = require_role(caller, "ORGANIZER")
    async with service.uow() as uow:
        show, venue = await _owned_show(uow.session, who, show_id)
        if show.status == ShowStatus.ON_SALE:
            return show
        await put_on_sale(uow, show, venue)
        await uow.commit()
    return show


async def put_on_sale(uow: UnitOfWork, show: Show, venue: Venue, field: str = "showId") -> None:
    """DRAFT → ON_SALE in ``uow`` with its ``ShowPublished``; ``CONFLICT`` for a show in
    another state, ``BAD_USER_INPUT`` (on ``field``) while a category has no price."""
    if show.status != ShowStatus.DRAFT:
        raise Conflict(f"A {show.status} show cannot go on sale.", field=field,
                       showId=show.id)
    priced = list(await uow.session.scalars(
        select(PriceTier).where(PriceTier.show_id == show.id)))
    tiers = {t.category: t.amount for t in priced}
    missing = sorted(await hall_categories(uow.session, show.hall_id) - set(tiers))
    if missing:
        raise BadUserInput(f"Price the categories {', '.join(missing)} first.",
                           field=field, categories=missing)
    show.status = ShowStatus.ON_SALE
    uow.emit(ShowPublished(**await _published(uow.session, show, venue, tiers),
                           hidden_categories=sorted(t.category for t in priced
                                                    if t.hidden),
                           ticket_types=await ticket_types.published(uow.session, show.id)))


async def _published(session: AsyncSession, show: Show, venue: Venue,
                     tiers: dict[str, int]) -> dict[str, Any]:
    sections = list(await session.scalars(
        select(Section).where(Section.hall_id == show.hall_id).order_by(Section.position)))
    hall_kind = await session.scalar(select(Hall.kind).where(Hall.id == show.hall_id))
    placed = (await session.execute(
        select(Seat.id, Seat.label, Seat.category, Seat.section_id, Seat.row_label, Seat.x,
               Seat.y, Seat.blocked)
        .where(Seat.hall_id == show.hall_id).order_by(Seat.position))).all()
    # A seat's place in its row counts the seats not for sale, so seats whose places
    # differ by one are neighbours, and a blocked seat between two keeps them apart.
    cols: dict[tuple[str, str], int] = {}
    seats = []
    for s in placed:
        row = (s.section_id, s.row_label)
        cols[row] = cols.get(row, -1) + 1
        if not s.blocked:
            seats.append((s, f"{s.section_id}:{s.row_label}", cols[row]))
    stops = list(await session.scalars(
        select(Stop).where(Stop.show_id == show.id).order_by(Stop.position)))
    return {
        "show_id": show.id, "venue_id": venue.id, "hall_id": show.hall_id,
        "organizer_id": venue.owner_id, "title": show.title, "kind": show.kind,
        "starts_at": show.starts_at.isoformat(), "ends_at": show.ends_at.isoformat(),
        "time_zone": venue.time_zone, "currency": show.currency, "prices": tiers,
        "hall_kind": hall_kind or "OTHER",
        "seats": [{"id": s.id, "label": s.label, "category": s.category,
                   "section_id": s.section_id, "price": tiers[s.category],
                   "row": row, "col": col, "x": s.x, "y": s.y} for s, row, col in seats],
        "general_admission": [
            {"id": s.id, "key": s.key, "name": s.name, "capacity": s.capacity,
             "category": s.category, "price": tiers[s.category or ""]}
            for s in sections if s.capacity is not None],
        "stops": len(stops),
        "fares": show.fares or {},
        "legs": [{"index": i, "from": a.name, "to": b.name}
                 for i, (a, b) in enumerate(itertools.pairwise(stops))]
        or [{"index": 0, "from": None, "to": None}],
    }


async def cancel_show(service: Service, caller: Caller | None, show_id: str) -> Show:
    """Cancel a draft or a show on sale; booking stops selling it (``ShowCancelled``)."""
    who = require_role(caller, "ORGANIZER")
    async with service.uow() as uow:
        show, _ = await _owned_show(uow.session, who, show_id)
        if show.status == ShowStatus.CANCELLED:
            return show
        if show.status == ShowStatus.CLOSED:
            raise Conflict("A closed show cannot be cancelled.", field="showId")
        take_off_sale(uow, show)
        await uow.commit()
    return show


def take_off_sale(uow: UnitOfWork, show: Show) -> None:
    """Cancel a DRAFT or ON_SALE show in ``uow``; one on sale announces ``ShowCancelled``,
    on which booking cancels (and refunds) its bookings."""
    was_on_sale = show.status == ShowStatus.ON_SALE
    show.status = ShowStatus.CANCELLED
    if was_on_sale:
        uow.emit(ShowCancelled(show_id=show.id, venue_id=show.venue_id))


@dataclass(frozen=True)
class ShowChange:
    """``updateShow``'s fields; ``None`` leaves one as it is."""

    title: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


def validate_change(change: ShowChange) -> None:
    """The change's own fields: something to change, a title of 1 to 200 characters, times
    with a zone."""
    if change.title is None and change.starts_at is None and change.ends_at is None:
        raise BadUserInput("Give title, startsAt or endsAt to change.", field="input")
    if change.title is not None and (not change.title.strip() or len(change.title.strip()) > 200):
        raise BadUserInput("Enter a title of 1 to 200 characters.", field="input.title")
    for name, at in (("startsAt", change.starts_at), ("endsAt", change.ends_at)):
        if at is not None and at.tzinfo is None:
            raise BadUserInput(f"Give {name} with a time zone.", field=f"input.{name}")


async def update_show(service: Service, caller: Caller | None, show_id: str,
                      change: ShowChange) -> Show:
    """A new title and/or new times for one show, a draft or one on sale (of a series or
    not: the series' rule stays as it was, the show is an edited date of it). A move keeps
    the hall's no-overlap rule (``CONFLICT`` naming the show in the way); leaving ``endsAt``
    out keeps the show's length. A show on sale announces ``ShowRescheduled``: booking's
    copy takes the new title and times. A cancelled or closed show is a ``CONFLICT``."""
    who = require_role(caller, "ORGANIZER")
    validate_change(change)
    async with service.uow() as uow:
        session = uow.session
        show, _ = await _owned_show(session, who, show_id)
        if show.status not in (ShowStatus.DRAFT, ShowStatus.ON_SALE):
            raise Conflict(f"A {show.status} show cannot be changed.", field="id",
                           showId=show.id, status=show.status)
        starts_at = (change.starts_at or show.starts_at).astimezone(UTC)
        if change.ends_at is not None:
            ends_at = change.ends_at.astimezone(UTC)
        else:
            ends_at = starts_at + (show.ends_at - show.starts_at)
        if ends_at <= starts_at:
            raise BadUserInput("endsAt must be after startsAt.", field="input.endsAt")
        moved = starts_at != show.starts_at or ends_at != show.ends_at
        if moved:
            await session.get(Hall, show.hall_id, with_for_update=True)  # overlap checks take turns
            clash = await session.scalar(select(Show).where(
                Show.hall_id == show.hall_id, Show.id != show.id,
                Show.status != ShowStatus.CANCELLED,
                Show.starts_at < ends_at, Show.ends_at > starts_at).limit(1))
            if clash is not None:
                raise Conflict(f"The hall is taken by {clash.title!r} at that time.",
                               field="input.startsAt", showId=clash.id)
        previous = show.starts_at
        title = change.title.strip() if change.title is not None else show.title
        show.title, show.starts_at, show.ends_at = title, starts_at, ends_at
        if show.status == ShowStatus.ON_SALE:
            uow.emit(ShowRescheduled(show_id=show.id, starts_at=starts_at.isoformat(),
                                     ends_at=ends_at.isoformat(), title=title,
                                     previous_starts_at=previous.isoformat()))
        await uow.commit()
    return show
