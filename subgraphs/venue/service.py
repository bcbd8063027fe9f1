"""Venue use cases: venues, halls with seat maps, shows and their life, and the events
booking builds inventory from. Resolvers call these and nothing else."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kernel.auth import Caller, require_owner_or_admin, require_role
from subgraphs.kernel.db import all_each, new_id, one_each
from subgraphs.kernel.errors import BadUserInput, Conflict, NotFound
from subgraphs.kernel.events import ShowCancelled, ShowPublished, VenueTimeZoneChanged
from subgraphs.kernel.idempotency import clean_key, create_once
from subgraphs.kernel.l10n import check_currency, check_time_zone
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork
from subgraphs.venue import seatmap
from subgraphs.venue.models import Hall, PriceTier, Seat, Section, Show, Stop, Venue

SHOW_KINDS = ("MOVIE", "CONCERT", "TRAIN", "FLIGHT", "OTHER")
SEAT_PITCH = 10  # drawing units between neighbouring seats and rows
CHUNK = 5_000


@dataclass(frozen=True)
class RowInput:
    """A row of ``seats`` seats for the one-hall shortcut of ``createVenue``."""

    label: str
    seats: int
    category: str = "STANDARD"


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


# --- venues and halls -------------------------------------------------------------------


def _rows_document(name: str, rows: Sequence[RowInput]) -> dict[str, Any]:
    """The seat-map document of the ``createVenue(rows)`` shortcut: one hall, one section."""
    return {"format": seatmap.FORMAT, "name": "Main", "kind": "OTHER", "sections": [{
        "key": "main", "name": name or "Main",
        "rows": [{"label": r.label, "y": (i + 1) * SEAT_PITCH, "count": r.seats,
                  "x": SEAT_PITCH, "dx": SEAT_PITCH, "category": r.category.strip().upper()}
                 for i, r in enumerate(rows)]}]}


def _rows_spec(name: str, rows: Sequence[RowInput]) -> seatmap.HallSpec:
    # Errors name the createVenue input's paths, not the generated document's.
    if not rows:
        raise BadUserInput("A venue needs at least one row.", field="input.rows")
    seen: set[str] = set()
    for i, row in enumerate(rows):
        label = row.label.strip()
        if not label or len(label) > 20:
            raise BadUserInput("Enter a row label of 1 to 20 characters.",
                               field=f"input.rows[{i}].label")
        if label in seen:
            raise BadUserInput(f"Row {label} appears twice.", field=f"input.rows[{i}].label")
        seen.add(label)
        if not 1 <= row.seats <= seatmap.MAX_ROW:
            raise BadUserInput(f"A row has 1 to {seatmap.MAX_ROW} seats.",
                               field=f"input.rows[{i}].seats")
        if not row.category.strip():
            raise BadUserInput("Enter a category.", field=f"input.rows[{i}].category")
    if sum(r.seats for r in rows) > seatmap.MAX_SEATS:
        raise BadUserInput(f"A venue has at most {seatmap.MAX_SEATS} seats.", field="input.rows")
    return seatmap.parse(_rows_document(name, rows), "input")


def validate_venue_name(name: str) -> str:
    """A venue name, trimmed, or ``BAD_USER_INPUT``."""
    if not name.strip() or len(name) > 200:
        raise BadUserInput("Enter a venue name of 1 to 200 characters.", field="input.name")
    return name.strip()


def validate_rows(name: str, rows: Sequence[RowInput]) -> seatmap.HallSpec:
    """Check a ``createVenue(name, rows)`` request; the one hall it describes."""
    return _rows_spec(validate_venue_name(name), rows)


async def create_venue(service: Service, caller: Caller | None, name: str,
                       time_zone: str | None, rows: Sequence[RowInput] | None = None,
                       idempotency_key: str | None = None) -> Venue:
    """A venue owned by the calling organizer, in the IANA zone ``time_zone``; with
    ``rows``, also one hall of those rows."""
    who = require_role(caller, "ORGANIZER")
    clean = validate_venue_name(name)
    zone = check_time_zone(time_zone, "input.timeZone")
    hall = _rows_spec(clean, rows) if rows is not None else None

    async def create(uow: UnitOfWork) -> tuple[Venue, str]:
        venue = Venue(owner_id=who.user_id, name=clean, time_zone=zone)
        uow.session.add(venue)
        await uow.session.flush()
        if hall is not None:
            await _store_hall(uow, venue, hall)
        return venue, venue.id

    request = {"name": name, "time_zone": zone,
               "rows": [asdict(r) for r in rows] if rows is not None else None}
    return await create_once(
        service, service.idempotency, user_id=who.user_id, key=clean_key(idempotency_key),
        operation="createVenue", request=request, create=create,
        load=lambda id: service.get(Venue, id))


async def set_venue_time_zone(service: Service, caller: Caller | None, venue_id: str,
                              time_zone: str) -> Venue:
    """Correct the venue's IANA zone (its owner or an admin), e.g. of a venue that got UTC
    when zones came in. Booking hears ``VenueTimeZoneChanged``: notices about the venue's
    shows name the new zone from then on. Setting the zone it has changes nothing."""
    who = require_role(caller, "ORGANIZER")
    zone = check_time_zone(time_zone, "timeZone")
    async with service.uow() as uow:
        venue = await uow.session.get(Venue, venue_id, with_for_update=True)
        if venue is None:
            raise NotFound("No venue with this id.", field="venueId")
        require_owner_or_admin(who, venue.owner_id)
        if venue.time_zone != zone:
            venue.time_zone = zone
            uow.emit(VenueTimeZoneChanged(venue_id=venue.id, time_zone=zone))
        await uow.commit()
    return venue


async def create_hall(service: Service, caller: Caller | None, venue_id: str, document: Any,
                      idempotency_key: str | None = None) -> Hall:
    """Import a seat map (docs/seatmap-format.md) as a new hall of the caller's venue."""
    who = require_role(caller, "ORGANIZER")
    spec = seatmap.parse(document)

    async def create(uow: UnitOfWork) -> tuple[Hall, str]:
        venue = await uow.session.get(Venue, venue_id)
        if venue is None:
            raise NotFound("No venue with this id.", field="venueId")
        require_owner_or_admin(who, venue.owner_id)
        taken = await uow.session.scalar(
            select(Hall.id).where(Hall.venue_id == venue.id, Hall.name == spec.name))
        if taken is not None:
            raise Conflict(f"The venue already has a hall named {spec.name}.",
                           field="seatMap.name")
        hall = await _store_hall(uow, venue, spec)
        return hall, hall.id

    return await create_once(
        service, service.idempotency, user_id=who.user_id, key=clean_key(idempotency_key),
        operation="createHall", request={"venue_id": venue_id, "seat_map": document},
        create=create, load=lambda id: service.get(Hall, id))


