"""Holding seats: the seats a buyer chose, or the best ones left; releasing and extending.

A hold is a short transaction (on PostgreSQL three statements between BEGIN and COMMIT, and
one after):

1. the seats' conditional UPDATE (:func:`seats.take`) — the database decides, row by row;
2. the hold, its idempotency key and the customer's places, in one statement
   (:func:`insert_hold`);
3. the outbox row of ``SeatsHeld`` and the show's change (:mod:`.ledger`), in one statement
   (:meth:`~subgraphs.kernel.uow.UnitOfWork.insert_at_commit`): PostgreSQL settles the
   show's version and counts as the transaction commits, the only moment the show's row is
   locked;
4. after the commit, the settled version and counts taken back for the live message (one
   statement for every hold that committed meanwhile).

Anything unusual — a seat someone else has, a lapsed hold of this customer still counting
against the limit, a retried idempotency key — is sorted out after a rollback, off the hot
path.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, func, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.booking import expiry, limits, placement, seats, sections
from subgraphs.booking.inventory import Segment, legs_of
from subgraphs.booking.ledger import Ledger
from subgraphs.booking.models import (
    ON_SALE,
    TABLES,
    BookableShow,
    CustomerPlaces,
    Hold,
    HoldStatus,
    ShowSeat,
)
from subgraphs.booking.outcomes import (
    Held,
    HoldExpired,
    OverLimit,
    Refused,
    SeatsUnavailable,
    SoldOut,
)
from subgraphs.booking.placement import Place
from subgraphs.booking.reads import HoldPrice, PricedSeat
from subgraphs.booking.shows import ShowInfo, show_info
from subgraphs.kernel.auth import Caller, require_caller, require_owner_or_admin
from subgraphs.kernel.db import new_id, utcnow
from subgraphs.kernel.errors import BadUserInput, Conflict, NotFound
from subgraphs.kernel.events import HoldExtended, HoldReleased, SeatsHeld
from subgraphs.kernel.idempotency import clean_key, fingerprint
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork, retrying


@dataclass(frozen=True)
class Request:
    """What a hold needs to know of the caller's request."""

    service: Service
    who: Caller
    show: ShowInfo
    operation: str
    arguments: dict[str, Any]
    key: str | None
    field: str


def validate_quantity(quantity: int, limit: int) -> int:
    """``quantity`` if it is 1 to ``limit``, or ``BAD_USER_INPUT``."""
    if not 1 <= quantity <= limit:
        raise BadUserInput(f"Hold 1 to {limit} places at once.", field="quantity")
    return quantity


def validate_seat_ids(seat_ids: Sequence[str], limit: int) -> list[str]:
    """Distinct seat ids, 1 to ``limit`` of them, or ``BAD_USER_INPUT``."""
    if not seat_ids:
        raise BadUserInput("Choose at least one seat.", field="seatIds")
    if len(set(seat_ids)) != len(seat_ids):
        raise BadUserInput("A seat appears twice.", field="seatIds")
    if len(seat_ids) > limit:
        raise BadUserInput(f"Hold at most {limit} seats at once.", field="seatIds")
    return list(seat_ids)


async def show_of(service: Service, show_id: str) -> ShowInfo:
    """The show's facts, or ``NOT_FOUND`` when booking has no such show."""
    show = await show_info(service, show_id)
    if show is None:
        raise NotFound("No show with this id is on sale.", field="showId")
    return show


def new_hold(req: Request, legs: range, places: int) -> Hold:
    """A hold of ``places`` for the caller, starting now (not yet stored)."""
    now = utcnow()
    return Hold(id=new_id(), show_id=req.show.id, user_id=req.who.user_id,
                status=HoldStatus.ACTIVE, leg_from=legs.start, leg_to=legs.stop,
                expires_at=now + timedelta(seconds=req.service.settings.hold_ttl_seconds),
                created_at=now, places=places)


HOLDS = cast(Table, Hold.__table__)
PLACES = cast(Table, CustomerPlaces.__table__)


