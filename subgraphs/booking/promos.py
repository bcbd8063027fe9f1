"""Promo codes: organizers make them, customers apply one to a hold, checkout redeems it, and
a booking that ends without being kept gives its redemption back.

The money rule (README, "Promo codes"): amounts stay integer minor units of the show's
currency. A PERCENT code takes ``percent`` of each line in its scope, rounded half up to
the minor unit (:func:`.promo_rules.percent_off`); an AMOUNT code takes its amount off the
lines in its scope, in line order (seats in seat-map order, then standing sections), each
line at most down to zero (:func:`.promo_rules.discounts`). No total is ever below zero.

Redeeming and giving back are in :mod:`.redemptions`, hidden categories in
:mod:`.unlocking`.

Redemptions are counted by the database, not by Python. Checkout (in its own transaction,
the hold locked) first raises the customer's row of :class:`~.models.PromoCustomerUse`
with one conditional upsert (refused past ``max_per_customer``), then the code's
``redeemed`` with one conditional UPDATE (refused at ``max_redemptions``). Under READ
COMMITTED both statements wait for a concurrent writer of the same row and evaluate their
condition again on the row it committed, so no code is redeemed past its limits however
many checkouts race; the customer's row is taken first, so the code's row — the one every
checkout of the code shares — is locked only from its UPDATE to the commit. On SQLite,
writers take turns (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.booking import unlocking
from subgraphs.booking.hold_changes import effective_status
from subgraphs.booking.holds import show_of
from subgraphs.booking.models import (
    BookableShow,
    Hold,
    HoldPromoCode,
    HoldStatus,
    PromoCode,
    PromoKind,
)
from subgraphs.booking.promo_rules import (
    MAX_CATEGORY,
    MAX_SCOPE,
    Reason,
    Rejected,
    code_key,
    find,
    lines_of,
    refusal,
    uses_of,
)
from subgraphs.booking.reads import prices_of_holds
from subgraphs.kernel.auth import Caller, require_caller, require_owner_or_admin, require_role
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.errors import BadUserInput, Conflict, Forbidden, NotFound
from subgraphs.kernel.idempotency import clean_key, create_once
from subgraphs.kernel.l10n import check_currency
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork, retrying

# ------------------------------------------------------------------------------- organizers

@dataclass(frozen=True)
class NewCode:
    """What ``createPromoCode`` asks for, as the schema read it."""

    code: str
    kind: str
    percent: int | None
    amount: int | None
    currency: str | None
    show_ids: list[str]
    categories: list[str]
    valid_from: datetime | None
    valid_until: datetime | None
    max_redemptions: int | None
    max_per_customer: int | None
    unlocks_categories: list[str]
    organizer_id: str | None = None  # admins only: whose code it is


def _distinct(values: Sequence[str], field: str, longest: int) -> list[str]:
    cleaned = [v.strip() for v in values]
    if len(cleaned) > MAX_SCOPE:
        raise BadUserInput(f"Give at most {MAX_SCOPE}.", field=field)
    if any(not 1 <= len(v) <= longest for v in cleaned):
        raise BadUserInput(f"Each is 1 to {longest} characters.", field=field)
    if len(set(cleaned)) != len(cleaned):
        raise BadUserInput("A value appears twice.", field=field)
    return cleaned


def validate(new: NewCode) -> NewCode:
    """The request checked (``BAD_USER_INPUT`` naming the first bad field) and tidied."""
    code_key(new.code, "input.code")
    if new.kind == PromoKind.PERCENT:
        # A code that unlocks hidden categories may take nothing off (0 %).
        lowest = 0 if new.unlocks_categories else 1
        if new.percent is None or not lowest <= new.percent <= 100:
            raise BadUserInput(f"A PERCENT code takes off {lowest} to 100 percent.",
                               field="input.percent")
        if new.amount is not None:
            raise BadUserInput("A PERCENT code has no amount.", field="input.amount")
    else:
        if new.amount is None or new.currency is None:
            raise BadUserInput("An AMOUNT code needs an amount.", field="input.amount")
        if new.amount < 1:
            raise BadUserInput("The amount is at least one minor unit.",
                               field="input.amount.amount")
        check_currency(new.currency, "input.amount.currency")
        if new.percent is not None:
            raise BadUserInput("An AMOUNT code has no percent.", field="input.percent")
    for limit, field in ((new.max_redemptions, "input.maxRedemptions"),
                         (new.max_per_customer, "input.maxPerCustomer")):
        if limit is not None and not 1 <= limit <= 1_000_000_000:
            raise BadUserInput("A limit is at least 1.", field=field)
    if (new.valid_from is not None and new.valid_until is not None
            and new.valid_until <= new.valid_from):
        raise BadUserInput("validUntil must be after validFrom.", field="input.validUntil")
    return NewCode(
        code=new.code.strip(), kind=new.kind, percent=new.percent, amount=new.amount,
        currency=None if new.currency is None else new.currency.strip().upper(),
        show_ids=_distinct(new.show_ids, "input.showIds", 36),
        categories=_distinct(new.categories, "input.categories", MAX_CATEGORY),
        valid_from=new.valid_from, valid_until=new.valid_until,
        max_redemptions=new.max_redemptions, max_per_customer=new.max_per_customer,
        unlocks_categories=_distinct(new.unlocks_categories, "input.unlocksCategories",
                                     MAX_CATEGORY),
        organizer_id=new.organizer_id)


async def _owner(session: AsyncSession, who: Caller, new: NewCode) -> str:
    """Whose code it is: the organizer's own, or for an admin the organizer named or the
    one of the shows named. Every show named must be that organizer's (``FORBIDDEN``
    otherwise) and, for an amount, in its currency."""
    shows = list(await session.scalars(select(BookableShow)
                                       .where(BookableShow.id.in_(new.show_ids))))
    if len(shows) != len(new.show_ids):
        known = {s.id for s in shows}
        raise NotFound("No show with this id is on sale.", field="input.showIds",
                       showIds=[s for s in new.show_ids if s not in known])
    if who.is_admin:
        owners = {s.organizer_id for s in shows} | (
            {new.organizer_id} if new.organizer_id else set())
        if len(owners) != 1:
            raise BadUserInput("Name the organizer (organizerId), or shows of one organizer.",
                               field="input.organizerId")
        owner = owners.pop()
    else:
        if new.organizer_id not in (None, who.user_id):
            raise Forbidden("Organizers make codes of their own.")
        owner = who.user_id
        if any(s.organizer_id != owner for s in shows):
            raise Forbidden("These are another organizer's shows.")
    if new.kind == PromoKind.AMOUNT and any(s.currency != new.currency for s in shows):
        raise BadUserInput("An amount applies to shows in its currency only.",
                           field="input.amount.currency")
    return owner


async def create_code(service: Service, caller: Caller | None, new: NewCode,
                      idempotency_key: str | None = None) -> PromoCode:
    """A new code of an organizer's (the organizer, or an admin for them)."""
    who = require_role(caller, "ORGANIZER")
    new = validate(new)
    key = clean_key(idempotency_key)

    async def create(uow: UnitOfWork) -> tuple[PromoCode, str | None]:
        owner = await _owner(uow.session, who, new)
        if await find(uow.session, owner, code_key(new.code)) is not None:
            raise Conflict("This organizer has a promo code with this text already.",
                           field="input.code")
        code = PromoCode(organizer_id=owner, code=new.code, code_key=code_key(new.code),
                         kind=new.kind, percent=new.percent, amount=new.amount,
                         currency=new.currency, show_ids=new.show_ids,
                         categories=new.categories, unlocks_categories=new.unlocks_categories,
                         valid_from=new.valid_from, valid_until=new.valid_until,
                         max_redemptions=new.max_redemptions,
                         max_per_customer=new.max_per_customer, redeemed=0, active=True,
                         created_at=utcnow())
        uow.session.add(code)
        await uow.session.flush()
        return code, code.id

    async def load(code_id: str) -> PromoCode:
        found = await service.get(PromoCode, code_id)
        if found is None:  # codes are never deleted
            raise NotFound("No promo code with this id.", field="id")
        return found

    request = {k: (v.isoformat() if isinstance(v, datetime) else v)
               for k, v in new.__dict__.items()}
    try:
        return await create_once(service, service.idempotency, user_id=who.user_id, key=key,
                                 operation="createPromoCode", request=request, create=create,
                                 load=load)
    except IntegrityError as error:  # two requests made the same code at once
        raise Conflict("This organizer has a promo code with this text already.",
                       field="input.code") from error