async def _store_hall(uow: UnitOfWork, venue: Venue, spec: seatmap.HallSpec) -> Hall:
    hall = Hall(id=new_id(), venue_id=venue.id, name=spec.name, kind=spec.kind)
    sections: list[dict[str, Any]] = []
    seats: list[dict[str, Any]] = []
    for i, section in enumerate(spec.sections):
        sid = seatmap.section_id(hall.id, section.key)
        sections.append({"id": sid, "hall_id": hall.id, "key": section.key, "name": section.name,
                         "position": i, "capacity": section.capacity,
                         "category": section.category})
        for row in section.rows:
            for seat in row.seats:
                seats.append({
                    "id": seatmap.seat_id(hall.id, section.key, row.label, seat.number),
                    "hall_id": hall.id, "section_id": sid, "position": len(seats),
                    "row_label": row.label, "number": seat.number, "label": seat.label,
                    "x": seat.x, "y": seat.y, "category": seat.category,
                    "accessible": seat.accessible, "blocked": seat.blocked})
    hall.seat_map = orjson.dumps(compact_map(hall.id, sections, seats)).decode()
    uow.session.add(hall)
    await uow.session.flush()
    await uow.session.execute(insert(Section), sections)
    for start in range(0, len(seats), CHUNK):
        await uow.session.execute(insert(Seat), seats[start:start + CHUNK])
    return hall