def _insert_hold(with_key: bool) -> Any:
    # PostgreSQL's one statement, built once with bound parameters (as the seat UPDATE is):
    # building and cache-keying it again for every hold cost a tenth of the hold's CPU.
    writes = [insert(HOLDS).values(
        id=bindparam("h_id"), show_id=bindparam("h_show"), user_id=bindparam("h_user"),
        status=bindparam("h_status"), leg_from=bindparam("h_leg_from"),
        leg_to=bindparam("h_leg_to"), expires_at=bindparam("h_expires"),
        created_at=bindparam("h_created"), places=bindparam("h_places"))]
    if with_key:
        writes.append(insert(TABLES.idempotency).values(
            user_id=bindparam("h_user"), key=bindparam("k_key"), operation=bindparam("k_op"),
            fingerprint=bindparam("k_print"), result_id=bindparam("h_id"),
            created_at=bindparam("h_created")))
    upsert = postgresql.insert(PLACES).values(show_id=bindparam("h_show"),
                                              user_id=bindparam("h_user"),
                                              places=bindparam("h_places"))
    return upsert.on_conflict_do_update(
        index_elements=[PLACES.c.show_id, PLACES.c.user_id],
        set_={"places": PLACES.c.places + upsert.excluded.places},
        where=PLACES.c.places + upsert.excluded.places <= bindparam("h_limit"),
    ).returning(PLACES.c.places).add_cte(*(w.cte(f"w{i}") for i, w in enumerate(writes)))


_INSERT_HOLD = {False: _insert_hold(False), True: _insert_hold(True)}


async def insert_hold(req: Request, uow: UnitOfWork, hold: Hold) -> bool:
    """Store ``hold``, its idempotency key and the customer's new places; one statement on
    PostgreSQL. False when the customer would pass the limit (then the unit of work must
    not commit)."""
    limit = req.service.settings.max_seats_per_customer
    if hold.places > limit:
        raise limits.over_limit(limit, req.field)
    session = uow.session
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        values = {"h_id": hold.id, "h_show": hold.show_id, "h_user": hold.user_id,
                  "h_status": hold.status, "h_leg_from": hold.leg_from,
                  "h_leg_to": hold.leg_to, "h_expires": hold.expires_at,
                  "h_created": hold.created_at, "h_places": hold.places, "h_limit": limit}
        if req.key is not None:
            values.update(k_key=req.key, k_op=req.operation,
                          k_print=fingerprint(req.arguments))
        taken = (await session.execute(_INSERT_HOLD[req.key is not None], values)).scalar()
        return taken is not None
    await session.execute(insert(Hold).values(
        id=hold.id, show_id=hold.show_id, user_id=hold.user_id, status=hold.status,
        leg_from=hold.leg_from, leg_to=hold.leg_to, expires_at=hold.expires_at,
        created_at=hold.created_at, places=hold.places))
    if req.key is not None:
        await session.execute(insert(req.service.idempotency.table).values(
            user_id=hold.user_id, key=req.key, operation=req.operation,
            fingerprint=fingerprint(req.arguments), result_id=hold.id,
            created_at=hold.created_at))
    return await session.scalar(limits.take(dialect, hold.show_id, hold.user_id, hold.places,
                                            limit)) is not None


Attempt = Callable[[], Awaitable[Held | Refused | OverLimit]]


async def make(req: Request, attempt: Attempt) -> Held | Refused:
    """Run a hold's ``attempt`` (again after a deadlock); sort out what refused it.

    Over the limit, the customer's own lapsed holds on the show (which still count until
    swept) are released and the attempt runs once more. A refused attempt and a
    duplicate key may be a retried request: the first answer wins. Over the limit still,
    ``BAD_USER_INPUT``; :class:`.Refused` is returned when it was not a retry.
    """
    try:
        result = await retrying(attempt)
        if isinstance(result, OverLimit) and await expiry.release_expired(
                req.service, show_id=req.show.id, user_id=req.who.user_id) > 0:
            result = await retrying(attempt)
    except IntegrityError:
        if (first := await _first(req)) is not None:
            return first
        raise
    if isinstance(result, Held):
        return result
    if (first := await _first(req)) is not None:
        return first
    if isinstance(result, OverLimit):
        raise limits.over_limit(req.service.settings.max_seats_per_customer, req.field)
    return result


