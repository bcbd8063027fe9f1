"""Venue use cases: venues with seat maps, shows, and the events booking builds inventory from."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kernel.app import Service
from subgraphs.kernel.auth import Caller, require_owner_or_admin, require_role
from subgraphs.kernel.db import all_each, one_each
from subgraphs.kernel.errors import BadUserInput, NotFound
from subgraphs.kernel.idempotency import clean_key, create_once
from subgraphs.kernel.uow import UnitOfWork
from subgraphs.venue.models import Seat, Show, Venue

MAX_SEATS = 100_000
MAX_ROW = 1_000
CURRENCY = re.compile(r"^[A-Z]{3}$")
SEAT_PITCH = 10  # drawing units between neighbouring seats and rows


@dataclass(frozen=True)
class RowSpec:
    label: str
    seats: int
    category: str = "STANDARD"


@dataclass(frozen=True)
class ShowSpec:
    venue_id: str
    title: str
    starts_at: datetime
    ends_at: datetime | None
    price_amount: int
    currency: str


def validate_rows(name: str, rows: Sequence[RowSpec]) -> None:
    """Raise ``BAD_USER_INPUT`` naming the exact path of the first bad value."""
    if not name.strip() or len(name) > 200:
        raise BadUserInput("Enter a venue name of 1 to 200 characters.", field="input.name")
    if not rows:
        raise BadUserInput("A venue needs at least one row.", field="input.rows")
    seen: set[str] = set()
    total = 0
    for i, row in enumerate(rows):
        label = row.label.strip()
        if not label or len(label) > 20:
            raise BadUserInput("Enter a row label of 1 to 20 characters.",
                               field=f"input.rows[{i}].label")
        if label in seen:
            raise BadUserInput(f"Row {label} appears twice.", field=f"input.rows[{i}].label")
        seen.add(label)
        if not 1 <= row.seats <= MAX_ROW:
            raise BadUserInput(f"A row has 1 to {MAX_ROW} seats.", field=f"input.rows[{i}].seats")
        if not row.category.strip():
            raise BadUserInput("Enter a category.", field=f"input.rows[{i}].category")
        total += row.seats
    if total > MAX_SEATS:
        raise BadUserInput(f"A venue has at most {MAX_SEATS} seats.", field="input.rows")


async def _load(service: Service, model: type[Venue] | type[Show], id: str) -> Any:
    async with service.db.session() as session:
        return await session.get(model, id)


async def create_venue(service: Service, caller: Caller | None, name: str,
                       rows: Sequence[RowSpec], idempotency_key: str | None = None) -> Venue:
    """A venue owned by the calling organizer, with one seat per position of each row."""
    who = require_role(caller, "ORGANIZER")
    validate_rows(name, rows)

    async def create(uow: UnitOfWork) -> tuple[Venue, str]:
        venue = Venue(owner_id=who.user_id, name=name.strip())
        uow.session.add(venue)
        await uow.session.flush()
        uow.session.add_all(
            Seat(venue_id=venue.id, row_label=row.label.strip(), number=n,
                 label=f"{row.label.strip()}{n}", x=n * SEAT_PITCH, y=(r + 1) * SEAT_PITCH,
                 category=row.category.strip().upper())
            for r, row in enumerate(rows)
            for n in range(1, row.seats + 1)
        )
        return venue, venue.id

    return await create_once(
        service, service.idempotency, user_id=who.user_id, key=clean_key(idempotency_key),
        operation="createVenue", request={"name": name, "rows": [asdict(r) for r in rows]},
        create=create, load=lambda id: _load(service, Venue, id))


def validate_show(spec: ShowSpec) -> datetime:
    """Check a show's fields; returns its end (default: two hours after the start)."""
    if not spec.title.strip() or len(spec.title) > 200:
        raise BadUserInput("Enter a title of 1 to 200 characters.", field="input.title")
    if spec.starts_at.tzinfo is None:
        raise BadUserInput("Give startsAt with a time zone.", field="input.startsAt")
    ends_at = spec.ends_at or spec.starts_at + timedelta(hours=2)
    if ends_at.tzinfo is None or ends_at <= spec.starts_at:
        raise BadUserInput("endsAt must be after startsAt.", field="input.endsAt")
    if spec.price_amount < 0:
        raise BadUserInput("A price cannot be negative.", field="input.price.amount")
    if not CURRENCY.match(spec.currency):
        raise BadUserInput("Use an ISO 4217 code such as EUR.", field="input.price.currency")
    return ends_at


async def create_show(service: Service, caller: Caller | None, spec: ShowSpec,
                      idempotency_key: str | None = None) -> Show:
    """Put a show on sale in the caller's venue and tell booking to build its inventory."""
    who = require_role(caller, "ORGANIZER")
    ends_at = validate_show(spec)

    async def create(uow: UnitOfWork) -> tuple[Show, str]:
        venue = await uow.session.get(Venue, spec.venue_id)
        if venue is None:
            raise NotFound("No venue with this id.", field="input.venueId")
        require_owner_or_admin(who, venue.owner_id)
        show = Show(venue_id=venue.id, title=spec.title.strip(), starts_at=spec.starts_at,
                    ends_at=ends_at, status="ON_SALE", price_amount=spec.price_amount,
                    currency=spec.currency)
        uow.session.add(show)
        await uow.session.flush()
        seats = (await uow.session.scalars(
            select(Seat).where(Seat.venue_id == venue.id).order_by(Seat.y, Seat.x))).all()
        uow.emit("ShowPublished", {
            "show_id": show.id,
            "venue_id": venue.id,
            "organizer_id": venue.owner_id,
            "title": show.title,
            "starts_at": show.starts_at.isoformat(),
            "ends_at": show.ends_at.isoformat(),
            "price": {"amount": show.price_amount, "currency": show.currency},
            "seats": [{"id": s.id, "label": s.label, "category": s.category} for s in seats],
        })
        return show, show.id

    return await create_once(
        service, service.idempotency, user_id=who.user_id, key=clean_key(idempotency_key),
        operation="createShow", request=asdict(spec), create=create,
        load=lambda id: _load(service, Show, id))


async def list_shows(session: AsyncSession, limit: int) -> list[Show]:
    """Shows on sale, soonest first."""
    rows = await session.scalars(
        select(Show).where(Show.status == "ON_SALE").order_by(Show.starts_at, Show.id).limit(limit)
    )
    return list(rows)


async def venues_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[Venue | None]:
    """Venues in the order of ``ids`` (``None`` where unknown), in one query."""
    return await one_each(session, Venue.id, ids)


async def shows_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[Show | None]:
    """Shows in the order of ``ids`` (``None`` where unknown), in one query."""
    return await one_each(session, Show.id, ids)


async def seats_by_venue(session: AsyncSession, venue_ids: Sequence[str]) -> list[list[Seat]]:
    """Each venue's seats in drawing order, for many venues in one query."""
    return await all_each(session, Seat.venue_id, venue_ids, Seat.y, Seat.x)


async def venues_by_owner(session: AsyncSession, owner_ids: Sequence[str]) -> list[list[Venue]]:
    """Each owner's venues, for many owners in one query."""
    return await all_each(session, Venue.owner_id, owner_ids, Venue.name, Venue.id)


async def list_venues(session: AsyncSession, limit: int) -> list[Venue]:
    """Venues by name."""
    return list(await session.scalars(select(Venue).order_by(Venue.name, Venue.id).limit(limit)))
