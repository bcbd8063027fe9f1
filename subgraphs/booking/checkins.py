"""Check-in at the door: door staff (a replica of venue's grants), scanning a ticket
(``checkIn``), a show's check-in list for gate devices that work offline, the scans those
devices upload later (``uploadCheckIns``), and the counters ``Show.checkIn`` reads.

A ticket is let in once. ``check_ins`` has one row per ticket (its ``tid``), and the first
insert wins: ``INSERT … ON CONFLICT DO NOTHING``, so of two gates scanning one ticket at
the same moment the database lets exactly one in, and the other reads the winner's row.
Offline scans uploaded later follow one rule: the earliest scan wins (ties: the one that
arrived first), so an uploaded scan earlier than the stored one takes the row over with a
conditional ``UPDATE … WHERE at > :at``.

Who may check in for a show: door staff of its venue, its organizer, admins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Select, and_, delete, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from subgraphs.booking import backoffice
from subgraphs.booking.models import (
    BookableShow,
    Booking,
    BookingAdmission,
    BookingLine,
    BookingStatus,
    CheckIn,
    CheckInCount,
    DoorStaff,
    Hold,
)
from subgraphs.booking.ticket_keys import BadTicket, KeysUnavailable, TicketKeys
from subgraphs.kernel import events
from subgraphs.kernel.auth import Caller, require_caller
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.errors import (
    BadUserInput,
    ErrorCode,
    Forbidden,
    NotFound,
    TicketFlowError,
)
from subgraphs.kernel.events import Event
from subgraphs.kernel.inputs import could_be_id
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork

MAX_GATE = 64
MAX_UPLOAD: Final = 1000  # scans per uploadCheckIns
# A gate's clock may run a little ahead of ours; a scan further in the future is refused.
CLOCK_SKEW = timedelta(minutes=5)


class Refusal:
    """``TicketRefused.code``: why a ticket is not let in."""

    BAD_SIGNATURE: Final = "BAD_SIGNATURE"
    UNKNOWN_TICKET: Final = "UNKNOWN_TICKET"
    WRONG_SHOW: Final = "WRONG_SHOW"
    NOT_CONFIRMED: Final = "NOT_CONFIRMED"
    WRONG_STOP: Final = "WRONG_STOP"


class TicketKeysUnavailable(TicketFlowError):
    """Notification's ticket keys cannot be read now: try again shortly."""

    code = ErrorCode.SUBGRAPH_UNAVAILABLE


# --- outcomes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedIn:
    ticket_id: str
    seat: str
    at: datetime
    gate: str


@dataclass(frozen=True)
class AlreadyCheckedIn:
    ticket_id: str
    at: datetime
    gate: str


@dataclass(frozen=True)
class TicketRefused:
    code: str
    reason: str


@dataclass(frozen=True)
class Scan:
    """One scan a gate made offline."""

    ticket_id: str
    at: datetime
    gate: str


@dataclass(frozen=True)
class ScanConflict:
    """One ticket scanned at two gates: the scan that counts and the one that does not."""

    ticket_id: str
    winner: Scan
    loser: Scan


@dataclass(frozen=True)
class RefusedScan:
    ticket_id: str
    code: str
    reason: str


@dataclass
class Upload:
    """What ``uploadCheckIns`` made of a list of scans."""

    recorded: int = 0  # tickets let in by this upload
    unchanged: int = 0  # scans that were stored already, exactly so
    conflicts: list[ScanConflict] = field(default_factory=list)
    refused: list[RefusedScan] = field(default_factory=list)


@dataclass(frozen=True)
class ExpectedTicket:
    """A ticket of a confirmed booking of the show (``ticket_id`` is the token's ``tid``)."""

    ticket_id: str
    seat: str
    booking_id: str
    holder_id: str


@dataclass(frozen=True)
class Counts:
    expected: int
    admitted: int


# --- door staff ----------------------------------------------------------------------------


