"""A hold's changes after it is made: released by its owner (or an admin), or extended."""

from __future__ import annotations

from datetime import datetime, timedelta

from subgraphs.booking import expiry, seats, sections
from subgraphs.booking.holds import show_of
from subgraphs.booking.ledger import Ledger
from subgraphs.booking.models import (
    Hold,
    HoldStatus,
)
from subgraphs.booking.outcomes import (
    HoldExpired,
)
from subgraphs.kernel.auth import Caller, require_caller, require_owner_or_admin
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.errors import Conflict, NotFound
from subgraphs.kernel.events import HoldExtended, HoldReleased
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork, retrying


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
