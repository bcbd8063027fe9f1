"""The per-customer limit: seats and standing places one customer holds or has booked for
one show, kept as a counter row (:class:`models.CustomerPlaces`).

A hold raises its customer's row with one conditional upsert — refused when it would pass
the limit — and gives its places back when it ends (released, expired, or its booking
cancelled or expired). The row is the customer's own, so customers never wait on each
other for it.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from subgraphs.booking.models import CustomerPlaces
from subgraphs.kernel.errors import BadUserInput


def over_limit(limit: int, field: str) -> BadUserInput:
    """The error for a customer who would pass ``limit`` places on a show."""
    return BadUserInput(f"One customer may hold or book at most {limit} places for a show.",
                        field=field, limit=limit)


def take(dialect: str, show_id: str, user_id: str, places: int,
         limit: int) -> ReturningInsert[tuple[int]]:
    """The upsert that adds ``places`` to the customer's row; it returns the new total, or
    no row at all when that total would pass ``limit`` (nothing changes then).

    ``places`` itself must not pass ``limit``: a first row is inserted unchecked.
    """
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
        CustomerPlaces).values(show_id=show_id, user_id=user_id, places=places)
    return stmt.on_conflict_do_update(
        index_elements=[CustomerPlaces.show_id, CustomerPlaces.user_id],
        set_={"places": CustomerPlaces.places + stmt.excluded.places},
        where=CustomerPlaces.places + stmt.excluded.places <= limit,
    ).returning(CustomerPlaces.places)


async def give_back(session: AsyncSession, show_id: str, user_id: str, places: int) -> None:
    """A hold of the customer's ended: its places no longer count."""
    if places:
        await session.execute(
            update(CustomerPlaces)
            .where(CustomerPlaces.show_id == show_id, CustomerPlaces.user_id == user_id)
            .values(places=CustomerPlaces.places - places)
            .execution_options(synchronize_session=False))