async def apply_staff_event(uow: UnitOfWork, event: Event) -> None:
    """Venue's grants: keep the replica of who is door staff where (replays change nothing)."""
    # Statements, not ORM objects: a batch of events (grant, revoke, grant again) is applied
    # in one transaction, in order.
    session = uow.session
    if event.type == events.VenueStaffGranted.type_name():
        granted = events.VenueStaffGranted.read(event)
        dialect = session.get_bind().dialect.name
        stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(DoorStaff)
        await session.execute(stmt.values(venue_id=granted.venue_id, user_id=granted.user_id)
                              .on_conflict_do_nothing())
    elif event.type == events.VenueStaffRevoked.type_name():
        revoked = events.VenueStaffRevoked.read(event)
        await session.execute(delete(DoorStaff).where(DoorStaff.venue_id == revoked.venue_id,
                                                      DoorStaff.user_id == revoked.user_id)
                              .execution_options(synchronize_session=False))


async def _scans_somewhere(session: AsyncSession, who: Caller) -> bool:
    """Whether the caller may check tickets in for any show at all."""
    if who.has_role("ORGANIZER"):  # admins hold every role
        return True
    if await session.scalar(select(exists().where(DoorStaff.user_id == who.user_id))):
        return True
    return await backoffice.on_a_team(session, who.user_id)


async def may_check_in(session: AsyncSession, who: Caller, show: BookableShow) -> bool:
    """Door staff of the show's venue, its team (MANAGER, BOX_OFFICE), its organizer,
    admins."""
    if who.is_admin or who.user_id == show.organizer_id:
        return True
    if await session.get(DoorStaff, (show.venue_id, who.user_id)) is not None:
        return True
    return await backoffice.team_role(session, who.user_id, show.venue_id) is not None


async def require_door(session: AsyncSession, caller: Caller | None,
                       show: BookableShow) -> Caller:
    """The caller if they may check tickets in for ``show``: ``FORBIDDEN`` otherwise."""
    who = require_caller(caller)
    if not await may_check_in(session, who, show):
        raise Forbidden("This needs door staff of the show's venue, its organizer or an admin.")
    return who


# --- counters ------------------------------------------------------------------------------


async def move_counts(session: AsyncSession, show_id: str, *, expected: int = 0,
                      admitted: int = 0) -> int:
    """Move a show's check-in counters (one upsert: the row is made on first use) and its
    ``seq`` by one, which this returns. Call it once a transaction changed what a gate must
    know (a booking confirmed or cancelled, scans recorded), as its last statements: the
    row stays locked until the commit, so a transaction committing later gets a larger
    ``seq`` and a device that read ``seq`` n has seen every change numbered n or less."""
    dialect = session.get_bind().dialect.name
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
        CheckInCount).values(show_id=show_id, expected=expected, admitted=admitted, seq=1)
    seq = await session.scalar(stmt.on_conflict_do_update(
        index_elements=[CheckInCount.show_id],
        set_={"expected": CheckInCount.expected + stmt.excluded.expected,
              "admitted": CheckInCount.admitted + stmt.excluded.admitted,
              "seq": CheckInCount.seq + 1}).returning(CheckInCount.seq))
    return int(seq or 0)  # never null: the upsert always returns its row


async def _number_scans(session: AsyncSession, show_id: str, ticket_ids: Sequence[str],
                        admitted: int) -> None:
    """Number the scans this transaction wrote with the show's next ``seq``."""
    if not ticket_ids:
        return
    seq = await move_counts(session, show_id, admitted=admitted)
    await session.execute(update(CheckIn).where(CheckIn.ticket_id.in_(ticket_ids))
                          .values(seq=seq).execution_options(synchronize_session=False))


def move_counts_at_commit(uow: UnitOfWork, show_id: str, *, expected: int,
                          booking_id: str) -> None:
    """Move the show's ``expected`` counter right before ``uow`` commits (its row lock is
    then held for the commit alone, not for the rest of a confirmation), and number the
    booking's confirmation or cancellation with the show's next ``seq``
    (``Show.checkInList.ticketChanges``)."""
    async def move(u: UnitOfWork) -> None:
        seq = await move_counts(u.session, show_id, expected=expected)
        await u.session.execute(update(Booking).where(Booking.id == booking_id)
                                .values(door_seq=seq)
                                .execution_options(synchronize_session=False))

    uow.before_commit(move)


async def counts_by_show(session: AsyncSession, show_ids: Sequence[str]) -> list[Counts]:
    """Each show's counters (zeros for a show nobody bought or scanned yet)."""
    rows = {r.show_id: r for r in await session.scalars(
        select(CheckInCount).where(CheckInCount.show_id.in_(set(show_ids))))}
    return [Counts(rows[s].expected, rows[s].admitted) if s in rows else Counts(0, 0)
            for s in show_ids]


