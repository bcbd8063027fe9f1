"""CSV exports of a show's orders and attendees for its organizer (and admins).

``GET /exports/shows/{showId}/orders.csv`` — one row per booking, every status;
``GET /exports/shows/{showId}/attendees.csv`` — one row per ticket (a seat, or one place
of a standing section) of the bookings confirmed now.

The same access rule as ``Show.salesReport``: an ``Authorization: Bearer`` access token,
verified by the kernel's verifier as the graph verifies it (ended sessions refused);
the show's organizer or an admin. Without a token (or with a bad one) the answer is 401,
for anyone else 403, for a show booking does not have 404 — all before any CSV is sent.

The body is streamed: rows are read through a server-side cursor (``stream`` with
``yield_per``) ``CHUNK_ROWS`` at a time and each chunk is written out as CSV before the
next is read, so an export of any size takes the memory of one chunk.

CSV: UTF-8 without a byte order mark, a header row, quoting by the :mod:`csv` module
(``QUOTE_MINIMAL``, ``\\r\\n`` line ends, RFC 4180). Text cells starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return get a leading ``'`` so a spreadsheet shows them as
text instead of running them as formulas (CSV injection); numbers are written as they are.

Attendees carry the holder's user id only: names and emails are auth's, and booking does
not ask another service per row (the organizer can look a user up in the graph).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy import Select, and_, func, select

from subgraphs.booking.models import (
    AdmissionSection,
    BookableShow,
    Booking,
    BookingAdmission,
    BookingLine,
    BookingStatus,
    RefundRecord,
    ShowSeat,
)
from subgraphs.booking.reports import line_discounts, zone_of
from subgraphs.kernel.errors import TicketFlowError
from subgraphs.kernel.service import Service

CHUNK_ROWS = 500
Query = Select[*tuple[Any, ...]]  # rows of any shape
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")

ORDERS_HEADER = ["booking_id", "status", "ordered_at_utc", "ordered_at_local", "user_id",
                 "seats", "standing_places", "gross", "discount", "total", "refunded",
                 "currency", "payment_id"]
ATTENDEES_HEADER = ["booking_id", "ticket_id", "seat_label", "category", "section",
                    "holder_user_id"]


def safe(value: Any) -> Any:
    """A cell as written: text that a spreadsheet would run as a formula gets a leading
    quote; ``None`` is empty; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


class CsvChunks:
    """Rows to CSV text, one chunk at a time."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer)

    def write(self, rows: Iterable[Sequence[Any]]) -> bytes:
        for row in rows:
            self._writer.writerow([safe(v) for v in row])
        out = self._buffer.getvalue().encode("utf-8")
        self._buffer.seek(0)
        self._buffer.truncate()
        return out


def _orders(show: BookableShow) -> Query:
    seats = (select(func.count()).where(BookingLine.booking_id == Booking.id)
             .correlate(Booking).scalar_subquery())
    places = (select(func.coalesce(func.sum(BookingAdmission.quantity), 0))
              .where(BookingAdmission.booking_id == Booking.id)
              .correlate(Booking).scalar_subquery())
    gross = (select(func.coalesce(func.sum(BookingLine.price_amount), 0))
             .where(BookingLine.booking_id == Booking.id).correlate(Booking).scalar_subquery()
             + select(func.coalesce(func.sum(BookingAdmission.quantity
                                             * BookingAdmission.price_amount), 0))
             .where(BookingAdmission.booking_id == Booking.id).correlate(Booking)
             .scalar_subquery())
    discount = (select(func.coalesce(func.sum(line_discounts("seat")), 0))
                .where(BookingLine.booking_id == Booking.id).correlate(Booking)
                .scalar_subquery()
                + select(func.coalesce(func.sum(line_discounts("admission")), 0))
                .where(BookingAdmission.booking_id == Booking.id).correlate(Booking)
                .scalar_subquery())
    refunded = (select(func.coalesce(func.sum(RefundRecord.amount), 0))
                .where(RefundRecord.booking_id == Booking.id).correlate(Booking)
                .scalar_subquery())
    return (select(Booking.id, Booking.status, Booking.created_at, Booking.user_id, seats,
                   places, gross, discount, Booking.total_amount, refunded, Booking.currency,
                   Booking.payment_id)
            .where(Booking.show_id == show.id)
            .order_by(Booking.created_at, Booking.id))


def _order_rows(show: BookableShow, rows: Sequence[Any]) -> Iterable[list[Any]]:
    zone = zone_of(show.time_zone)
    for (id, status, created, user, seats, places, gross, discount, total, refunded,
         currency, payment) in rows:
        at = _aware(created)
        yield [id, status, at.isoformat(), at.astimezone(zone).isoformat(), user, seats,
               places, gross, discount, total, refunded, currency, payment]


def _seat_tickets(show: BookableShow) -> Query:
    return (select(Booking.id, BookingLine.seat_id, BookingLine.label, ShowSeat.category,
                   Booking.user_id)
            .join(BookingLine, BookingLine.booking_id == Booking.id)
            .outerjoin(ShowSeat, and_(ShowSeat.show_id == Booking.show_id,
                                      ShowSeat.seat_id == BookingLine.seat_id,
                                      ShowSeat.leg == 0))
            .where(Booking.show_id == show.id, Booking.status == BookingStatus.CONFIRMED)
            .order_by(Booking.created_at, Booking.id, BookingLine.label))


def _place_tickets(show: BookableShow) -> Query:
    return (select(Booking.id, BookingAdmission.section_id, BookingAdmission.name,
                   AdmissionSection.category, Booking.user_id, BookingAdmission.quantity)
            .join(BookingAdmission, BookingAdmission.booking_id == Booking.id)
            .outerjoin(AdmissionSection,
                       and_(AdmissionSection.show_id == Booking.show_id,
                            AdmissionSection.section_id == BookingAdmission.section_id))
            .where(Booking.show_id == show.id, Booking.status == BookingStatus.CONFIRMED)
            .order_by(Booking.created_at, Booking.id, BookingAdmission.name))


def _seat_rows(_show: BookableShow, rows: Sequence[Any]) -> Iterable[list[Any]]:
    for booking, seat, label, category, user in rows:
        yield [booking, seat, label, category, "", user]


def _place_rows(_show: BookableShow, rows: Sequence[Any]) -> Iterable[list[Any]]:
    # One row per place, as the e-tickets number them (``section:n``).
    for booking, section, name, category, user, quantity in rows:
        for n in range(1, quantity + 1):
            yield [booking, f"{section}:{n}", f"{name} #{n}", category, name, user]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=zone_of("UTC"))


Part = tuple[Query, Any]


async def stream_csv(service: Service, show: BookableShow, header: list[str],
                     parts: Sequence[Part], chunk_rows: int = CHUNK_ROWS
                     ) -> AsyncIterator[bytes]:
    """The header, then each part's rows, ``chunk_rows`` read (and written) at a time."""
    out = CsvChunks()
    yield out.write([header])
    async with service.db.reader() as session:
        for query, to_rows in parts:
            result = await session.stream(query.execution_options(yield_per=chunk_rows))
            async for chunk in result.partitions(chunk_rows):
                yield out.write(to_rows(show, chunk))