async def _first(req: Request) -> Held | None:
    """The hold an earlier request with this key made (``CONFLICT`` if the key was used for
    something else), or ``None``."""
    if req.key is None:
        return None
    async with req.service.db.reader() as session:
        first = await req.service.idempotency.seen(session, req.who.user_id, req.key,
                                                   req.operation, req.arguments)
        hold = None if first is None else await session.get(Hold, first)
    return None if hold is None else Held(hold)


def price_of(show: ShowInfo, hold: Hold, taken: Sequence[seats.Taken]) -> HoldPrice:
    """What a hold just made will charge: its seats at their prices (on its first leg)."""
    return HoldPrice([PricedSeat(t.seat_id, t.label, t.category, t.price_amount)
                      for t in taken if t.leg == hold.leg_from], [], show.currency)


async def _take(req: Request, uow: UnitOfWork, hold: Hold, seat_ids: Sequence[str],
                legs: range, whole: bool) -> Held | Refused | OverLimit:
    """Take the seats for ``hold`` and store it (uncommitted); :class:`.Refused` unless
    every row was free, :class:`.OverLimit` past the customer's limit."""
    taken = await seats.take(uow.session, hold.show_id, seat_ids, None if whole else legs,
                             hold.id, hold.expires_at, hold.created_at)
    if len(taken) != len(seat_ids) * len(legs):
        return Refused()
    if not await insert_hold(req, uow, hold):
        return OverLimit()
    Ledger.of(req.service, uow).moved(req.show, taken)
    uow.emit(SeatsHeld(hold_id=hold.id, show_id=hold.show_id, user_id=hold.user_id,
                       seat_ids=seats.seat_ids(taken), legs=[hold.leg_from, hold.leg_to],
                       expires_at=hold.expires_at.isoformat()))
    return Held(hold, price_of(req.show, hold, taken))


async def hold_seats(
    service: Service, caller: Caller | None, show_id: str, seat_ids: Sequence[str],
    idempotency_key: str | None = None, segment: Segment | None = None,
) -> Held | SeatsUnavailable:
    """Hold all of ``seat_ids`` for the caller (on ``segment``'s legs), or none of them.

    The database decides: one conditional UPDATE takes exactly the seat rows (a row per
    seat and leg) that are free (available, or held past expiry). If it changed fewer rows
    than asked, another holder won at least one and the whole transaction rolls back.
    """
    who = require_caller(caller)
    wanted = validate_seat_ids(seat_ids, service.settings.max_seats_per_hold)
    key = clean_key(idempotency_key)
    show = await show_of(service, show_id)
    legs = legs_of(show, segment)
    req = Request(service, who, show, "holdSeats",
                  {"show_id": show_id, "seat_ids": sorted(wanted),
                   **({"segment": list(segment)} if segment else {})}, key, "seatIds")

    async def attempt() -> Held | Refused | OverLimit:
        hold = new_hold(req, legs, len(wanted))
        async with service.uow() as uow:
            result = await _take(req, uow, hold, wanted, legs, segment is None)
            if isinstance(result, Held):
                await uow.commit()
            return result

    for _ in range(3):
        made = await make(req, attempt)
        if not isinstance(made, Refused):
            return made
        taken = await _not_free(service, show_id, wanted, legs)
        if taken:
            return SeatsUnavailable(taken)
        # Free again by now (a hold released between the two): try again.
    raise Conflict("The seats changed hands while holding them; try again.", field="seatIds")


async def require_on_sale(session: AsyncSession, show_id: str) -> None:
    """``NOT_FOUND`` unless booking has the show, ``BAD_USER_INPUT`` unless it is on sale:
    what a refused hold checks first (the show may have stopped selling meanwhile)."""
    status = await session.scalar(select(BookableShow.status).where(BookableShow.id == show_id))
    if status is None:
        raise NotFound("No show with this id is on sale.", field="showId")
    if status != ON_SALE:
        raise BadUserInput("This show is not on sale.", field="showId")


