"""What the integration tests share: reading answers, reading databases, own deployments."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import DeclarativeBase

from subgraphs.booking.models import BookableShow, Booking, Hold, HoldAdmission, ShowSeat
from subgraphs.kernel.db import Database, utcnow
from subgraphs.kernel.service import Service
from subgraphs.kernel.settings import SERVICES, Settings
from tests.flows import PASSWORD, Actors, User, new_user
from tests.harness import Stack, in_process_stack

REGISTER = """mutation($i: RegisterInput!) { register(input: $i) {
  accessToken user { id email name role } } }"""
ME = "{ me { id name role email } }"
HOLD_IDS = """mutation($show: ID!, $seats: [ID!]!) { holdSeats(showId: $show, seatIds: $seats) {
  __typename ... on SeatHold { id seatIds } ... on SeatsUnavailable { code seatIds } } }"""


def refusal(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """``(extensions.code, extensions.field)`` of a response's one and only error."""
    errors = body.get("errors") or []
    assert len(errors) == 1, body
    extensions = errors[0].get("extensions") or {}
    return extensions.get("code"), extensions.get("field")


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    """The one error of a response."""
    errors = body.get("errors") or []
    assert len(errors) == 1, body
    return errors[0]  # type: ignore[no-any-return]


def unique_email(stem: str = "user") -> str:
    """An email address no other test uses."""
    return f"{stem}-{uuid.uuid4().hex[:10]}@example.com"


Countable = type[DeclarativeBase] | Table


async def count(db: Database, target: Countable, *where: Any) -> int:
    """How many rows of a model or table match ``where``."""
    query = select(func.count()).select_from(
        target if isinstance(target, Table) else target.__table__  # type: ignore[arg-type]
    )
    async with db.reader() as session:
        return int(await session.scalar(query.where(*where)) or 0)


async def counts(db: Database, *targets: Countable) -> dict[str, int]:
    """Row counts of several tables, to compare before and after a refused request."""
    return {
        (t.name if isinstance(t, Table) else t.__tablename__): await count(db, t)  # type: ignore[attr-defined]
        for t in targets
    }


async def seat_rows(db: Database, show_id: str) -> dict[str, tuple[str, str | None]]:
    """``seat_id -> (state, hold_id)`` for every seat of a show, as stored."""
    async with db.reader() as session:
        rows = await session.execute(
            select(ShowSeat.seat_id, ShowSeat.state, ShowSeat.hold_id)
            .where(ShowSeat.show_id == show_id))
        return {seat: (state, hold) for seat, state, hold in rows}


async def show_version(db: Database, show_id: str) -> int:
    """A show's stored version (the show must be stored: a missing one fails, it does not
    read as 0, so "the version did not move" cannot pass on a show that is not there)."""
    async with db.reader() as session:
        found = await session.scalar(select(BookableShow.version)
                                     .where(BookableShow.id == show_id))
    assert found is not None, show_id
    return int(found)


async def stored_lines(db: Database, show_id: str) -> dict[str, tuple[int, str, str]]:
    """hold id -> (quantity, status, user id) of every standing hold line of a show."""
    async with db.reader() as session:
        rows = (await session.execute(
            select(HoldAdmission.hold_id, HoldAdmission.quantity, Hold.status, Hold.user_id)
            .join(Hold, Hold.id == HoldAdmission.hold_id)
            .where(HoldAdmission.show_id == show_id))).all()
    return {h: (q, status, user) for h, q, status, user in rows}


async def hold_status(db: Database, hold_id: str) -> str | None:
    """A hold's stored status."""
    async with db.reader() as session:
        return await session.scalar(select(Hold.status).where(Hold.id == hold_id))


async def lapse_hold(db: Database, hold_id: str) -> datetime:
    """Make a hold lapse now, in booking's database: its expiry, and its seats', move one
    second into the past (what a hold's time running out does, without waiting for it: a
    test never races a short hold time on a loaded machine). The new expiry."""
    past = utcnow() - timedelta(seconds=1)
    async with db.writer() as session:
        await session.execute(update(Hold).where(Hold.id == hold_id).values(expires_at=past))
        await session.execute(update(ShowSeat).where(ShowSeat.hold_id == hold_id)
                              .values(hold_expires_at=past))
        await session.commit()
    return past


async def lapse_booking(db: Database, booking_id: str) -> datetime:
    """Make a pending booking's hold lapse now (``lapse_hold``). The new expiry."""
    async with db.reader() as session:
        hold_id = await session.scalar(select(Booking.hold_id).where(Booking.id == booking_id))
    assert hold_id is not None, booking_id
    return await lapse_hold(db, hold_id)


def own_databases(stack: Stack) -> dict[str, Database]:
    """The databases of an in-process stack's services, to check what was stored: the
    services' own handles (PostgreSQL's hundred connections are shared by every
    deployment of the run)."""
    return {name: service.db for name, service in stack.services.items()}


@contextlib.asynccontextmanager
async def databases(settings: Settings) -> AsyncIterator[dict[str, Database]]:
    """Our own connections to every subgraph's database, to check what other processes
    stored."""
    # One connection each: the checks read one thing at a time.
    dbs = {name: Database(settings.database_url(name), pool_size=1)
           for name in SERVICES}
    try:
        yield dbs
    finally:
        for db in dbs.values():
            await db.dispose()


@dataclass
class Deployment:
    """An in-process stack whose services the test can reach directly."""

    stack: Stack
    services: dict[str, Service]
    dbs: dict[str, Database]
    actors: Actors

    @property
    def settings(self) -> Settings:
        return self.stack.settings


@contextlib.asynccontextmanager
async def deployment(env: dict[str, str]) -> AsyncIterator[Deployment]:
    """An in-process stack with its services, databases and signed-in users at hand."""
    async with in_process_stack(env) as stack:
        auth = stack.url("auth")
        actors = Actors(*[await new_user(stack, auth, role) for role in
                          ("CUSTOMER", "CUSTOMER", "ORGANIZER", "ORGANIZER", "ADMIN")])
        yield Deployment(stack, stack.services, own_databases(stack), actors)


async def customer(stack: Stack) -> User:
    """A newly registered customer of ``stack``, signed in."""
    email = unique_email("crowd")
    body = await stack.client("auth").data(
        REGISTER, {"i": {"email": email, "password": PASSWORD, "name": "Crowd"}})
    return User(body["register"]["user"]["id"], email, body["register"]["accessToken"])