# --- tickets -------------------------------------------------------------------------------


async def _label(session: AsyncSession, booking: Booking, ticket_id: str) -> str | None:
    """The label of the ticket ``ticket_id`` of ``booking`` (``None``: it has no such one).
    A seat's tid is ``<booking>:<seat>``, a standing place's ``<booking>:<section>:<n>``."""
    prefix = f"{booking.id}:"
    if not ticket_id.startswith(prefix):
        return None
    entry = ticket_id[len(prefix):]
    if ":" not in entry:
        line = await session.get(BookingLine, (booking.id, entry))
        return None if line is None else line.label
    section, _, number = entry.partition(":")
    if not number.isdigit():
        return None
    place = await session.get(BookingAdmission, (booking.id, section))
    n = int(number)
    if place is None or number != str(n) or not 1 <= n <= place.quantity:
        return None
    return f"{place.name} #{n}"


def expected_tickets(booking: Booking, lines: Sequence[BookingLine],
                     places: Sequence[BookingAdmission]) -> list[ExpectedTicket]:
    """A confirmed booking's tickets, as notification signs them (same ids and labels)."""
    out = [ExpectedTicket(f"{booking.id}:{line.seat_id}", line.label, booking.id,
                          booking.user_id) for line in sorted(lines, key=lambda x: x.label)]
    for place in sorted(places, key=lambda p: p.name):
        out += [ExpectedTicket(f"{booking.id}:{place.section_id}:{n}", f"{place.name} #{n}",
                               booking.id, booking.user_id)
                for n in range(1, place.quantity + 1)]
    return out


def _clean_gate(gate: str, where: str) -> str:
    clean = gate.strip()
    if not clean or len(clean) > MAX_GATE:
        raise BadUserInput(f"Name the gate in 1 to {MAX_GATE} characters.", field=where)
    return clean


def _ticket_keys(service: Service) -> TicketKeys:
    return service.once("ticket_keys",
                        lambda: TicketKeys(service.settings.effective_ticket_keys_url))


async def ticket_keys_document(service: Service) -> dict[str, Any]:
    """Notification's ticket keys as a JWKS document, for gate devices that work offline."""
    try:
        return await _ticket_keys(service).document()
    except KeysUnavailable as exc:
        raise TicketKeysUnavailable("The ticket keys cannot be read now; try again shortly.",
                                    serviceName="notification", retryable=True) from exc


@dataclass(frozen=True)
class _Valid:
    booking: Booking
    label: str


async def _check_ticket(session: AsyncSession, show: BookableShow, ticket_id: str,
                        booking_id: str) -> _Valid | TicketRefused:
    """Whether ``ticket_id`` is a ticket of a confirmed booking of ``show``."""
    booking = await session.get(Booking, booking_id) if could_be_id(booking_id) else None
    if booking is None:
        return TicketRefused(Refusal.UNKNOWN_TICKET, "TicketFlow sold no such ticket.")
    if booking.show_id != show.id:
        return TicketRefused(Refusal.WRONG_SHOW, "This ticket is for another show.")
    label = await _label(session, booking, ticket_id)
    if label is None:
        return TicketRefused(Refusal.UNKNOWN_TICKET, "TicketFlow sold no such ticket.")
    if booking.status != BookingStatus.CONFIRMED:
        return TicketRefused(Refusal.NOT_CONFIRMED,
                             f"This ticket's booking is {booking.status.lower()}, "
                             "not confirmed: it lets nobody in.")
    return _Valid(booking, label)


def _first_scan(dialect: str, row: dict[str, Any]) -> Any:
    """``INSERT`` the ticket's scan unless it has one: returns the ticket id if it did."""
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CheckIn)
    return (stmt.values(**row).on_conflict_do_nothing(index_elements=[CheckIn.ticket_id])
            .returning(CheckIn.ticket_id))


async def _stored(session: AsyncSession, ticket_id: str) -> Scan:
    found = (await session.execute(select(CheckIn.at, CheckIn.gate)
                                   .where(CheckIn.ticket_id == ticket_id))).one()
    return Scan(ticket_id, found.at, found.gate)