async def deactivate_code(service: Service, caller: Caller | None, code_id: str) -> PromoCode:
    """Withdraw a code (its organizer or an admin): no hold can apply it and no checkout
    redeem it from now on; bookings that redeemed it keep their discount."""
    who = require_role(caller, "ORGANIZER")
    async with service.uow() as uow:
        code = await uow.session.get(PromoCode, code_id)
        if code is None:
            raise NotFound("No promo code with this id.", field="id")
        require_owner_or_admin(who, code.organizer_id)
        await uow.session.execute(update(PromoCode).where(PromoCode.id == code_id)
                                  .values(active=False)
                                  .execution_options(synchronize_session=False))
        await uow.commit()
    found = await service.get(PromoCode, code_id)
    if found is None:  # codes are never deleted
        raise NotFound("No promo code with this id.", field="id")
    return found


async def codes(service: Service, caller: Caller | None,
                organizer_id: str | None = None) -> list[PromoCode]:
    """An organizer's codes, newest first: the caller's own, or for an admin the organizer
    named (everyone's when none is)."""
    who = require_role(caller, "ORGANIZER")
    if not who.is_admin:
        if organizer_id not in (None, who.user_id):
            raise Forbidden("Organizers see their own promo codes.")
        organizer_id = who.user_id
    query = select(PromoCode).order_by(PromoCode.created_at.desc(), PromoCode.id)
    if organizer_id is not None:
        query = query.where(PromoCode.organizer_id == organizer_id)
    async with service.db.reader() as session:
        return list(await session.scalars(query))