# --- shows ------------------------------------------------------------------------------


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
    halls = list(await session.scalars(select(Hall).where(Hall.venue_id == spec.venue_id)))
    if not halls:
        if await session.get(Venue, spec.venue_id) is None:
            raise NotFound("No venue with this id.", field="input.venueId")
        raise BadUserInput("The venue has no hall yet.", field="input.venueId")
    if len(halls) > 1:
        raise BadUserInput("The venue has several halls: give hallId.", field="input.hallId")
    locked = await session.get(Hall, halls[0].id, with_for_update=True)
    assert locked is not None
    return locked


async def hall_categories(session: AsyncSession, hall_id: str) -> set[str]:
    """The price categories a hall uses: of seats for sale and of standing sections."""
    seats = await session.scalars(select(Seat.category).distinct().where(
        Seat.hall_id == hall_id, Seat.blocked.is_(False)))
    standing = await session.scalars(select(Section.category).distinct().where(
        Section.hall_id == hall_id, Section.category.is_not(None)))
    return {*seats, *(c for c in standing if c is not None)}


async def create_show(service: Service, caller: Caller | None, spec: ShowSpec,
                      idempotency_key: str | None = None) -> Show:
    """A DRAFT show in one of the caller's halls; it may not overlap another show there."""
    who = require_role(caller, "ORGANIZER")
    ends_at = validate_show(spec)

    async def create(uow: UnitOfWork) -> tuple[Show, str]:
        session = uow.session
        hall = await _hall_for(session, spec)  # locked: overlap checks take turns per hall
        venue = await session.get(Venue, hall.venue_id)
        assert venue is not None
        require_owner_or_admin(who, venue.owner_id)
        categories = await hall_categories(session, hall.id)
        tiers = (dict.fromkeys(categories, spec.flat_price) if spec.flat_price is not None
                 else spec.tiers)
        unknown = sorted(set(tiers) - categories)
        if unknown:
            raise BadUserInput(f"The hall has no category {unknown[0]}.",
                               field="input.priceTiers")
        clash = await session.scalar(select(Show).where(
            Show.hall_id == hall.id, Show.status != "CANCELLED",
            Show.starts_at < ends_at, Show.ends_at > spec.starts_at).limit(1))
        if clash is not None:
            raise Conflict(f"The hall is taken by {clash.title!r} at that time.",
                           field="input.startsAt", showId=clash.id)
        show = Show(venue_id=venue.id, hall_id=hall.id, title=spec.title.strip(),
                    kind=spec.kind, starts_at=spec.starts_at.astimezone(UTC),
                    ends_at=ends_at.astimezone(UTC),
                    status="DRAFT", currency=spec.currency)
        session.add(show)
        await session.flush()
        session.add_all(PriceTier(show_id=show.id, category=c, amount=a)
                        for c, a in tiers.items())
        session.add_all(Stop(show_id=show.id, position=i, name=name.strip(), departs_at=at)
                        for i, (name, at) in enumerate(spec.stops))
        return show, show.id

    return await create_once(
        service, service.idempotency, user_id=who.user_id, key=clean_key(idempotency_key),
        operation="createShow", request=asdict(spec), create=create,
        load=lambda id: service.get(Show, id))


async def _owned_show(session: AsyncSession, who: Caller, show_id: str) -> tuple[Show, Venue]:
    show = await session.get(Show, show_id, with_for_update=True)
    if show is None:
        raise NotFound("No show with this id.", field="showId")
    venue = await session.get(Venue, show.venue_id)
    assert venue is not None
    require_owner_or_admin(who, venue.owner_id)
    return show, venue