# --- checkIn -------------------------------------------------------------------------------


async def check_in(service: Service, caller: Caller | None, token: str, gate: str,
                   stop: int | None) -> CheckedIn | AlreadyCheckedIn | TicketRefused:
    """Let the ticket ``token`` in at ``gate`` once (a journey's ticket: at ``stop``, its
    boarding stop, when given)."""
    who = require_caller(caller)
    where = _clean_gate(gate, "gate")
    if stop is not None and stop < 0:
        raise BadUserInput("A stop is an index into Show.stops, from 0.", field="stop")
    async with service.db.reader() as session:
        if not await _scans_somewhere(session, who):
            raise Forbidden("Checking tickets in needs door staff of a venue, an organizer "
                            "or an admin.")
    try:
        claims = await _ticket_keys(service).verify(token)
    except BadTicket as exc:
        return TicketRefused(Refusal.BAD_SIGNATURE, str(exc))
    except KeysUnavailable as exc:
        raise TicketKeysUnavailable("The ticket keys cannot be read now; try again shortly.",
                                    serviceName="notification", retryable=True) from exc
    ticket_id, show_id = claims["tid"], claims["sid"]
    async with service.uow() as uow:
        session = uow.session
        show = await session.get(BookableShow, show_id) if could_be_id(show_id) else None
        if show is None:
            return TicketRefused(Refusal.UNKNOWN_TICKET, "TicketFlow sells no such show.")
        await require_door(session, who, show)
        if stop is not None and show.stops == 0:
            raise BadUserInput("This show has no stops; leave stop out.", field="stop")
        valid = await _check_ticket(session, show, ticket_id, claims["bid"])
        if isinstance(valid, TicketRefused):
            return valid
        if stop is not None:
            hold = await session.get(Hold, valid.booking.hold_id)
            boards = hold.leg_from if hold is not None else 0
            if stop != boards:
                return TicketRefused(Refusal.WRONG_STOP,
                                     f"This ticket boards at stop {boards}, not at stop {stop}.")
        now = utcnow()
        first = await session.scalar(_first_scan(session.get_bind().dialect.name, {
            "ticket_id": ticket_id, "show_id": show.id, "booking_id": valid.booking.id,
            "seat": valid.label, "gate": where, "at": now, "recorded_at": now,
            "scanned_by": who.user_id, "offline": False}))
        if first is None:
            stored = await _stored(session, ticket_id)
            return AlreadyCheckedIn(ticket_id, stored.at, stored.gate)
        await _number_scans(session, show.id, [ticket_id], admitted=1)
        await uow.commit()
    return CheckedIn(ticket_id, valid.label, now, where)


# --- the offline list and uploads ----------------------------------------------------------


async def show_for_door(service: Service, caller: Caller | None,
                        show_id: str) -> BookableShow | None:
    """The show, if the caller may check tickets in for it (``None``: booking has no such
    show). Anonymous: ``UNAUTHENTICATED``; anyone else not allowed: ``FORBIDDEN``."""
    who = require_caller(caller)
    async with service.db.reader() as session:
        show = await session.get(BookableShow, show_id)
        if show is None:
            return None
        await require_door(session, who, show)
    return show


async def check_in_list(service: Service, show: BookableShow
                        ) -> tuple[list[ExpectedTicket], list[CheckIn]]:
    """The show's tickets (of confirmed bookings) and the scans recorded so far."""
    async with service.db.reader() as session:
        bookings = list(await session.scalars(
            select(Booking).where(Booking.show_id == show.id,
                                  Booking.status == BookingStatus.CONFIRMED)
            .order_by(Booking.created_at, Booking.id)))
        ids = [b.id for b in bookings]
        lines: dict[str, list[BookingLine]] = {i: [] for i in ids}
        places: dict[str, list[BookingAdmission]] = {i: [] for i in ids}
        if ids:
            for line in await session.scalars(
                    select(BookingLine).join(Booking, Booking.id == BookingLine.booking_id)
                    .where(Booking.show_id == show.id,
                           Booking.status == BookingStatus.CONFIRMED)):
                lines[line.booking_id].append(line)
            for place in await session.scalars(
                    select(BookingAdmission)
                    .join(Booking, Booking.id == BookingAdmission.booking_id)
                    .where(Booking.show_id == show.id,
                           Booking.status == BookingStatus.CONFIRMED)):
                places[place.booking_id].append(place)
        scans = list(await session.scalars(
            select(CheckIn).where(CheckIn.show_id == show.id)
            .order_by(CheckIn.at, CheckIn.ticket_id)))
    tickets = [t for b in bookings for t in expected_tickets(b, lines[b.id], places[b.id])]
    return tickets, scans