# --------------------------------------------------------------------------------- customers

async def _locked_active(uow: UnitOfWork, who: Caller, hold_id: str) -> Hold:
    hold = await uow.session.get(Hold, hold_id, with_for_update=True)
    if hold is None:
        raise NotFound("No hold with this id.", field="holdId")
    require_owner_or_admin(who, hold.user_id)
    status = effective_status(hold, utcnow())
    if status != HoldStatus.ACTIVE:
        raise Conflict(f"Only an active hold takes a promo code; this one is {status}.",
                       field="holdId", status=status)
    return hold


async def apply_code(service: Service, caller: Caller | None, hold_id: str,
                     text: str) -> Hold | Rejected:
    """Apply a code to the caller's active hold (replacing one applied before), or say why
    it cannot be used; a refused code changes nothing. The code is checked again, and
    redeemed, at checkout."""
    who = require_caller(caller)
    key = code_key(text)

    async def attempt() -> Hold | Rejected:
        async with service.uow() as uow:
            hold = await _locked_active(uow, who, hold_id)
            show = await show_of(service, hold.show_id)
            code = await find(uow.session, show.organizer_id, key)
            if code is None:
                return Rejected(text, Reason.NOT_FOUND)
            price = (await prices_of_holds(uow.session, [hold.id]))[0]
            lines = lines_of(price)
            reason = refusal(code, show, lines, utcnow())
            if reason is None and unlocking.closes(await unlocking.hidden_of(service, show.id),
                                                   code, [c for c, _ in lines]):
                reason = Reason.NOT_APPLICABLE  # it would not unlock what the hold has
            if reason is None and code.max_redemptions is not None \
                    and code.redeemed >= code.max_redemptions:
                reason = Reason.EXHAUSTED
            if reason is None and code.max_per_customer is not None \
                    and await uses_of(uow.session, code.id, hold.user_id) \
                    >= code.max_per_customer:
                reason = Reason.CUSTOMER_LIMIT_REACHED
            if reason is not None:
                return Rejected(text, reason)
            applied = await uow.session.get(HoldPromoCode, hold.id)
            if applied is None:
                uow.session.add(HoldPromoCode(hold_id=hold.id, code_id=code.id))
            else:
                applied.code_id = code.id
            await uow.commit()
        return hold

    return await retrying(attempt)


async def remove_code(service: Service, caller: Caller | None, hold_id: str) -> Hold:
    """Take the code off the caller's active hold (nothing to do when it has none); a hold
    of a hidden category keeps the code that unlocks it (``CONFLICT``)."""
    who = require_caller(caller)

    async def attempt() -> Hold:
        async with service.uow() as uow:
            hold = await _locked_active(uow, who, hold_id)
            show = await show_of(service, hold.show_id)
            price = (await prices_of_holds(uow.session, [hold.id]))[0]
            closed = unlocking.closes(await unlocking.hidden_of(service, show.id), None,
                                      [c for c, _ in lines_of(price)])
            if closed:
                raise Conflict("This hold has places only its promo code unlocks; release "
                               "the hold instead.", field="holdId", categories=closed)
            await uow.session.execute(delete(HoldPromoCode)
                                      .where(HoldPromoCode.hold_id == hold.id))
            await uow.commit()
        return hold

    return await retrying(attempt)


# -------------------------------------------------------------------------------- the loaders

async def codes_of_holds(session: AsyncSession,
                         hold_ids: Sequence[str]) -> list[PromoCode | None]:
    """The code applied to each hold (``None`` when none), in one query."""
    rows = (await session.execute(
        select(HoldPromoCode.hold_id, PromoCode)
        .join(PromoCode, PromoCode.id == HoldPromoCode.code_id)
        .where(HoldPromoCode.hold_id.in_(set(hold_ids))))).all()
    found = {hold_id: code for hold_id, code in rows}
    return [found.get(h) for h in hold_ids]