async def publish_show(service: Service, caller: Caller | None, show_id: str) -> Show:
    """DRAFT → ON_SALE, announcing everything booking needs to sell it (``ShowPublished``)."""
    who = require_role(caller, "ORGANIZER")
    async with service.uow() as uow:
        show, venue = await _owned_show(uow.session, who, show_id)
        if show.status == "ON_SALE":
            return show
        if show.status != "DRAFT":
            raise Conflict(f"A {show.status} show cannot go on sale.", field="showId")
        tiers = {t.category: t.amount for t in await uow.session.scalars(
            select(PriceTier).where(PriceTier.show_id == show.id))}
        missing = sorted(await hall_categories(uow.session, show.hall_id) - set(tiers))
        if missing:
            raise BadUserInput(f"Price the categories {', '.join(missing)} first.",
                               field="showId", categories=missing)
        show.status = "ON_SALE"
        uow.emit(ShowPublished(**await _published(uow.session, show, venue, tiers)))
        await uow.commit()
    return show


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
        "legs": [{"index": i, "from": a.name, "to": b.name}
                 for i, (a, b) in enumerate(itertools.pairwise(stops))]
        or [{"index": 0, "from": None, "to": None}],
    }


async def cancel_show(service: Service, caller: Caller | None, show_id: str) -> Show:
    """Cancel a draft or a show on sale; booking stops selling it (``ShowCancelled``)."""
    who = require_role(caller, "ORGANIZER")
    async with service.uow() as uow:
        show, _ = await _owned_show(uow.session, who, show_id)
        if show.status == "CANCELLED":
            return show
        if show.status == "CLOSED":
            raise Conflict("A closed show cannot be cancelled.", field="showId")
        was_on_sale = show.status == "ON_SALE"
        show.status = "CANCELLED"
        if was_on_sale:
            uow.emit(ShowCancelled(show_id=show.id, venue_id=show.venue_id))
        await uow.commit()
    return show


# --- reads ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShowFilter:
    kind: str | None = None
    venue_id: str | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None
    text: str | None = None


def encode_cursor(show: Show) -> str:
    """An opaque cursor: the show's place in (startsAt, id) order."""
    raw = f"{show.starts_at.isoformat()}|{show.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The place a cursor names, or ``BAD_USER_INPUT``."""
    try:
        when, show_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        starts_at = datetime.fromisoformat(when)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadUserInput("This cursor is not one of ours.", field="after") from exc
    if starts_at.tzinfo is None:  # ours always carry one; a naive time can't be compared
        raise BadUserInput("This cursor is not one of ours.", field="after")
    return starts_at, show_id


async def list_shows(session: AsyncSession, flt: ShowFilter, first: int,
                     after: str | None) -> tuple[list[Show], bool]:
    """Shows on sale matching ``flt`` in (startsAt, id) order after ``after``; and whether
    more follow."""
    for name, bound in (("from", flt.starts_from), ("to", flt.starts_to)):
        if bound is not None and bound.tzinfo is None:
            raise BadUserInput(f"Give {name} with a time zone.", field=f"filter.{name}")
    query = select(Show).where(Show.status == "ON_SALE")
    if flt.kind:
        query = query.where(Show.kind == flt.kind)
    if flt.venue_id:
        query = query.where(Show.venue_id == flt.venue_id)
    if flt.starts_from:
        query = query.where(Show.starts_at >= flt.starts_from)
    if flt.starts_to:
        query = query.where(Show.starts_at < flt.starts_to)
    if flt.text and flt.text.strip():
        # Literally: a % or _ in the text is not a LIKE wildcard.
        query = query.where(func.lower(Show.title).contains(flt.text.strip().lower(),
                                                             autoescape=True))
    if after:
        when, show_id = decode_cursor(after)
        query = query.where(or_(Show.starts_at > when,
                                and_(Show.starts_at == when, Show.id > show_id)))
    rows = list(await session.scalars(query.order_by(Show.starts_at, Show.id).limit(first + 1)))
    return rows[:first], len(rows) > first


async def venues_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[Venue | None]:
    """Venues in the order of ``ids`` (``None`` where unknown), in one query."""
    return await one_each(session, Venue.id, ids)


async def shows_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[Show | None]:
    """Shows in the order of ``ids`` (``None`` where unknown), in one query."""
    return await one_each(session, Show.id, ids)


