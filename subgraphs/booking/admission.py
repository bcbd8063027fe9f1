"""General admission: holding places in a standing section, counted, never numbered.

Places left are ``capacity - sold - places of live holds``, read under the show's lock
(:func:`inventory.bump_version`) just before the hold line is written. Every change of
the show's places waits on that lock, so no two holds can both see the same last places,
and an expired hold stops counting without any sweeper (it is not a live hold).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from subgraphs.booking.inventory import (
    admission_held,
    announce_after_commit,
    bump_version,
    enforce_customer_limit,
)
from subgraphs.booking.models import AdmissionSection, Hold, HoldAdmission
from subgraphs.kernel.app import Service
from subgraphs.kernel.auth import Caller, require_caller
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.errors import BadUserInput, NotFound
from subgraphs.kernel.idempotency import clean_key, create_once
from subgraphs.kernel.uow import UnitOfWork


@dataclass(frozen=True)
class NotEnoughPlaces:
    """The hold failed: fewer places than asked for are left in the section."""

    available: int


class SoldOutError(Exception):
    """Rolls a hold back: fewer places or seats than asked for are left."""

    def __init__(self, available: int) -> None:
        super().__init__(available)
        self.available = available


def validate_quantity(quantity: int, limit: int) -> int:
    """``quantity`` if it is 1 to ``limit``, or ``BAD_USER_INPUT``."""
    if not 1 <= quantity <= limit:
        raise BadUserInput(f"Hold 1 to {limit} places at once.", field="quantity")
    return quantity


async def hold_general_admission(
    service: Service, caller: Caller | None, show_id: str, section_id: str, quantity: int,
    idempotency_key: str | None = None,
) -> Hold | NotEnoughPlaces:
    """Hold ``quantity`` places of a standing section for the caller, or none."""
    who = require_caller(caller)
    validate_quantity(quantity, service.settings.max_seats_per_hold)
    key = clean_key(idempotency_key)
    now = utcnow()
    expires = now + timedelta(seconds=service.settings.hold_ttl_seconds)

    async def create(uow: UnitOfWork) -> tuple[Hold, str]:
        show = await bump_version(uow.session, show_id)
        if show is None:
            raise NotFound("No show with this id is on sale.", field="showId")
        if show.status != "ON_SALE":
            raise BadUserInput("This show is not on sale.", field="showId")
        section = await uow.session.get(AdmissionSection, (show_id, section_id))
        if section is None:
            raise BadUserInput("This show has no standing section with this id.",
                               field="sectionId")
        held = (await admission_held(uow.session, [show_id], now, section_id)).get(
            (show_id, section_id), 0)
        available = section.capacity - section.sold - held
        if quantity > available:
            raise SoldOutError(max(0, available))
        await enforce_customer_limit(uow.session, service.settings.max_seats_per_customer,
                                     show_id, who.user_id, now, quantity, "quantity")
        hold = Hold(show_id=show_id, user_id=who.user_id, expires_at=expires)
        uow.session.add(hold)
        await uow.session.flush()
        uow.session.add(HoldAdmission(hold_id=hold.id, section_id=section_id, show_id=show_id,
                                      quantity=quantity))
        uow.emit("AdmissionHeld", {"hold_id": hold.id, "show_id": show_id,
                                   "user_id": who.user_id, "section_id": section_id,
                                   "quantity": quantity, "expires_at": expires.isoformat()})
        await announce_after_commit(service, uow, show, [])
        return hold, hold.id

    try:
        return await create_once(
            service, service.idempotency, user_id=who.user_id, key=key,
            operation="holdGeneralAdmission",
            request={"show_id": show_id, "section_id": section_id, "quantity": quantity},
            create=create, load=lambda id: service.get(Hold, id))
    except SoldOutError as sold_out:
        return NotEnoughPlaces(sold_out.available)
