"""Venue's venues and halls: creating a venue (with the one-hall shortcut of rows),
correcting its time zone, importing a seat map as a hall, and the compact map stored with it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import orjson
from sqlalchemy import insert, select

from subgraphs.kernel.auth import Caller, require_role
from subgraphs.kernel.db import new_id
from subgraphs.kernel.errors import BadUserInput, Conflict, NotFound
from subgraphs.kernel.events import VenueTimeZoneChanged
from subgraphs.kernel.idempotency import clean_key, create_once
from subgraphs.kernel.l10n import check_time_zone
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork
from subgraphs.venue import seatmap
from subgraphs.venue.models import Hall, Seat, Section, Venue
from subgraphs.venue.teams import require_manager

SEAT_PITCH = 10  # drawing units between neighbouring seats and rows
CHUNK = 5_000


@dataclass(frozen=True)
class RowInput:
    """A row of ``seats`` seats for the one-hall shortcut of ``createVenue``."""

    label: str
    seats: int
    category: str = "STANDARD"




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
        await require_manager(uow.session, who, venue)
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
        await require_manager(uow.session, who, venue)
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
