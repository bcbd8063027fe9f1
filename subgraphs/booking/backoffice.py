"""The organizer's back office: searching the bookings of one's shows
(``Query.organizerBookings``) and one booking's history (``Booking.history``).

**Search.** Organizers see the bookings of their own shows (booking's show replica carries
``organizer_id``), admins everyone's. Bookings come newest first by ``(created_at, id)``;
the cursor is that pair, opaque (URL-safe base64 of JSON), and a page continues strictly
after it (keyset), so bookings made while someone pages arrive before the first page and
never shift later pages: nothing is listed twice, nothing is skipped. ``first`` is 1 to
:data:`MAX_FIRST`. Filters: show, venue, status, customer (a user id: booking does not
know e-mail addresses, auth does), order time (``createdFrom`` inclusive, ``createdTo``
exclusive) and an exact seat label. Indexes (migration 0010): ``ix_bookings_created_id``
(everyone's, for admins), ``ix_shows_organizer`` and ``ix_shows_venue`` (which shows),
``ix_bookings_show_created`` (one show), ``ix_bookings_user_id`` (one customer),
``ix_booking_lines_label`` (a seat); status is checked along the way.

**History.** Built from rows that exist anyway: the hold's ``created_at`` (HELD), the
booking's (CHECKED_OUT), ``booking_refunds`` (REFUNDED, one per refund), ``check_ins``
(CHECKED_IN, one per ticket), plus ``booking_history``, an append-only table written in
the transaction that confirms, cancels or expires the booking (:func:`record`), since
``bookings`` keeps only the time of its last change. The booking's owner, its show's
organizer and admins may read it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import and_, delete, exists, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.booking.models import (
    BookableShow,
    Booking,
    BookingHistoryEntry,
    BookingLine,
    BookingStatus,
    CheckIn,
    Hold,
    RefundRecord,
    TeamMemberReplica,
)
from subgraphs.kernel import events
from subgraphs.kernel.auth import Caller, require_caller
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.errors import BadUserInput, Forbidden
from subgraphs.kernel.events import Event
from subgraphs.kernel.inputs import could_be_id
from subgraphs.kernel.uow import UnitOfWork

MAX_FIRST: Final = 100
STATUSES: Final = (BookingStatus.PENDING_PAYMENT, BookingStatus.CONFIRMED,
                   BookingStatus.EXPIRED, BookingStatus.CANCELLED)


class Kind:
    """``BookingEvent.kind``, in the order events of one instant are listed."""

    HELD: Final = "HELD"
    CHECKED_OUT: Final = "CHECKED_OUT"
    CONFIRMED: Final = "CONFIRMED"
    REFUNDED: Final = "REFUNDED"
    CANCELLED: Final = "CANCELLED"
    EXPIRED: Final = "EXPIRED"
    CHECKED_IN: Final = "CHECKED_IN"
    ORDER: Final = (HELD, CHECKED_OUT, CONFIRMED, REFUNDED, CANCELLED, EXPIRED, CHECKED_IN)


# --- venue teams ---------------------------------------------------------------------------

MANAGER: Final = "MANAGER"


async def apply_team_event(uow: UnitOfWork, event: Event) -> None:
    """Venue's team changes: keep the replica (replays change nothing)."""
    session = uow.session
    if event.type == events.TeamMemberAdded.type_name():
        added = events.TeamMemberAdded.read(event)
        dialect = session.get_bind().dialect.name
        stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
            TeamMemberReplica).values(venue_id=added.venue_id, user_id=added.user_id,
                                      role=added.role)
        await session.execute(stmt.on_conflict_do_update(
            index_elements=["venue_id", "user_id"], set_={"role": stmt.excluded.role}))
    elif event.type == events.TeamMemberRemoved.type_name():
        removed = events.TeamMemberRemoved.read(event)
        await session.execute(
            delete(TeamMemberReplica).where(TeamMemberReplica.venue_id == removed.venue_id,
                                            TeamMemberReplica.user_id == removed.user_id)
            .execution_options(synchronize_session=False))