# --- pages and deltas for gate devices that sync -------------------------------------------

MAX_PAGE: Final = 5000  # tickets, ticket changes or scans per page of Show.checkInList
_BAD_CURSOR = "This is not a cursor this list gave out."


@dataclass(frozen=True)
class TicketPage:
    """A page of tickets: each with whether it admits (its booking is confirmed)."""

    tickets: list[tuple[ExpectedTicket, bool]]
    scans: dict[str, CheckIn]  # the page's tickets let in so far, by ticket id
    has_next_page: bool
    end_cursor: str | None


@dataclass(frozen=True)
class ScanPage:
    scans: list[CheckIn]
    has_next_page: bool
    end_cursor: str | None


def _check_first(first: int) -> None:
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be 1 to {MAX_PAGE}.", field="first", max=MAX_PAGE)


def _booking_key(after: str, at_is_time: bool) -> tuple[datetime | int, str, int]:
    """``[created_at or door_seq, booking id, tickets of it given out already]``."""
    key, booking_id, done = backoffice.decode_cursor(after, 3)
    if (not isinstance(booking_id, str) or not (booking_id == "" or could_be_id(booking_id))
            or not isinstance(done, int) or isinstance(done, bool) or not 0 <= done < 2**31):
        raise BadUserInput(_BAD_CURSOR, field="after")
    if not at_is_time:
        if not isinstance(key, int) or isinstance(key, bool) or not 0 <= key < 2**62:
            raise BadUserInput(_BAD_CURSOR, field="after")
        return key, booking_id, done
    if booking_id == "":
        raise BadUserInput(_BAD_CURSOR, field="after")
    return backoffice.cursor_time(key), booking_id, done


async def _ticket_counts(session: AsyncSession, ids: Sequence[str]) -> dict[str, int]:
    """How many tickets each booking has (two grouped index reads, no rows loaded)."""
    counts = dict.fromkeys(ids, 0)
    for booking_id, n in (await session.execute(
            select(BookingLine.booking_id, func.count()).where(BookingLine.booking_id.in_(ids))
            .group_by(BookingLine.booking_id))).all():
        counts[booking_id] += int(n)
    for booking_id, n in (await session.execute(
            select(BookingAdmission.booking_id, func.sum(BookingAdmission.quantity))
            .where(BookingAdmission.booking_id.in_(ids))
            .group_by(BookingAdmission.booking_id))).all():
        counts[booking_id] += int(n or 0)
    return counts


async def _tickets_of(session: AsyncSession,
                      bookings: Sequence[Booking]) -> dict[str, list[ExpectedTicket]]:
    ids = [b.id for b in bookings]
    lines: dict[str, list[BookingLine]] = {i: [] for i in ids}
    places: dict[str, list[BookingAdmission]] = {i: [] for i in ids}
    if ids:
        for line in await session.scalars(select(BookingLine)
                                          .where(BookingLine.booking_id.in_(ids))):
            lines[line.booking_id].append(line)
        for place in await session.scalars(select(BookingAdmission)
                                           .where(BookingAdmission.booking_id.in_(ids))):
            places[place.booking_id].append(place)
    return {b.id: expected_tickets(b, lines[b.id], places[b.id]) for b in bookings}


