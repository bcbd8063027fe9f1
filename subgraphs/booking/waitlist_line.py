"""The waiting list's hand-off: seats that come back go to the line first.

Every path that gives seats back ends a hold through :func:`expiry.end` (a hold released
or lapsed, a booking cancelled or refunded, an unpaid booking whose seats went elsewhere),
and ``end`` calls :func:`returned` in the same transaction, after the seats are AVAILABLE
again but before anything commits. So no public buyer ever sees them free: they are
AVAILABLE only inside this transaction, and the seat rows stay locked by it.

The rule (docs/architecture.md, "Waiting lists"):

* The line is ordered by ``position`` (join order within the show, unique). The head is the
  first WAITING entry whose filter the returned seats match (``category``, or any); for
  standing places, the first WAITING entry for their section (:func:`hand_on_places`).
* Seats gather for the head until it has as many as it asked for (*accumulate*): they are
  held in its name by a RESERVED hold that never lapses and cannot be checked out. More
  seats than it still needs pass on to the next matching entry, and so on.
* Once complete, the hold becomes ACTIVE for ``TICKETFLOW_WAITLIST_OFFER_SECONDS`` (the
  offer), the entry OFFERED, and ``WaitingListOffered`` asks notification to mail it.
* An offer not checked out lapses like any hold: the sweeper expires it, the entry becomes
  EXPIRED, and its seats come back through this same path to the next in line.
* An entry whose customer would pass ``TICKETFLOW_MAX_SEATS_PER_CUSTOMER`` with the seats
  (they bought elsewhere since joining) is EXPIRED and its seats pass on.
* Seats of a hidden category (sold only with an unlocking promo code: unlocking.py) never
  go to the line, and nobody can wait for a hidden category or standing section.

Cheap when nobody waits: one index lookup (``ix_waitlist_line``) that finds nothing. The
show's row is written (``shows.waiting``) only when an entry stops WAITING.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.booking import limits, seats, sections, ticket_types, unlocking
from subgraphs.booking.ledger import Ledger
from subgraphs.booking.models import (
    AVAILABLE,
    HELD,
    AdmissionSection,
    BookableShow,
    Hold,
    HoldAdmission,
    HoldStatus,
    ShowSeat,
    WaitingListEntry,
    WaitlistStatus,
)
from subgraphs.booking.shows import ShowInfo, notice
from subgraphs.kernel.db import new_id, utcnow
from subgraphs.kernel.errors import present
from subgraphs.kernel.events import WaitingListOffered
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork

# A RESERVED hold's seats carry this expiry: they never lapse while they gather.
RESERVED_UNTIL = datetime(9000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Returned:
    """A seat that came back and waits for a taker (seat-map ``position`` orders them)."""

    seat_id: str
    category: str
    position: int


async def returned(service: Service, uow: UnitOfWork, show: ShowInfo, hold: Hold,
                   rows: Sequence[seats.Moved],
                   places: Sequence[tuple[str, int]] = ()) -> None:
    """``hold`` just ended (its status already set) and gave back ``rows`` and standing
    ``places`` (section, quantity): settle the waiting-list entry it was an offer of, then
    hand the seats and places to the line."""
    session = uow.session
    if hold.status in (HoldStatus.EXPIRED, HoldStatus.RELEASED):
        ended = (WaitlistStatus.EXPIRED if hold.status == HoldStatus.EXPIRED
                 else WaitlistStatus.LEFT)
        await session.execute(
            update(WaitingListEntry)
            .where(WaitingListEntry.hold_id == hold.id,
                   WaitingListEntry.status == WaitlistStatus.OFFERED)
            .values(status=ended, updated_at=utcnow())
            .execution_options(synchronize_session=False))
    await hand_on(service, uow, show, [Returned(r.seat_id, r.category, r.position)
                                       for r in rows if r.now == AVAILABLE and r.leg == 0])
    for section_id, quantity in places:
        await hand_on_places(service, uow, show, section_id, quantity)


async def claimed(session: AsyncSession, hold_id: str) -> None:
    """An offer's hold was checked out: its entry is CLAIMED (one index lookup)."""
    await session.execute(
        update(WaitingListEntry)
        .where(WaitingListEntry.hold_id == hold_id,
               WaitingListEntry.status == WaitlistStatus.OFFERED)
        .values(status=WaitlistStatus.CLAIMED, updated_at=utcnow())
        .execution_options(synchronize_session=False))