async def team_role(session: AsyncSession, user_id: str, venue_id: str) -> str | None:
    """The user's role on the venue's team, as booking heard it (``None``: not on it)."""
    return await session.scalar(select(TeamMemberReplica.role).where(
        TeamMemberReplica.venue_id == venue_id, TeamMemberReplica.user_id == user_id))


async def on_a_team(session: AsyncSession, user_id: str) -> bool:
    return bool(await session.scalar(select(exists().where(
        TeamMemberReplica.user_id == user_id))))


# --- history -------------------------------------------------------------------------------


def record(uow: UnitOfWork, booking: Booking, kind: str) -> None:
    """Note in the unit of work that ``booking`` was confirmed, cancelled or expired now."""
    uow.session.add(BookingHistoryEntry(booking_id=booking.id, kind=kind, at=utcnow()))


@dataclass(frozen=True)
class HistoryEvent:
    kind: str
    at: datetime
    amount: int | None = None  # CONFIRMED: what was paid; REFUNDED: what was given back
    ticket_id: str | None = None  # CHECKED_IN
    seat: str | None = None
    gate: str | None = None


def may_read_history(caller: Caller | None, owner_id: str, organizer_id: str | None,
                     team_member: bool = False) -> Caller:
    """The booking's owner, its show's organizer, its venue's team (MANAGER, BOX_OFFICE),
    admins; ``FORBIDDEN`` for others."""
    who = require_caller(caller)
    if who.is_admin or who.user_id in (owner_id, organizer_id) or team_member:
        return who
    raise Forbidden("This booking's history is its customer's, its organizer's and admins'.")


async def histories(session: AsyncSession,
                    bookings: Sequence[Booking]) -> list[list[HistoryEvent]]:
    """Each booking's timeline, oldest first, for many bookings in four queries."""
    ids = [b.id for b in bookings]
    found: dict[str, list[HistoryEvent]] = {b.id: [] for b in bookings}
    holds = {hold_id: at for hold_id, at in await session.execute(
        select(Hold.id, Hold.created_at).where(Hold.id.in_({b.hold_id for b in bookings})))}
    for b in bookings:
        if b.hold_id in holds:
            found[b.id].append(HistoryEvent(Kind.HELD, holds[b.hold_id]))
        found[b.id].append(HistoryEvent(Kind.CHECKED_OUT, b.created_at))
    totals = {b.id: b.total_amount for b in bookings}
    for e in await session.scalars(select(BookingHistoryEntry)
                                   .where(BookingHistoryEntry.booking_id.in_(ids))):
        found[e.booking_id].append(HistoryEvent(
            e.kind, e.at, amount=totals[e.booking_id] if e.kind == Kind.CONFIRMED else None))
    for r in await session.scalars(select(RefundRecord)
                                   .where(RefundRecord.booking_id.in_(ids))):
        found[r.booking_id].append(HistoryEvent(Kind.REFUNDED, r.refunded_at, amount=r.amount))
    for c in await session.scalars(select(CheckIn).where(CheckIn.booking_id.in_(ids))):
        found[c.booking_id].append(HistoryEvent(Kind.CHECKED_IN, c.at, ticket_id=c.ticket_id,
                                                seat=c.seat, gate=c.gate))
    rank = {k: n for n, k in enumerate(Kind.ORDER)}
    return [sorted(found[i], key=lambda e: (e.at, rank.get(e.kind, len(rank)),
                                            e.ticket_id or ""))
            for i in ids]


# --- search --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    """``BookingSearch``: every field optional; all given ones must match."""

    show_id: str | None = None
    venue_id: str | None = None
    status: str | None = None
    customer_id: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    seat: str | None = None


@dataclass(frozen=True)
class Page:
    bookings: list[Booking]
    cursors: list[str]
    has_next_page: bool

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None