async def _page_of_tickets(session: AsyncSession, query: Select[Booking],
                           key: InstrumentedAttribute[Any], start: tuple[Any, str, int] | None,
                           first: int, after: str | None) -> TicketPage:
    """A page of ``first`` tickets of the bookings ``query`` yields in the order of ``key``
    then id, continued from ``start``'s booking (keyset), each booking's tickets in their
    order. A bounded set of statements: the next ``first + 2`` bookings, their ticket
    counts, the tickets of those the page needs, and those tickets' scans."""
    if start is not None:
        at, booking_id, _ = start
        query = query.where(or_(key > at, and_(key == at, Booking.id >= booking_id)))
    bookings = list(await session.scalars(query.order_by(key, Booking.id).limit(first + 2)))

    def key_of(b: Booking) -> Any:
        return getattr(b, key.key)
    skip_id, skip = (None, 0) if start is None else (start[1], start[2])

    def skipped(b: Booking) -> int:
        return skip if b.id == skip_id and key_of(b) == start[0] else 0  # type: ignore[index]

    counts = await _ticket_counts(session, [b.id for b in bookings])
    chosen: list[Booking] = []
    total = 0
    for b in bookings:
        chosen.append(b)
        total += max(counts[b.id] - skipped(b), 0)
        if total > first:
            break
    expanded = await _tickets_of(session, chosen)
    flat = [(b, i, t) for b in chosen for i, t in enumerate(expanded[b.id])
            if i >= skipped(b)]
    page = flat[:first]
    more = len(flat) > first or len(bookings) == first + 2
    end = after
    if page:
        b, i, _ = page[-1]
        key = key_of(b)
        end = backoffice.encode_cursor([key.isoformat() if isinstance(key, datetime) else key,
                                        b.id, i + 1])
    ids = [t.ticket_id for _, _, t in page]
    scans = {c.ticket_id: c for c in await session.scalars(
        select(CheckIn).where(CheckIn.ticket_id.in_(ids)))} if ids else {}
    return TicketPage([(t, b.status == BookingStatus.CONFIRMED) for b, _, t in page], scans,
                      more, end)


async def ticket_page(service: Service, show: BookableShow, first: int,
                      after: str | None) -> TicketPage:
    """The show's tickets (of confirmed bookings), ``first`` at a time: bookings in the
    order they were made (``created_at``, id), each booking's tickets in their order; the
    cursor is the last ticket's booking key and its place in the booking (keyset: bookings
    confirmed meanwhile never shift a page)."""
    _check_first(first)
    start = None if after is None else _booking_key(after, at_is_time=True)
    query = select(Booking).where(Booking.show_id == show.id,
                                  Booking.status == BookingStatus.CONFIRMED)
    async with service.db.reader() as session:
        return await _page_of_tickets(session, query, Booking.created_at, start, first, after)


async def ticket_changes(service: Service, show: BookableShow, first: int,
                         after: str | None) -> TicketPage:
    """The tickets of the show's bookings confirmed or cancelled after ``after`` (from
    :func:`changes_start` or a page before; null: from the start), in the order of the
    show's ``seq`` (the order of commit), each booking once, at its latest change."""
    _check_first(first)
    start = None if after is None else _booking_key(after, at_is_time=False)
    query = select(Booking).where(
        Booking.show_id == show.id,
        Booking.status.in_([BookingStatus.CONFIRMED, BookingStatus.CANCELLED]),
        # Before revision 0017 nothing was numbered: of those, the confirmed ones count.
        or_(Booking.door_seq > 0, Booking.status == BookingStatus.CONFIRMED))
    async with service.db.reader() as session:
        return await _page_of_tickets(session, query, Booking.door_seq, start, first, after)


async def changes_start(service: Service, show: BookableShow) -> str:
    """A ``ticketChanges`` cursor for what changes from now on."""
    async with service.db.reader() as session:
        seq = await session.scalar(select(CheckInCount.seq)
                                   .where(CheckInCount.show_id == show.id))
    # Changes numbered seq or less are committed, so the pages read after this have them.
    return backoffice.encode_cursor([int(seq or 0) + 1, "", 0])


async def scans_after(service: Service, show: BookableShow, first: int,
                      after: str | None) -> ScanPage:
    """The show's scans in the order they were recorded (``seq``, then ticket id), after
    ``after``. Not by ``at``: a gate that was offline uploads late scans with an earlier
    ``at``; a scan whose row an earlier upload took over comes again, changed."""
    _check_first(first)
    query = select(CheckIn).where(CheckIn.show_id == show.id)
    if after is not None:
        seq, ticket_id = backoffice.decode_cursor(after, 2)
        if (not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**62
                or not isinstance(ticket_id, str) or len(ticket_id) > 120):
            raise BadUserInput(_BAD_CURSOR, field="after")
        query = query.where(or_(CheckIn.seq > seq,
                                and_(CheckIn.seq == seq, CheckIn.ticket_id > ticket_id)))
    async with service.db.reader() as session:
        rows = list(await session.scalars(query.order_by(CheckIn.seq, CheckIn.ticket_id)
                                          .limit(first + 1)))
    page = rows[:first]
    end = (backoffice.encode_cursor([page[-1].seq, page[-1].ticket_id]) if page else after)
    return ScanPage(page, len(rows) > first, end)