async def halls_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[Hall | None]:
    """Halls in the order of ``ids``, in one query."""
    return await one_each(session, Hall.id, ids)


async def halls_by_venue(session: AsyncSession, venue_ids: Sequence[str]) -> list[list[Hall]]:
    """Each venue's halls by name, in one query."""
    return await all_each(session, Hall.venue_id, venue_ids, Hall.name)


async def sections_by_hall(session: AsyncSession,
                           hall_ids: Sequence[str]) -> list[list[Section]]:
    """Each hall's sections in map order, in one query."""
    return await all_each(session, Section.hall_id, hall_ids, Section.position)


async def tiers_by_show(session: AsyncSession, show_ids: Sequence[str]) -> list[list[PriceTier]]:
    """Each show's price tiers, in one query."""
    return await all_each(session, PriceTier.show_id, show_ids, PriceTier.category)


async def stops_by_show(session: AsyncSession, show_ids: Sequence[str]) -> list[list[Stop]]:
    """Each show's stops in order, in one query."""
    return await all_each(session, Stop.show_id, show_ids, Stop.position)


async def seats_by_venue(session: AsyncSession, venue_ids: Sequence[str]) -> list[list[Seat]]:
    """Each venue's seats (all halls) in map order, in one query."""
    rows = (await session.execute(
        select(Hall.venue_id, Seat).join(Hall, Hall.id == Seat.hall_id)
        .where(Hall.venue_id.in_(set(venue_ids))).order_by(Hall.name, Seat.position))).all()
    grouped: dict[str, list[Seat]] = {v: [] for v in venue_ids}
    for venue_id, seat in rows:
        grouped[venue_id].append(seat)
    return [grouped[v] for v in venue_ids]


async def venues_by_owner(session: AsyncSession, owner_ids: Sequence[str]) -> list[list[Venue]]:
    """Each owner's venues, for many owners in one query."""
    return await all_each(session, Venue.owner_id, owner_ids, Venue.name, Venue.id)


async def list_venues(session: AsyncSession, limit: int) -> list[Venue]:
    """Venues by name."""
    return list(await session.scalars(select(Venue).order_by(Venue.name, Venue.id).limit(limit)))


def compact_map(hall_id: str, sections: list[dict[str, Any]],
                seats: list[dict[str, Any]]) -> dict[str, Any]:
    """A hall's whole map in a compact, columnar form a client can draw.

    Seats are parallel arrays (``id[i]``, ``label[i]``, ``x[i]``... describe seat ``i``);
    ``category`` and ``section`` hold indexes into ``categories`` and ``sections``; ``flags``
    has bit 1 for accessible and bit 2 for blocked (not for sale).
    """
    section_index = {s["id"]: i for i, s in enumerate(sections)}
    categories: dict[str, int] = {}
    columns: dict[str, list[Any]] = {k: [] for k in (
        "id", "label", "row", "x", "y", "category", "section", "flags")}
    for seat in seats:
        columns["id"].append(seat["id"])
        columns["label"].append(seat["label"])
        columns["row"].append(seat["row_label"])
        columns["x"].append(seat["x"])
        columns["y"].append(seat["y"])
        columns["category"].append(categories.setdefault(seat["category"], len(categories)))
        columns["section"].append(section_index[seat["section_id"]])
        columns["flags"].append((1 if seat["accessible"] else 0) | (2 if seat["blocked"] else 0))
    return {
        "hallId": hall_id,
        "sections": [{"id": s["id"], "key": s["key"], "name": s["name"],
                      "generalAdmission": s["capacity"] is not None, "capacity": s["capacity"],
                      "category": s["category"]} for s in sections],
        "categories": list(categories),
        "seats": columns,
    }


async def seat_map(session: AsyncSession, hall_id: str) -> dict[str, Any] | None:
    """The compact map stored with the hall (see :func:`compact_map`)."""
    stored = await session.scalar(select(Hall.seat_map).where(Hall.id == hall_id))
    return None if stored is None else orjson.loads(stored)  # type: ignore[no-any-return]
