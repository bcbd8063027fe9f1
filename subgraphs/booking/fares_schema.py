"""GraphQL types of ``Show.fares`` and ``SeatHold.fareClass`` (the prices come from
:mod:`.fares`)."""

from __future__ import annotations

from collections.abc import Sequence

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.booking import fares, inventory, models
from subgraphs.kernel.graphql import Info, Money, session_batch


@strawberry.type(description="What one seat of a category costs on a segment, without a fare "
                 "class (fareClass null) or in one.")
class Fare:
    category: str
    fare_class: str | None = strawberry.field(description="Null: the segment's fare itself.")
    amount: Money
    seats_left: int | None = strawberry.field(description=(
        "Seats of the fare class still to be had on every leg of the segment (its quota "
        "less what is held or sold); null when there is no quota."))


async def show_fares(info: Info, show_id: str, segment: tuple[int, int] | None) -> list[Fare]:
    """Every category's fare over ``segment`` (default: the whole journey), and in each of
    the show's fare classes; empty when booking has no such show."""
    async with info.context.service.db.reader() as session:
        show = await session.get(models.BookableShow, show_id)
        if show is None:
            return []
        legs = inventory.legs_of(show, segment)
        found = await fares.show_fares(session, show_id, show.fares, legs)
    return [Fare(category=c, fare_class=k, amount=Money(amount=a, currency=show.currency),
                 seats_left=left) for c, k, a, left in found]


async def _classes_of_holds(session: AsyncSession, hold_ids: Sequence[str]) -> list[str | None]:
    found = await fares.prices_of(session, hold_ids)
    return [found[h][0] if h in found else None for h in hold_ids]


load_hold_classes = session_batch(_classes_of_holds)