def orders_csv(service: Service, show: BookableShow,
               chunk_rows: int = CHUNK_ROWS) -> AsyncIterator[bytes]:
    return stream_csv(service, show, ORDERS_HEADER, [(_orders(show), _order_rows)], chunk_rows)


def attendees_csv(service: Service, show: BookableShow,
                  chunk_rows: int = CHUNK_ROWS) -> AsyncIterator[bytes]:
    return stream_csv(service, show, ATTENDEES_HEADER,
                      [(_seat_tickets(show), _seat_rows), (_place_tickets(show), _place_rows)],
                      chunk_rows)


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


async def allowed_show(service: Service, authorization: str | None,
                       show_id: str) -> BookableShow:
    """The show, if the bearer of ``authorization`` may export it; else :class:`Refused`."""
    try:
        caller = await service.runtime.verifier.from_header(authorization)
    except TicketFlowError as error:
        raise Refused(401, str(error.code), str(error)) from None
    if caller is None:
        raise Refused(401, "UNAUTHENTICATED", "Sign in: 'Authorization: Bearer <access token>'.")
    show = await service.get(BookableShow, show_id)
    if show is None:
        raise Refused(404, "NOT_FOUND", "No show with this id is on sale.")
    if caller.user_id != show.organizer_id and not caller.is_admin:
        raise Refused(403, "FORBIDDEN", "Only the show's organizer or an admin can export it.")
    return show


def routes(app: FastAPI, svc: Service) -> None:
    """Add the export endpoints to booking's app."""

    async def export(request: Request, show_id: str, name: str) -> Response:
        try:
            show = await allowed_show(svc, request.headers.get("authorization"), show_id)
        except Refused as refused:
            headers = {"www-authenticate": "Bearer"} if refused.status == 401 else None
            return JSONResponse({"error": refused.code, "message": refused.message},
                                status_code=refused.status, headers=headers)
        body = orders_csv(svc, show) if name == "orders" else attendees_csv(svc, show)
        return StreamingResponse(body, media_type="text/csv; charset=utf-8", headers={
            "content-disposition": f'attachment; filename="show-{show.id}-{name}.csv"',
            "cache-control": "no-store", "x-content-type-options": "nosniff"})

    @app.get("/exports/shows/{show_id}/orders.csv")
    async def orders(request: Request, show_id: str) -> Response:
        return await export(request, show_id, "orders")

    @app.get("/exports/shows/{show_id}/attendees.csv")
    async def attendees(request: Request, show_id: str) -> Response:
        return await export(request, show_id, "attendees")