def encode_cursor(key: Sequence[object]) -> str:
    """An opaque keyset cursor: the sort key of the last row given out, URL-safe base64 of
    JSON. The lists of :mod:`.checkins` use it too."""
    raw = json.dumps(list(key)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[object]:
    """The sort key in ``cursor`` (a JSON list of ``size`` items): ``BAD_USER_INPUT`` on
    ``after`` for anything :func:`encode_cursor` did not make."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as error:
        raise BadUserInput("This is not a cursor this list gave out.", field="after") from error
    if not isinstance(key, list) or len(key) != size:
        raise BadUserInput("This is not a cursor this list gave out.", field="after")
    return key


def cursor_of(booking: Booking) -> str:
    return encode_cursor([booking.created_at.isoformat(), booking.id])


def cursor_time(value: object) -> datetime:
    """A cursor's time part (ISO 8601 with its offset): ``BAD_USER_INPUT`` for anything else."""
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError as error:
        raise BadUserInput("This is not a cursor this list gave out.", field="after") from error
    if when is None or when.tzinfo is None:
        raise BadUserInput("This is not a cursor this list gave out.", field="after")
    return when


def _decode(cursor: str) -> tuple[datetime, str]:
    at, booking_id = decode_cursor(cursor, 2)
    when = cursor_time(at)
    if not isinstance(booking_id, str) or not could_be_id(booking_id):
        raise BadUserInput("This is not a cursor this list gave out.", field="after")
    return when, booking_id


def _check(search: Search, first: int) -> None:
    if not 1 <= first <= MAX_FIRST:
        raise BadUserInput(f"first must be 1 to {MAX_FIRST}.", field="first")
    for name, value in (("showId", search.show_id), ("venueId", search.venue_id),
                        ("customerId", search.customer_id)):
        if value is not None and not could_be_id(value):
            raise BadUserInput("This is not an id.", field=f"filter.{name}")
    if search.status is not None and search.status not in STATUSES:
        raise BadUserInput("No such booking status.", field="filter.status")
    for name, when in (("createdFrom", search.created_from), ("createdTo", search.created_to)):
        if when is not None and when.tzinfo is None:
            raise BadUserInput("Give the time with its offset.", field=f"filter.{name}")
    if (search.created_from is not None and search.created_to is not None
            and search.created_from >= search.created_to):
        raise BadUserInput("createdFrom must be before createdTo.", field="filter.createdTo")
    if search.seat is not None and not search.seat.strip():
        raise BadUserInput("Name a seat label.", field="filter.seat")


async def organizer_bookings(session: AsyncSession, caller: Caller | None, search: Search,
                             first: int, after: str | None) -> Page:
    """A page of the bookings an organizer (their shows') or admin (all) may see."""
    who = require_caller(caller)
    if not who.has_role("ORGANIZER") and not await on_a_team(session, who.user_id):
        raise Forbidden("This needs an organizer, a venue's manager or box office, or an "
                        "admin.")
    _check(search, first)
    query = select(Booking)
    if not who.is_admin:
        # Their own shows, and the shows of venues whose team they are on.
        teams = select(TeamMemberReplica.venue_id).where(
            TeamMemberReplica.user_id == who.user_id)
        query = query.where(Booking.show_id.in_(
            select(BookableShow.id).where(or_(BookableShow.organizer_id == who.user_id,
                                              BookableShow.venue_id.in_(teams)))))
    if search.venue_id is not None:
        query = query.where(Booking.show_id.in_(
            select(BookableShow.id).where(BookableShow.venue_id == search.venue_id)))
    if search.show_id is not None:
        query = query.where(Booking.show_id == search.show_id)
    if search.status is not None:
        query = query.where(Booking.status == search.status)
    if search.customer_id is not None:
        query = query.where(Booking.user_id == search.customer_id)
    if search.created_from is not None:
        query = query.where(Booking.created_at >= search.created_from)
    if search.created_to is not None:
        query = query.where(Booking.created_at < search.created_to)
    if search.seat is not None:
        query = query.where(exists().where(BookingLine.booking_id == Booking.id,
                                           BookingLine.label == search.seat))
    if after is not None:
        at, booking_id = _decode(after)
        query = query.where(or_(Booking.created_at < at,
                                and_(Booking.created_at == at, Booking.id < booking_id)))
    rows = list(await session.scalars(
        query.order_by(Booking.created_at.desc(), Booking.id.desc()).limit(first + 1)))
    page = rows[:first]
    return Page(page, [cursor_of(b) for b in page], len(rows) > first)