def _head(show_id: str, categories: Sequence[str]) -> Select[WaitingListEntry]:
    """The first WAITING entry the seats fit, locked. On PostgreSQL an entry another
    transaction just took out of WAITING is re-checked after its lock and passed over for
    the next one, so two hand-offs at once still serve the line in order."""
    e = WaitingListEntry
    return (select(e).where(e.show_id == show_id, e.status == WaitlistStatus.WAITING,
                            e.section_id.is_(None),
                            or_(e.category.is_(None), e.category.in_(categories)))
            .order_by(e.position).limit(1).with_for_update()
            .execution_options(populate_existing=True))


def _head_of_section(show_id: str, section_id: str) -> Select[WaitingListEntry]:
    """The first WAITING entry for places of this standing section, locked (as _head)."""
    e = WaitingListEntry
    return (select(e).where(e.show_id == show_id, e.status == WaitlistStatus.WAITING,
                            e.section_id == section_id)
            .order_by(e.position).limit(1).with_for_update()
            .execution_options(populate_existing=True))


async def hand_on_places(service: Service, uow: UnitOfWork, show: ShowInfo, section_id: str,
                         quantity: int) -> None:
    """Give ``quantity`` places of a standing section, given back in this transaction, to
    the entries waiting for that section, head first; the rest stay on sale."""
    if show.legs != 1:
        return
    while quantity > 0:
        entry = await uow.session.scalar(_head_of_section(show.id, section_id))
        if entry is None:
            return
        wanted = min(quantity, entry.quantity - entry.reserved)
        quantity -= wanted
        quantity += await _reserve_places(service, uow, show, entry, section_id, wanted)


async def hand_on(service: Service, uow: UnitOfWork, show: ShowInfo,
                  pool: list[Returned]) -> None:
    """Give these AVAILABLE seats (of this transaction) to the line, head first; what nobody
    in line wants stays on sale."""
    if show.legs != 1:  # journeys have no waiting lists
        return
    session = uow.session
    hidden: frozenset[str] | None = None
    while pool:
        entry = await session.scalar(_head(show.id, sorted({r.category for r in pool})))
        if entry is None:
            return
        if hidden is None:  # someone waits: hidden categories stay with code holders
            hidden = await unlocking.hidden_of(service, show.id)
            if hidden:
                pool = [r for r in pool if r.category not in hidden]
                continue
        fits = [r for r in pool if entry.category in (None, r.category)]
        wanted = fits[:entry.quantity - entry.reserved]
        chosen = {r.seat_id for r in wanted}
        pool = [r for r in pool if r.seat_id not in chosen]
        pool += await _reserve(service, uow, show, entry, wanted)
        pool.sort(key=lambda r: r.position)


async def waiting_less(session: AsyncSession, show_id: str) -> None:
    """One fewer WAITING entry on the show's counter."""
    await session.execute(
        update(BookableShow).where(BookableShow.id == show_id)
        .values(waiting=BookableShow.waiting - 1)
        .execution_options(synchronize_session=False))


@dataclass(frozen=True)
class Gathered:
    """What a WAITING entry had gathered, given back: seats and standing places."""

    seats: list[Returned]
    places: list[tuple[str, int]]


async def drop_reserve(service: Service, uow: UnitOfWork, show: ShowInfo,
                       entry: WaitingListEntry) -> Gathered:
    """Give back what a WAITING entry had gathered (its RESERVED hold ends): seats and
    places, free again in this transaction, for the caller to hand on."""
    if entry.hold_id is None:
        return Gathered([], [])
    session = uow.session
    hold = await session.get(Hold, entry.hold_id, with_for_update=True)
    if hold is None or hold.status != HoldStatus.RESERVED:
        return Gathered([], [])
    rows = await seats.free(session, hold.id, HELD)
    places = await sections.give_back(session, hold.id)
    await limits.give_back(session, hold.show_id, hold.user_id, hold.places)
    hold.status = HoldStatus.RELEASED
    Ledger.of(service, uow).moved(show, rows)
    return Gathered([Returned(r.seat_id, r.category, r.position) for r in rows], places)