async def _not_free(service: Service, show_id: str, seat_ids: Sequence[str],
                    legs: range) -> list[str]:
    """Why a hold of these seats was refused: the show is not on sale (an error), a seat is
    not the show's (an error), or these seats are not free on every one of ``legs``."""
    now = utcnow()
    async with service.db.reader() as session:
        await require_on_sale(session, show_id)
        free = dict((await session.execute(
            select(ShowSeat.seat_id, func.sum(case((seats.is_free(now), 1), else_=0)))
            .where(ShowSeat.show_id == show_id, ShowSeat.seat_id.in_(seat_ids),
                   ShowSeat.leg >= legs.start, ShowSeat.leg < legs.stop)
            .group_by(ShowSeat.seat_id))).all())
    unknown = [s for s in seat_ids if s not in free]
    if unknown:
        raise BadUserInput("These seats are not part of this show.", field="seatIds",
                           seatIds=unknown)
    return [s for s in seat_ids if free[s] < len(legs)]


LAYOUTS = 16  # shows whose ranked rows a process keeps (a 50,000-seat hall is ~10 MB)


async def ranked_rows(service: Service, session: Any, show: ShowInfo,
                      category: str | None) -> list[list[Place]]:
    """The show's rows of seats (of ``category``), best first: read once per process, as
    where a seat is never changes once the show is on sale."""
    cache: OrderedDict[tuple[str, str | None], list[list[Place]]] = service.once(
        "ranked_rows", OrderedDict)
    key = (show.id, category)
    found = cache.get(key)
    if found is None:
        found = cache[key] = placement.rank(await seats.layout_of(session, show.id, category),
                                            show.layout)
        if len(cache) > LAYOUTS:
            cache.popitem(last=False)
    cache.move_to_end(key)
    return found


def _placing(service: Service, show_id: str) -> set[str]:
    shows: dict[str, set[str]] = service.once("placing", dict)
    found = shows.get(show_id)
    if found is None:
        if len(shows) > 1024:  # forget the shows nobody is placing seats on
            for idle in [k for k, v in shows.items() if not v]:
                del shows[idle]
        found = shows[show_id] = set()
    return found


async def hold_best_available(
    service: Service, caller: Caller | None, show_id: str, quantity: int,
    category: str | None = None, segment: Segment | None = None,
    idempotency_key: str | None = None,
) -> Held | SoldOut:
    """Hold the ``quantity`` best free seats (see :mod:`.placement` for the rule), or none.

    The seats are chosen from a read and then taken by the usual conditional UPDATE; if a
    concurrent hold took one of them first, the choice is made again. After a first lost
    race, requests for the best seats of one show queue on an advisory lock (PostgreSQL),
    so they stop racing each other for the same seats; holds of chosen seats never wait
    on it. Fewer free seats than asked is :class:`.SoldOut`.
    """
    who = require_caller(caller)
    validate_quantity(quantity, service.settings.max_seats_per_hold)
    wanted_category = category.strip().upper() if category is not None else None
    key = clean_key(idempotency_key)
    show = await show_of(service, show_id)
    legs = legs_of(show, segment)
    req = Request(service, who, show, "holdBestAvailable",
                  {"show_id": show_id, "quantity": quantity, "category": wanted_category,
                   "segment": list(segment) if segment else None}, key, "quantity")
    queued = False
    # Seats other requests in this process are placing on this show right now: left out of
    # the choice, so concurrent buyers of one show do not all race for the same best block
    # (the loser's whole transaction was wasted). The database still decides.
    placing = _placing(service, show_id)

    async def attempt() -> Held | Refused | OverLimit:
        hold = new_hold(req, legs, quantity)
        async with service.uow() as uow:
            if queued and uow.session.get_bind().dialect.name == "postgresql":
                await uow.session.execute(select(func.pg_advisory_xact_lock(
                    func.hashtext(f"best-available:{show_id}"))))
            ranked = await ranked_rows(service, uow.session, show, wanted_category)
            if wanted_category is not None and not ranked:
                raise BadUserInput("This show has no seats of this category.",
                                   field="category")

            async def free_of(seat_ids: list[str]) -> set[str]:
                return await seats.free_among(uow.session, show_id, seat_ids, legs,
                                              hold.created_at) - placing

            chosen, free = await placement.choose(ranked, quantity, free_of)
            if chosen is None:
                if placing:  # seats being placed may yet come free: not sold out
                    return Refused()
                return Refused(SoldOut(free))
            placing.update(chosen)
            try:
                result = await _take(req, uow, hold, chosen, legs, segment is None)
            finally:
                placing.difference_update(chosen)
            if isinstance(result, Held):
                await uow.commit()
            return result

    for _ in range(50):
        made = await make(req, attempt)
        if not isinstance(made, Refused):
            return made
        if made.outcome is not None:
            return made.outcome
        await _not_free(service, show_id, [], legs)  # the show may have stopped selling
        queued = True
    raise Conflict("The seats changed hands while holding them; try again.", field="quantity")


