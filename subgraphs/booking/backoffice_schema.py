"""GraphQL types of the back office that do not name ``Booking`` (``Booking.history``, the
page info of ``Query.organizerBookings``; the rest is beside ``Booking`` in :mod:`.schema`);
the rules are :mod:`.backoffice`'s."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.booking import backoffice
from subgraphs.booking.models import BookableShow
from subgraphs.booking.models import Booking as BookingRow
from subgraphs.kernel.db import one_each
from subgraphs.kernel.graphql import Info, Money, session_batch


@strawberry.enum(description="What happened to a booking.")
class BookingEventKind(Enum):
    HELD = "HELD"
    CHECKED_OUT = "CHECKED_OUT"
    CONFIRMED = "CONFIRMED"
    REFUNDED = "REFUNDED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    CHECKED_IN = "CHECKED_IN"


@strawberry.type(description="One step of a booking's history.")
class BookingEvent:
    kind: BookingEventKind
    at: datetime
    amount: Money | None = strawberry.field(description="CONFIRMED: what was paid; "
                                            "REFUNDED: what was given back.")
    ticket_id: strawberry.ID | None = strawberry.field(description="CHECKED_IN: the ticket.")
    seat: str | None = strawberry.field(description="CHECKED_IN: the ticket's label.")
    gate: str | None = strawberry.field(description="CHECKED_IN: where it was scanned.")


@strawberry.type
class BookingPageInfo:
    has_next_page: bool
    end_cursor: str | None


async def search(info: Info, search: backoffice.Search, first: int,
                 after: str | None) -> backoffice.Page:
    """``Query.organizerBookings``: the page (``BookingConnection`` is built in :mod:`.schema`)."""
    async with info.context.service.db.reader() as session:
        return await backoffice.organizer_bookings(session, info.context.caller, search,
                                                   first, after)


async def _histories(session: AsyncSession,
                     ids: Sequence[str]) -> list[list[backoffice.HistoryEvent]]:
    rows = [b for b in await one_each(session, BookingRow.id, ids) if b is not None]
    found = dict(zip([b.id for b in rows], await backoffice.histories(session, rows),
                     strict=True))
    return [found.get(i, []) for i in ids]


_load_histories = session_batch(_histories)


async def history(info: Info, booking: BookingRow, show: BookableShow | None
                  ) -> list[BookingEvent]:
    """``Booking.history``: its owner, its show's organizer, its venue's team, admins
    (others FORBIDDEN)."""
    caller = info.context.caller
    member = False
    if (caller is not None and show is not None and not caller.is_admin
            and caller.user_id not in (booking.user_id, show.organizer_id)):
        async with info.context.service.db.reader() as session:
            member = await backoffice.team_role(session, caller.user_id,
                                                show.venue_id) is not None
    backoffice.may_read_history(caller, booking.user_id,
                                None if show is None else show.organizer_id, member)
    events = await info.context.loader(_load_histories).load(booking.id)
    return [BookingEvent(kind=BookingEventKind(e.kind), at=e.at,
                         amount=None if e.amount is None else Money(amount=e.amount,
                                                                    currency=booking.currency),
                         ticket_id=None if e.ticket_id is None else strawberry.ID(e.ticket_id),
                         seat=e.seat, gate=e.gate)
            for e in events]