async def hand_on_gathered(service: Service, uow: UnitOfWork, show: ShowInfo,
                           gathered: Gathered) -> None:
    """Hand what an entry had gathered on to the next in line."""
    await hand_on(service, uow, show, gathered.seats)
    for section_id, quantity in gathered.places:
        await hand_on_places(service, uow, show, section_id, quantity)


async def _take_limit(service: Service, uow: UnitOfWork, show: ShowInfo,
                      entry: WaitingListEntry, n: int) -> Gathered | None:
    """Count ``n`` more places for the entry's customer; over their limit the entry
    expires instead, and what it had gathered is returned for the next in line."""
    session = uow.session
    dialect = session.get_bind().dialect.name
    limit = service.settings.max_seats_per_customer
    if await session.scalar(limits.take(dialect, show.id, entry.user_id, n, limit)) is not None:
        return None
    entry.status = WaitlistStatus.EXPIRED
    entry.updated_at = utcnow()
    await waiting_less(session, show.id)
    return await drop_reserve(service, uow, show, entry)


async def _reserve_hold(uow: UnitOfWork, show: ShowInfo, entry: WaitingListEntry,
                        now: datetime) -> str:
    """The entry's RESERVED hold, made on first use."""
    if entry.hold_id is None:
        entry.hold_id = new_id()
        await uow.session.execute(insert(Hold).values(
            id=entry.hold_id, show_id=show.id, user_id=entry.user_id,
            status=HoldStatus.RESERVED, leg_from=0, leg_to=1, expires_at=RESERVED_UNTIL,
            created_at=now, places=0))
    return entry.hold_id


async def _gained(service: Service, uow: UnitOfWork, show: ShowInfo, entry: WaitingListEntry,
                  hold_id: str, n: int, now: datetime) -> None:
    """The entry's hold gained ``n`` places: offer it once complete."""
    await uow.session.execute(update(Hold).where(Hold.id == hold_id)
                              .values(places=Hold.places + n)
                              .execution_options(synchronize_session=False))
    entry.reserved += n
    entry.updated_at = now
    if entry.reserved >= entry.quantity:
        await _offer(service, uow, show, entry, now)


async def _reserve(service: Service, uow: UnitOfWork, show: ShowInfo,
                   entry: WaitingListEntry, wanted: list[Returned]) -> list[Returned]:
    """Add ``wanted`` to the (locked) entry's gathered seats, and offer them once they are
    as many as it asked for. The seats it could not take (over the customer's limit: the
    entry expires, and what it had gathered comes back too), for the next in line."""
    session = uow.session
    now = utcnow()
    dropped = await _take_limit(service, uow, show, entry, len(wanted))
    if dropped is not None:
        return wanted + dropped.seats
    hold_id = await _reserve_hold(uow, show, entry, now)
    taken = await seats.take(session, show.id, [r.seat_id for r in wanted], None,
                             hold_id, RESERVED_UNTIL, now)
    missed = len(wanted) - len(taken)
    if missed:  # the show stopped selling meanwhile: what was not taken stays put
        await limits.give_back(session, show.id, entry.user_id, missed)
    Ledger.of(service, uow).moved(show, taken)
    await _gained(service, uow, show, entry, hold_id, len(taken), now)
    return []


async def _reserve_places(service: Service, uow: UnitOfWork, show: ShowInfo,
                          entry: WaitingListEntry, section_id: str, n: int) -> int:
    """As :func:`_reserve`, for ``n`` places of a standing section: the places it could not
    take, for the next in line."""
    session = uow.session
    now = utcnow()
    dropped = await _take_limit(service, uow, show, entry, n)
    if dropped is not None:
        return n + sum(q for s, q in dropped.places if s == section_id)
    hold_id = await _reserve_hold(uow, show, entry, now)
    if not await sections.take(session, show.id, section_id, n):  # not on sale any more
        await limits.give_back(session, show.id, entry.user_id, n)
        return 0
    line = await session.get(HoldAdmission, (hold_id, section_id))
    if line is None:
        session.add(HoldAdmission(hold_id=hold_id, section_id=section_id, show_id=show.id,
                                  quantity=n, released=False))
    else:
        line.quantity += n
    Ledger.of(service, uow).touched(show)
    await _gained(service, uow, show, entry, hold_id, n, now)
    return 0