def effective_status(hold: Hold, now: datetime) -> str:
    """A hold's status as its owner sees it: an active hold past its expiry has expired."""
    if hold.status == HoldStatus.ACTIVE and hold.expires_at <= now:
        return HoldStatus.EXPIRED
    return hold.status


async def owned_hold(service: Service, caller: Caller | None, hold_id: str) -> Hold:
    """The hold, if the caller owns it (or is an admin); ``NOT_FOUND`` or ``FORBIDDEN``."""
    who = require_caller(caller)
    hold = await service.get(Hold, hold_id)
    if hold is None:
        raise NotFound("No hold with this id.", field="holdId")
    require_owner_or_admin(who, hold.user_id)
    return hold


async def _locked(uow: UnitOfWork, hold_id: str) -> Hold:
    hold = await uow.session.get(Hold, hold_id, with_for_update=True)
    if hold is None:  # holds are never deleted
        raise NotFound("No hold with this id.", field="holdId")
    return hold


async def release_hold(service: Service, caller: Caller | None, hold_id: str) -> Hold:
    """Give an active hold's seats and places back (its owner or an admin).

    A hold that is no longer active (released, expired or lapsed, checked out) is a
    ``CONFLICT`` whose ``status`` extension says what it is.
    """
    found = await owned_hold(service, caller, hold_id)
    show = await show_of(service, found.show_id)

    async def attempt() -> Hold:
        async with service.uow() as uow:
            hold = await _locked(uow, hold_id)
            status = effective_status(hold, utcnow())
            if status != HoldStatus.ACTIVE:
                raise Conflict(f"Only an active hold can be released; this one is {status}.",
                               field="holdId", status=status)
            places = await sections.of_hold(uow.session, hold_id)
            freed = await expiry.end(service, uow, show, hold, HoldStatus.RELEASED)
            uow.emit(HoldReleased(hold_id=hold_id, show_id=hold.show_id,
                                  user_id=hold.user_id, seat_ids=freed,
                                  general_admission=places))
            await uow.commit()
        return hold

    return await retrying(attempt)


async def extend_hold(service: Service, caller: Caller | None,
                      hold_id: str) -> Hold | HoldExpired:
    """Push an active hold's expiry to now + the hold TTL (its owner or an admin).

    Never past its creation + ``hold_max_seconds`` and never earlier than it was: a hold
    at its maximum comes back unchanged. A lapsed hold is :class:`.HoldExpired`; a released
    or checked-out one is a ``CONFLICT``.
    """
    found = await owned_hold(service, caller, hold_id)
    show = await show_of(service, found.show_id)
    settings = service.settings

    async def attempt() -> Hold | HoldExpired:
        async with service.uow() as uow:
            hold = await _locked(uow, hold_id)
            now = utcnow()
            status = effective_status(hold, now)
            if status == HoldStatus.EXPIRED:
                return HoldExpired(hold_id)
            if status != HoldStatus.ACTIVE:
                raise Conflict(f"Only an active hold can be extended; this one is {status}.",
                               field="holdId", status=status)
            until = min(now + timedelta(seconds=settings.hold_ttl_seconds),
                        hold.created_at + timedelta(seconds=settings.hold_max_seconds))
            if until <= hold.expires_at:
                return hold  # at its maximum already: nothing changes
            hold.expires_at = until
            await seats.prolong(uow.session, hold_id, until)
            # No seat changes state, but the version moves: watchers see every version.
            Ledger.of(service, uow).touched(show)
            uow.emit(HoldExtended(hold_id=hold_id, show_id=hold.show_id,
                                  user_id=hold.user_id, expires_at=until.isoformat()))
            await uow.commit()
        return hold

    return await retrying(attempt)
