"""Holding the best seats left (see :mod:`.placement` for the rule): chosen from a read,
then taken by the usual conditional UPDATE (:func:`.holds.take_seats`)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from sqlalchemy import func, select

from subgraphs.booking import fares, placement, seats, ticket_types, unlocking
from subgraphs.booking.holds import (
    Request,
    new_hold,
    require_on_sale,
    show_of,
    take_seats,
    validate_quantity,
    with_fare_quota,
)
from subgraphs.booking.inventory import Segment, legs_of
from subgraphs.booking.outcomes import (
    Held,
    OverLimit,
    Refused,
    SoldOut,
)
from subgraphs.booking.placement import Place
from subgraphs.booking.promo_rules import Rejected
from subgraphs.booking.shows import ShowInfo
from subgraphs.kernel.auth import Caller, require_caller
from subgraphs.kernel.errors import BadUserInput, Conflict
from subgraphs.kernel.idempotency import clean_key
from subgraphs.kernel.service import Service

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
    idempotency_key: str | None = None, promo_code: str | None = None,
    fare_class: str | None = None, ticket_type: str | None = None,
) -> Held | SoldOut | Rejected:
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
    fares.check_class(show.fares, fare_class)
    # Every seat chosen is sold as ``ticket_type`` (the show's default when not given).
    tickets = await ticket_types.choose(service, show_id, quantity, single=ticket_type)
    # Seats of hidden categories the code (or no code) leaves closed are never chosen.
    gate = await unlocking.gate(service, who, show, promo_code)
    if isinstance(gate, Rejected):
        return gate
    if wanted_category is not None and wanted_category in gate.closed:
        raise BadUserInput(unlocking.CLOSED, field="category")
    req = Request(service, who, show, "holdBestAvailable",
                  {"show_id": show_id, "quantity": quantity, "category": wanted_category,
                   "segment": list(segment) if segment else None,
                   **({"promo_code": gate.code.id} if gate.code else {}),
                   **({"fare_class": fare_class} if fare_class else {}),
                   **(tickets.arguments() if tickets else {})}, key, "quantity",
                  None if gate.code is None else gate.code.id, fare_class, tickets)
    closed: set[str] | None = None
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

            nonlocal closed
            if closed is None:
                closed = await unlocking.closed_seats(uow.session, gate, show_id)
            shut = closed

            async def free_of(seat_ids: list[str]) -> set[str]:
                return await seats.free_among(uow.session, show_id, seat_ids, legs,
                                              hold.created_at) - placing - shut

            chosen, free = await placement.choose(ranked, quantity, free_of)
            if chosen is None:
                if placing:  # seats being placed may yet come free: not sold out
                    return Refused()
                return Refused(SoldOut(free))
            placing.update(chosen)
            try:
                result = await take_seats(req, uow, hold, chosen, legs, segment is None)
            finally:
                placing.difference_update(chosen)
            if isinstance(result, Held):
                await uow.commit()
            return result

    for _ in range(50):
        made = await with_fare_quota(req, attempt)
        if not isinstance(made, Refused):
            return made
        if made.outcome is not None:
            return made.outcome
        async with service.db.reader() as session:  # the show may have stopped selling
            await require_on_sale(session, show_id)
        queued = True
    raise Conflict("The seats changed hands while holding them; try again.", field="quantity")