async def _offer(service: Service, uow: UnitOfWork, show: ShowInfo,
                 entry: WaitingListEntry, now: datetime) -> None:
    """The entry has all its seats: its hold becomes an ACTIVE offer for a limited time."""
    hold_id = present(entry.hold_id, "an offered entry's hold")
    session = uow.session
    until = now + timedelta(seconds=service.settings.waitlist_offer_seconds)
    await session.execute(update(Hold).where(Hold.id == hold_id)
                          .values(status=HoldStatus.ACTIVE, expires_at=until, created_at=now)
                          .execution_options(synchronize_session=False))
    await seats.prolong(session, hold_id, until)
    entry.status = WaitlistStatus.OFFERED
    entry.offered_at = now
    entry.offer_expires_at = until
    await waiting_less(session, show.id)
    # A change of expiry is a new version for watchers, as extendHold's is.
    Ledger.of(service, uow).touched(show)
    await session.flush()
    held = (await session.execute(
        select(ShowSeat.seat_id, ShowSeat.label).where(ShowSeat.hold_id == hold_id,
                                                       ShowSeat.state == HELD)
        .order_by(ShowSeat.position))).all()
    places = (await session.execute(
        select(AdmissionSection.name, HoldAdmission.quantity)
        .join(AdmissionSection, (AdmissionSection.show_id == HoldAdmission.show_id)
              & (AdmissionSection.section_id == HoldAdmission.section_id))
        .where(HoldAdmission.hold_id == hold_id).order_by(AdmissionSection.position))).all()
    await _typed(service, uow, show.id, hold_id)
    uow.emit(WaitingListOffered(
        entry_id=entry.id, user_id=entry.user_id, show_id=show.id, hold_id=hold_id,
        expires_at=until.isoformat(), seat_ids=[s for s, _ in held],
        labels=[label for _, label in held] + [f"{name} ({q} places)" for name, q in places],
        show=await notice(session, show)))


async def _typed(service: Service, uow: UnitOfWork, show_id: str, hold_id: str) -> None:
    """On a show with ticket types, the offer is of the default type (its lines frozen as a
    hold's are: ticket_types.freeze); the per-order bounds of types do not apply to it."""
    found = await ticket_types.types_of(service, show_id)
    if not found:
        return
    session = uow.session
    seats_held = (await session.execute(
        select(ShowSeat.seat_id, ShowSeat.category).where(ShowSeat.hold_id == hold_id,
                                                          ShowSeat.state == HELD)
        .order_by(ShowSeat.position))).all()
    sections_held = (await session.execute(
        select(AdmissionSection.section_id, AdmissionSection.category)
        .join(HoldAdmission, (AdmissionSection.show_id == HoldAdmission.show_id)
              & (AdmissionSection.section_id == HoldAdmission.section_id))
        .where(HoldAdmission.hold_id == hold_id))).all()
    choice = ticket_types.Choice({t.key: t for t in found}, found[0].key, {})
    await ticket_types.freeze(uow, hold_id, choice,
                              [(p, c) for p, c in [*seats_held, *sections_held]])


async def close(service: Service, uow: UnitOfWork, show: ShowInfo) -> None:
    """The show was cancelled: every active entry expires and what was gathered is given
    back (offers' ACTIVE holds are released with the show's other holds)."""
    session = uow.session
    for entry in list(await session.scalars(
            select(WaitingListEntry)
            .where(WaitingListEntry.show_id == show.id,
                   WaitingListEntry.status.in_(WaitlistStatus.ACTIVE))
            .order_by(WaitingListEntry.position).with_for_update())):
        if entry.status == WaitlistStatus.WAITING:
            await drop_reserve(service, uow, show, entry)  # back on sale, if it ever is
        entry.status = WaitlistStatus.EXPIRED
        entry.updated_at = utcnow()
    await session.execute(update(BookableShow).where(BookableShow.id == show.id)
                          .values(waiting=0).execution_options(synchronize_session=False))
