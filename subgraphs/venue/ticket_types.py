"""Ticket types of a show: Adult, Child, Senior... sold for the same seat or standing place,
each with its own price per category, an optional eligibility note and a minimum and
maximum per order (a hold). A show without ticket types sells at its price tiers alone.

``createShow`` checks them (:func:`check`), stores them, and ``ShowPublished`` carries them
to booking (:func:`published`), which prices each hold line from the chosen type.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kernel.errors import BadUserInput
from subgraphs.venue.models import TicketType

KEY = re.compile(r"^[A-Z][A-Z0-9_]{0,39}$")
MAX_TYPES = 20
MAX_PER_ORDER = 1000


@dataclass(frozen=True)
class TicketTypeSpec:
    key: str
    name: str
    prices: tuple[tuple[str, int], ...]  # (category, minor units)
    eligibility: str | None = None
    min_per_order: int = 0
    max_per_order: int | None = None


def check(types: Sequence[TicketTypeSpec]) -> None:
    """The types' own fields (categories are checked against the hall by :func:`check_hall`)."""
    if len(types) > MAX_TYPES:
        raise BadUserInput(f"Give at most {MAX_TYPES} ticket types.", field="input.ticketTypes")
    seen: set[str] = set()
    for i, t in enumerate(types):
        at = f"input.ticketTypes[{i}]"
        if not KEY.match(t.key):
            raise BadUserInput("A key is 1 to 40 capital letters, digits or _, starting with "
                               "a letter, e.g. ADULT.", field=f"{at}.key")
        if t.key in seen:
            raise BadUserInput(f"The ticket type {t.key} is given twice.", field=f"{at}.key")
        seen.add(t.key)
        if not t.name.strip() or len(t.name.strip()) > 100:
            raise BadUserInput("Enter a name of 1 to 100 characters.", field=f"{at}.name")
        if t.eligibility is not None and len(t.eligibility) > 500:
            raise BadUserInput("Keep the eligibility note to 500 characters.",
                               field=f"{at}.eligibility")
        if not 0 <= t.min_per_order <= MAX_PER_ORDER:
            raise BadUserInput(f"minPerOrder is 0 to {MAX_PER_ORDER}.",
                               field=f"{at}.minPerOrder")
        if t.max_per_order is not None and not (
                max(1, t.min_per_order) <= t.max_per_order <= MAX_PER_ORDER):
            raise BadUserInput(f"maxPerOrder is at least 1 and minPerOrder, at most "
                               f"{MAX_PER_ORDER}.", field=f"{at}.maxPerOrder")
        categories: set[str] = set()
        for j, (category, amount) in enumerate(t.prices):
            if category in categories:
                raise BadUserInput(f"{category} is priced twice.",
                                   field=f"{at}.prices[{j}].category")
            categories.add(category)
            if amount < 0:
                raise BadUserInput("A price cannot be negative.",
                                   field=f"{at}.prices[{j}].amount")


def check_hall(types: Sequence[TicketTypeSpec], categories: set[str]) -> None:
    """Every type prices exactly the categories the hall uses."""
    for i, t in enumerate(types):
        priced = {c for c, _ in t.prices}
        unknown = sorted(priced - categories)
        if unknown:
            raise BadUserInput(f"The hall has no category {unknown[0]}.",
                               field=f"input.ticketTypes[{i}].prices")
        missing = sorted(categories - priced)
        if missing:
            raise BadUserInput(f"Price {', '.join(missing)} for {t.key} too.",
                               field=f"input.ticketTypes[{i}].prices", categories=missing)


def rows(show_id: str, types: Sequence[TicketTypeSpec]) -> list[TicketType]:
    """The rows to store for a new show."""
    return [TicketType(show_id=show_id, key=t.key, position=i, name=t.name.strip(),
                       eligibility=(t.eligibility or "").strip() or None,
                       prices=dict(t.prices), min_per_order=t.min_per_order,
                       max_per_order=t.max_per_order) for i, t in enumerate(types)]


async def published(session: AsyncSession, show_id: str) -> list[dict[str, Any]]:
    """``ShowPublished.ticket_types``: the show's types in order (empty without types)."""
    found = await session.scalars(select(TicketType).where(TicketType.show_id == show_id)
                                  .order_by(TicketType.position))
    return [{"key": t.key, "name": t.name, "eligibility": t.eligibility,
             "prices": dict(t.prices), "min_per_order": t.min_per_order,
             "max_per_order": t.max_per_order} for t in found]