def _clean_scans(scans: Sequence[Scan], now: datetime) -> list[Scan]:
    if len(scans) > MAX_UPLOAD:
        raise BadUserInput(f"Upload at most {MAX_UPLOAD} scans at a time.", field="scans",
                           max=MAX_UPLOAD)
    out = []
    for i, scan in enumerate(scans):
        booking_id, colon, rest = scan.ticket_id.partition(":")
        if not colon or not could_be_id(booking_id) or not rest or len(scan.ticket_id) > 120:
            raise BadUserInput("This is not a ticket id (a ticket's tid).",
                               field=f"scans[{i}].ticketId")
        try:
            at = (scan.at if scan.at.tzinfo is not None
                  else scan.at.replace(tzinfo=UTC)).astimezone(UTC)
        except (OverflowError, ValueError) as exc:  # year 1 at +05:00 is before year 1 UTC
            raise BadUserInput("This is not a time a gate scanned at.",
                               field=f"scans[{i}].at") from exc
        if at > now + CLOCK_SKEW:
            raise BadUserInput("This scan is in the future; check the gate's clock.",
                               field=f"scans[{i}].at")
        out.append(Scan(scan.ticket_id, at, _clean_gate(scan.gate, f"scans[{i}].gate")))
    return out


async def upload_check_ins(service: Service, caller: Caller | None, show_id: str,
                           scans: Sequence[Scan]) -> Upload:
    """Record scans a gate made offline, in the order given: each ticket's earliest scan
    counts (ties: the first to arrive). Uploading the same scans again changes nothing."""
    who = require_caller(caller)
    now = utcnow()
    clean = _clean_scans(scans, now)
    out = Upload()
    written: list[str] = []  # tickets whose row this upload inserted or took over
    async with service.uow() as uow:
        session = uow.session
        show = await session.get(BookableShow, show_id)
        if show is None:
            raise NotFound("No show with this id is on sale.", field="showId")
        await require_door(session, who, show)
        dialect = session.get_bind().dialect.name
        # By ticket (a stable sort: one ticket's scans keep their order of arrival), so two
        # uploads sharing tickets take the rows' locks in the same order and never deadlock.
        for scan in sorted(clean, key=lambda s: s.ticket_id):
            valid = await _check_ticket(session, show, scan.ticket_id,
                                        scan.ticket_id.partition(":")[0])
            if isinstance(valid, TicketRefused):
                out.refused.append(RefusedScan(scan.ticket_id, valid.code, valid.reason))
                continue
            first = await session.scalar(_first_scan(dialect, {
                "ticket_id": scan.ticket_id, "show_id": show.id,
                "booking_id": valid.booking.id, "seat": valid.label, "gate": scan.gate,
                "at": scan.at, "recorded_at": now, "scanned_by": who.user_id,
                "offline": True}))
            if first is not None:
                out.recorded += 1
                written.append(scan.ticket_id)
                continue
            stored = await _stored(session, scan.ticket_id)
            if stored.at == scan.at and stored.gate == scan.gate:
                out.unchanged += 1
                continue
            taken = await session.scalar(
                update(CheckIn).where(CheckIn.ticket_id == scan.ticket_id,
                                      CheckIn.at > scan.at)
                .values(at=scan.at, gate=scan.gate, recorded_at=now,
                        scanned_by=who.user_id, offline=True)
                .returning(CheckIn.ticket_id)
                .execution_options(synchronize_session=False))
            if taken is not None:
                written.append(scan.ticket_id)
                out.conflicts.append(ScanConflict(scan.ticket_id, scan, stored))
            else:
                out.conflicts.append(ScanConflict(scan.ticket_id, stored, scan))
        await _number_scans(session, show.id, written, admitted=out.recorded)
        await uow.commit()
    return out
