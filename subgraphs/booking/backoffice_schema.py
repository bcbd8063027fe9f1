"""GraphQL types of the back office (``Query.organizerBookings``, ``Booking.history``); the
rules are :mod:`.backoffice`'s."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.booking import backoffice
from subgraphs.booking.models import Booking as BookingRow
from subgraphs.kernel.db import one_each
from subgraphs.kernel.graphql import Info, Money, session_batch
from subgraphs.kernel.inputs import text_rule

if TYPE_CHECKING:
    from subgraphs.booking.schema import Booking, BookingStatus

LazyBooking = Annotated["Booking", strawberry.lazy("subgraphs.booking.schema")]
LazyStatus = Annotated["BookingStatus", strawberry.lazy("subgraphs.booking.schema")]


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


@strawberry.input(description="Which bookings organizerBookings lists: all fields optional, "
                  "every one given must match.")
class BookingSearch:
    show_id: strawberry.ID | None = None
    venue_id: strawberry.ID | None = None
    status: LazyStatus | None = None
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="The customer's user id (search by e-mail is not offered: "
        "booking does not know addresses).")
    created_from: datetime | None = strawberry.field(default=None,
                                                     description="Ordered at or after.")
    created_to: datetime | None = strawberry.field(default=None, description="Ordered before.")
    seat: str | None = strawberry.field(default=None, description="A seat label, exactly.",
                                        metadata=text_rule(40))

    def rules(self) -> backoffice.Search:
        return backoffice.Search(
            show_id=None if self.show_id is None else str(self.show_id),
            venue_id=None if self.venue_id is None else str(self.venue_id),
            status=None if self.status is None else self.status.value,
            customer_id=None if self.customer_id is None else str(self.customer_id),
            created_from=self.created_from, created_to=self.created_to, seat=self.seat)


@strawberry.type
class BookingEdge:
    cursor: str
    node: LazyBooking


@strawberry.type
class BookingPageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="A page of bookings, newest first.")
class BookingConnection:
    edges: list[BookingEdge]
    page_info: BookingPageInfo


async def organizer_bookings(info: Info, search: BookingSearch | None, first: int,
                             after: str | None) -> BookingConnection:
    from subgraphs.booking.schema import Booking

    async with info.context.service.db.reader() as session:
        page = await backoffice.organizer_bookings(
            session, info.context.caller,
            search.rules() if search is not None else backoffice.Search(), first, after)
    return BookingConnection(
        edges=[BookingEdge(cursor=c, node=Booking.from_model(b))
               for b, c in zip(page.bookings, page.cursors, strict=True)],
        page_info=BookingPageInfo(has_next_page=page.has_next_page,
                                  end_cursor=page.end_cursor))


async def _histories(session: AsyncSession,
                     ids: Sequence[str]) -> list[list[backoffice.HistoryEvent]]:
    rows = [b for b in await one_each(session, BookingRow.id, ids) if b is not None]
    found = dict(zip([b.id for b in rows], await backoffice.histories(session, rows),
                     strict=True))
    return [found.get(i, []) for i in ids]


_load_histories = session_batch(_histories)


async def history(info: Info, booking: BookingRow, organizer_id: str | None
                  ) -> list[BookingEvent]:
    """``Booking.history``: its owner, its show's organizer, admins (others FORBIDDEN)."""
    backoffice.may_read_history(info.context.caller, booking.user_id, organizer_id)
    events = await info.context.loader(_load_histories).load(booking.id)
    return [BookingEvent(kind=BookingEventKind(e.kind), at=e.at,
                         amount=None if e.amount is None else Money(amount=e.amount,
                                                                    currency=booking.currency),
                         ticket_id=None if e.ticket_id is None else strawberry.ID(e.ticket_id),
                         seat=e.seat, gate=e.gate)
            for e in events]
