"""General admission: holding places in a standing section, counted, never numbered.

A section keeps ``held`` and ``sold`` counters. A hold stores itself first, then takes its
places with one conditional UPDATE of the section (``capacity - sold - held >=
quantity``): no two holds can both take the last places, and the section's row is locked
only from that statement to the commit. Places of a hold that lapsed still count until the
sweeper releases it, so a refused hold releases the show's lapsed holds and tries once
more: an expired hold never keeps places from anyone.
"""

from __future__ import annotations

from sqlalchemy import insert

from subgraphs.booking import sections, ticket_types, unlocking
from subgraphs.booking.holds import (
    Request,
    insert_hold,
    make,
    new_hold,
    require_on_sale,
    show_of,
    validate_quantity,
)
from subgraphs.booking.ledger import Ledger
from subgraphs.booking.models import AdmissionSection, HoldAdmission
from subgraphs.booking.outcomes import Held, OverLimit, Refused, SoldOut
from subgraphs.booking.promo_rules import Rejected
from subgraphs.kernel.auth import Caller, require_caller
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.errors import BadUserInput
from subgraphs.kernel.events import AdmissionHeld
from subgraphs.kernel.idempotency import clean_key
from subgraphs.kernel.inputs import could_be_id
from subgraphs.kernel.service import Service

NO_SECTION = "This show has no standing section with this id."


async def hold_general_admission(
    service: Service, caller: Caller | None, show_id: str, section_id: str, quantity: int,
    idempotency_key: str | None = None, promo_code: str | None = None,
    ticket_type: str | None = None,
) -> Held | SoldOut | Rejected:
    """Hold ``quantity`` places of a standing section for the caller, or none (a section of
    a hidden category needs a ``promo_code`` that unlocks it); on a show with ticket types,
    all of them as ``ticket_type`` (default: the show's default type)."""
    who = require_caller(caller)
    validate_quantity(quantity, service.settings.max_seats_per_hold)
    key = clean_key(idempotency_key)
    show = await show_of(service, show_id)
    if not could_be_id(section_id):
        # The hold's row names its section before the section is counted, and the column
        # holds an id: what cannot be one is answered as an unknown section, unwritten.
        await _left(service, show_id, section_id)  # raises, as for any unknown section
        raise BadUserInput(NO_SECTION, field="sectionId")
    tickets = await ticket_types.choose(service, show_id, quantity, single=ticket_type)
    gate = await unlocking.gate(service, who, show, promo_code)
    if isinstance(gate, Rejected):
        return gate
    await unlocking.refuse_closed_section(service, gate, show_id, section_id)
    req = Request(service, who, show, "holdGeneralAdmission",
                  {"show_id": show_id, "section_id": section_id, "quantity": quantity,
                   **({"promo_code": gate.code.id} if gate.code else {}),
                   **(tickets.arguments() if tickets else {})}, key,
                  "quantity", None if gate.code is None else gate.code.id, tickets=tickets)

    async def attempt() -> Held | Refused | OverLimit:
        hold = new_hold(req, range(0, 1), quantity)
        async with service.uow() as uow:
            if not await insert_hold(req, uow, hold):
                return OverLimit()
            await uow.session.execute(insert(HoldAdmission).values(
                hold_id=hold.id, section_id=section_id, show_id=show_id, quantity=quantity))
            if not await sections.take(uow.session, show_id, section_id, quantity):
                return Refused()
            if tickets is not None:
                await ticket_types.freeze_places(uow, hold.id, tickets, show_id, section_id)
            Ledger.of(service, uow).touched(show)
            uow.emit(AdmissionHeld(hold_id=hold.id, show_id=show_id, user_id=who.user_id,
                                   section_id=section_id, quantity=quantity,
                                   expires_at=hold.expires_at.isoformat()))
            await uow.commit()
        return Held(hold)

    swept = False
    for _ in range(5):
        try:
            made = await make(req, attempt)
        except BadUserInput as error:
            # Over the customer's limit, but too few places anyway: sold out comes first.
            free, lapsed = await _left(service, show_id, section_id)
            if error.extensions().get("limit") is not None and quantity > free + lapsed:
                return SoldOut(max(0, free + lapsed))
            raise
        if not isinstance(made, Refused):
            return made
        free, lapsed = await _left(service, show_id, section_id)
        if quantity > free and lapsed and not swept:
            swept = True  # lapsed holds' places still count: take them back
            await _reclaim(service, show_id, section_id)
        elif quantity > free:
            return SoldOut(max(0, free + lapsed))
        # else places came back between the two (a hold ended): try again
    free, lapsed = await _left(service, show_id, section_id)
    return SoldOut(max(0, free + lapsed))


async def _reclaim(service: Service, show_id: str, section_id: str) -> None:
    async with service.uow() as uow:
        await sections.reclaim(uow.session, show_id, section_id, utcnow())
        await uow.commit()


async def _left(service: Service, show_id: str, section_id: str) -> tuple[int, int]:
    """Why a hold of places was refused: the show is not on sale or has no such section
    (errors), or the places the counters leave now and how many held ones have lapsed."""
    now = utcnow()
    async with service.db.reader() as session:
        await require_on_sale(session, show_id)
        section = await session.get(AdmissionSection, (show_id, section_id))
        if section is None:
            raise BadUserInput(NO_SECTION, field="sectionId")
        lapsed = await sections.lapsed(session, show_id, section_id, now)
    return section.capacity - section.sold - section.held, lapsed
