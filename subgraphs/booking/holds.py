"""Holding seats: the seats a buyer chose, and what every kind of hold shares (the hold's
row, the customer's limit, retried keys). The best seats left are in
:mod:`.best_available`, standing places in :mod:`.admission`, releasing and extending in
:mod:`.hold_changes`.

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

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, func, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.booking import expiry, fares, limits, seats, ticket_types, unlocking
from subgraphs.booking.inventory import Segment, legs_of
from subgraphs.booking.ledger import Ledger
from subgraphs.booking.models import (
    ON_SALE,
    TABLES,
    BookableShow,
    CustomerPlaces,
    Hold,
    HoldPromoCode,
    HoldStatus,
    HoldTicketLine,
    ShowSeat,
)
from subgraphs.booking.outcomes import (
    Held,
    OverLimit,
    Refused,
    SeatsUnavailable,
)
from subgraphs.booking.promo_rules import Rejected
from subgraphs.booking.reads import HoldPrice, PricedSeat, typed_price
from subgraphs.booking.shows import ShowInfo, show_info
from subgraphs.kernel.auth import Caller, require_caller
from subgraphs.kernel.db import new_id, utcnow
from subgraphs.kernel.errors import BadUserInput, Conflict, NotFound
from subgraphs.kernel.events import SeatsHeld
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
    # The promo code the hold is made with (:mod:`.unlocking`), stored with it.
    promo_code_id: str | None = None
    # The fare class asked for (:mod:`.fares`), checked against the show's.
    fare_class: str | None = None
    # The ticket types of its seats or places, on a show with types (:mod:`.ticket_types`).
    tickets: ticket_types.Choice | None = None


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
        return taken is not None and await _with_code(req, session, hold)
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
                                            limit)) is not None and await _with_code(
        req, session, hold)


async def _with_code(req: Request, session: AsyncSession, hold: Hold) -> bool:
    """Record the promo code the hold is made with, if any (always True)."""
    if req.promo_code_id is not None:
        await session.execute(insert(HoldPromoCode).values(hold_id=hold.id,
                                                           code_id=req.promo_code_id))
    return True


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


async def with_fare_quota(req: Request, attempt: Attempt) -> Held | Refused:
    """:func:`make`; when the fare class is sold out on a leg, lapsed holds of the show
    (whose seats still count in the quota until swept) are released and it runs once more."""
    try:
        return await make(req, attempt)
    except fares.FareClassSoldOut:
        if req.fare_class is None or await expiry.release_expired(
                req.service, show_id=req.show.id) == 0:
            raise
    return await make(req, attempt)


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


def price_of(show: ShowInfo, hold: Hold, taken: Sequence[seats.Taken],
             prices: dict[str, int] | None = None,
             typed: Sequence[HoldTicketLine] = ()) -> HoldPrice:
    """What a hold just made will charge: its seats at their prices (on its first leg), or
    at the unit prices its fare fixed (``prices``, per category), or at their typed lines'
    frozen prices (which already include the fare, :func:`.fares.unit_price`)."""
    return typed_price(HoldPrice([PricedSeat(t.seat_id, t.label, t.category,
                                             t.price_amount if prices is None
                                             else prices[t.category])
                                  for t in taken if t.leg == hold.leg_from], [],
                                 show.currency), typed)


async def take_seats(req: Request, uow: UnitOfWork, hold: Hold, seat_ids: Sequence[str],
                legs: range, whole: bool) -> Held | Refused | OverLimit:
    """Take the seats for ``hold`` and store it (uncommitted); :class:`.Refused` unless
    every row was free, :class:`.OverLimit` past the customer's limit."""
    taken = await seats.take(uow.session, hold.show_id, seat_ids, None if whole else legs,
                             hold.id, hold.expires_at, hold.created_at)
    if len(taken) != len(seat_ids) * len(legs):
        return Refused()
    if not await insert_hold(req, uow, hold):
        return OverLimit()
    first = [t for t in taken if t.leg == hold.leg_from]
    prices = None
    if fares.priced(req.show.fares, req.fare_class):
        prices = await fares.take(uow.session, req.show.fares, hold,
                                  [(t.category, t.price_amount) for t in first], req.fare_class)
    typed = [] if req.tickets is None else await ticket_types.freeze(
        uow, hold.id, req.tickets, [(t.seat_id, t.category) for t in first],
        fares.pricing(req.show.fares, {t.category: t.price_amount for t in first},
                      range(hold.leg_from, hold.leg_to), req.fare_class))
    Ledger.of(req.service, uow).moved(req.show, taken)
    uow.emit(SeatsHeld(hold_id=hold.id, show_id=hold.show_id, user_id=hold.user_id,
                       seat_ids=seats.seat_ids(taken), legs=[hold.leg_from, hold.leg_to],
                       expires_at=hold.expires_at.isoformat()))
    return Held(hold, price_of(req.show, hold, taken, prices, typed))


async def hold_seats(
    service: Service, caller: Caller | None, show_id: str, seat_ids: Sequence[str],
    idempotency_key: str | None = None, segment: Segment | None = None,
    promo_code: str | None = None, fare_class: str | None = None,
    seat_ticket_types: Sequence[tuple[str, str]] | None = None,
) -> Held | SeatsUnavailable | Rejected:
    """Hold all of ``seat_ids`` for the caller (on ``segment``'s legs), or none of them.

    The database decides: one conditional UPDATE takes exactly the seat rows (a row per
    seat and leg) that are free (available, or held past expiry). If it changed fewer rows
    than asked, another holder won at least one and the whole transaction rolls back.
    With ``promo_code`` the hold is made with that code applied (:class:`.Rejected` when it
    cannot be used); seats of a hidden category need a code that unlocks it. On a show
    with ticket types, ``seat_ticket_types`` (seat id, type key) names a seat's type; the
    others are the default type.
    """
    who = require_caller(caller)
    wanted = validate_seat_ids(seat_ids, service.settings.max_seats_per_hold)
    key = clean_key(idempotency_key)
    show = await show_of(service, show_id)
    legs = legs_of(show, segment)
    fares.check_class(show.fares, fare_class)
    tickets = await ticket_types.choose(service, show_id, wanted, per_seat=seat_ticket_types,
                                        field="ticketTypes")
    gate = await unlocking.gate(service, who, show, promo_code)
    if isinstance(gate, Rejected):
        return gate
    await unlocking.refuse_closed_seats(service, gate, show_id, wanted)
    req = Request(service, who, show, "holdSeats",
                  {"show_id": show_id, "seat_ids": sorted(wanted),
                   **({"segment": list(segment)} if segment else {}),
                   **({"promo_code": gate.code.id} if gate.code else {}),
                   **({"fare_class": fare_class} if fare_class else {}),
                   **(tickets.arguments() if tickets else {})}, key, "seatIds",
                  None if gate.code is None else gate.code.id, fare_class, tickets)

    async def attempt() -> Held | Refused | OverLimit:
        hold = new_hold(req, legs, len(wanted))
        async with service.uow() as uow:
            result = await take_seats(req, uow, hold, wanted, legs, segment is None)
            if isinstance(result, Held):
                await uow.commit()
            return result

    for _ in range(3):
        made = await with_fare_quota(req, attempt)
        if not isinstance(made, Refused):
            return made
        taken = await not_free(service, show_id, wanted, legs)
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


async def not_free(service: Service, show_id: str, seat_ids: Sequence[str],
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
