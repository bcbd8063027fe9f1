"""Promo codes' rules: the discount math and whether a code may be used (no I/O but a
customer's uses). The rule in words is in :mod:`.promos` and the README ("Promo codes")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.booking.models import PromoCode, PromoCustomerUse, PromoKind
from subgraphs.booking.reads import HoldPrice
from subgraphs.booking.shows import ShowInfo
from subgraphs.kernel.errors import BadUserInput

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$")
MAX_SCOPE = 100  # show ids, categories
MAX_CATEGORY = 40


class Reason:
    """Why a code was refused (``PromoCodeRejected.reason``)."""

    NOT_FOUND: Final = "NOT_FOUND"  # no such code for this show's organizer
    INACTIVE: Final = "INACTIVE"  # deactivated
    NOT_YET_VALID: Final = "NOT_YET_VALID"  # before validFrom
    EXPIRED: Final = "EXPIRED"  # validUntil has passed
    NOT_APPLICABLE: Final = "NOT_APPLICABLE"  # another show, currency or category
    EXHAUSTED: Final = "EXHAUSTED"  # maxRedemptions reached
    CUSTOMER_LIMIT_REACHED: Final = "CUSTOMER_LIMIT_REACHED"  # maxPerCustomer reached
    ALL: Final = (NOT_FOUND, INACTIVE, NOT_YET_VALID, EXPIRED, NOT_APPLICABLE, EXHAUSTED,
                  CUSTOMER_LIMIT_REACHED)


REASON_TEXT: Final = {
    Reason.NOT_FOUND: "There is no such promo code for this show.",
    Reason.INACTIVE: "This promo code has been withdrawn.",
    Reason.NOT_YET_VALID: "This promo code is not valid yet.",
    Reason.EXPIRED: "This promo code is no longer valid.",
    Reason.NOT_APPLICABLE: "This promo code does not apply to these seats.",
    Reason.EXHAUSTED: "This promo code has been used up.",
    Reason.CUSTOMER_LIMIT_REACHED: "You have used this promo code as often as it allows.",
}


@dataclass(frozen=True)
class Rejected:
    """A code that cannot be used for this hold now: nothing changed."""

    code: str
    reason: str

    @property
    def message(self) -> str:
        return REASON_TEXT[self.reason]


# ---------------------------------------------------------------------------- the money rule

def percent_off(amount: int, percent: int) -> int:
    """``percent`` % of ``amount`` minor units, rounded half up to a minor unit (integers
    only: ``floor(amount * percent / 100 + 1/2)``)."""
    return (2 * amount * percent + 100) // 200


def lines_of(price: HoldPrice) -> list[tuple[str, int]]:
    """A hold's lines as (category, price) in the order the hold lists them: each seat in
    seat-map order, then each standing section's places together."""
    return ([(s.category, s.price_amount) for s in price.seats]
            + [(g.category, a.quantity * price.unit_price(g)) for a, g in price.places])


def in_scope(code: PromoCode, category: str) -> bool:
    return not code.categories or category in code.categories


def discounts(code: PromoCode | None, lines: Sequence[tuple[str, int]]) -> list[int]:
    """What ``code`` takes off each line (0 for lines out of its scope): never more than
    the line, and an amount code never more than its amount in all."""
    if code is None:
        return [0] * len(lines)
    if code.kind == PromoKind.PERCENT:
        return [percent_off(price, code.percent or 0) if in_scope(code, category) else 0
                for category, price in lines]
    left, found = code.amount or 0, []
    for category, price in lines:
        off = min(left, price) if in_scope(code, category) else 0
        found.append(off)
        left -= off
    return found


# ------------------------------------------------------------------------------ validation

def code_key(text: str, field: str = "code") -> str:
    """The code as it is looked up (trimmed, upper case), or ``BAD_USER_INPUT``."""
    text = text.strip()
    if not CODE.match(text):
        raise BadUserInput("A promo code is 3 to 40 letters, digits, '-' or '_', starting "
                           "with a letter or digit.", field=field)
    return text.upper()


def applies(code: PromoCode, show: ShowInfo, lines: Sequence[tuple[str, int]] | None) -> bool:
    """Whether ``code`` may be used on this show's ``lines`` at all: the show's organizer's
    code, for this show (or all theirs), in its currency (amounts), and a line in its scope
    or of a category it unlocks (``None``: lines not known yet, a hold about to be made)."""
    return (code.organizer_id == show.organizer_id
            and (not code.show_ids or show.id in code.show_ids)
            and (code.kind != PromoKind.AMOUNT or code.currency == show.currency)
            and (lines is None
                 or any(in_scope(code, category) or category in code.unlocks_categories
                        for category, _ in lines)))


def locked(hidden: frozenset[str], code: PromoCode | None) -> frozenset[str]:
    """The hidden categories ``code`` (or no code) leaves closed."""
    return hidden if code is None else hidden - set(code.unlocks_categories)


def refusal(code: PromoCode, show: ShowInfo, lines: Sequence[tuple[str, int]] | None,
            now: datetime) -> str | None:
    """Why ``code`` cannot be used for these lines now, counters aside; ``None`` if it can."""
    if not code.active:
        return Reason.INACTIVE
    if code.valid_from is not None and now < code.valid_from:
        return Reason.NOT_YET_VALID
    if code.valid_until is not None and now >= code.valid_until:
        return Reason.EXPIRED
    if not applies(code, show, lines):
        return Reason.NOT_APPLICABLE
    return None


async def uses_of(session: AsyncSession, code_id: str, user_id: str) -> int:
    """Redemptions of the code the customer holds now."""
    found = await session.scalar(select(PromoCustomerUse.used).where(
        PromoCustomerUse.code_id == code_id, PromoCustomerUse.user_id == user_id))
    return int(found or 0)


async def find(session: AsyncSession, organizer_id: str, key: str) -> PromoCode | None:
    return await session.scalar(select(PromoCode).where(PromoCode.organizer_id == organizer_id,
                                                        PromoCode.code_key == key))
