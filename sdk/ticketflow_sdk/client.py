"""``AsyncClient``: the whole TicketFlow API as typed async methods.

Every method sends one operation from :mod:`ticketflow_sdk.operations` through the router,
turns typed union members into exceptions (:mod:`ticketflow_sdk.errors`) and returns
models (:mod:`ticketflow_sdk.models`). Methods that create something take an
``idempotency_key``; when the caller gives none, one is made per call and reused by every
retry of that call, so a retried checkout never books twice.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import AsyncGenerator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from ticketflow_sdk import operations as ops
from ticketflow_sdk._http import GraphQLHttp
from ticketflow_sdk.errors import (
    NotFound,
    TicketFlowError,
    Unauthenticated,
    error_from_graphql,
    error_from_member,
    is_expired_token,
)
from ticketflow_sdk.live import SeatWatch
from ticketflow_sdk.models import (
    AuthPayload,
    Availability,
    Booking,
    BookingStatus,
    Hall,
    Money,
    Payment,
    PaymentProvider,
    RazorpayProof,
    Refund,
    RowSpec,
    SeatHold,
    SeatMap,
    Segment,
    Show,
    ShowKind,
    ShowPage,
    Stop,
    Tokens,
    User,
    Venue,
)
from ticketflow_sdk.tokens import TokenKeeper, TokensCallback, token_expired

SegmentLike = Segment | tuple[int, int]


def new_key() -> str:
    """A fresh idempotency key."""
    return uuid.uuid4().hex


def _segment(segment: SegmentLike | None) -> dict[str, int] | None:
    if segment is None:
        return None
    return (segment if isinstance(segment, Segment) else Segment(*segment)).as_input()


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("TicketFlow times are timezone-aware: give a tzinfo")
    return value.isoformat()


def _first_error(body: Mapping[str, Any]) -> TicketFlowError | None:
    errors = body.get("errors")
    return error_from_graphql(errors[0]) if errors else None


def _found(data: Mapping[str, Any], field: str, what: str) -> Any:
    value = data.get(field)
    if value is None:
        raise NotFound(f"No {what} with this id (or it is not yours to see).")
    return value


def _success(member: Mapping[str, Any]) -> Mapping[str, Any]:
    """A union result's success member; raises the exception any other member stands for."""
    error = error_from_member(member)
    if error is not None:
        raise error
    return member


class AsyncClient:
    """A TicketFlow client on ``httpx.AsyncClient``; use it as ``async with AsyncClient(url)``.

    ``url`` is the router's GraphQL endpoint (``http://localhost:4000/graphql``); live seats
    use the same URL over ``ws://``. ``token``/``refresh_token`` resume a saved session;
    ``on_tokens`` is called with new tokens after every sign-in and refresh (and with None
    once signed out) so an app can persist them. ``retries`` is how many times a transport
    failure or a ``retryable`` error (``SubgraphUnavailable``) is retried, when the operation
    is safe to repeat: the wait doubles from ``backoff`` seconds up to ``max_backoff``, plus
    a random jitter of up to ``backoff``; ``retries=0`` turns retries off. ``transport`` is
    passed to httpx (tests, proxies).
    """

    def __init__(self, url: str, *, token: str | None = None, refresh_token: str | None = None,
                 on_tokens: TokensCallback | None = None, timeout: float = 40.0,
                 retries: int = 3, backoff: float = 0.25, max_backoff: float = 5.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        if retries < 0 or backoff < 0 or max_backoff < backoff:
            raise ValueError("retries and backoff must be >= 0, and max_backoff >= backoff")
        self.url = url
        self.timeout = timeout
        self.backoff = backoff
        self._http = GraphQLHttp(url, timeout=timeout, retries=retries, backoff=backoff,
                                 max_backoff=max_backoff, transport=transport)
        tokens = Tokens(token, refresh_token) if token else None
        self._keeper = TokenKeeper(tokens, on_tokens)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()

    @property
    def tokens(self) -> Tokens | None:
        """The current session's tokens (None when signed out)."""
        return self._keeper.tokens

    # --- the one way a request goes ------------------------------------------------------

    async def execute(self, document: str, variables: Mapping[str, Any] | None = None, *,
                      idempotent: bool = False, anonymous: bool = False) -> dict[str, Any]:
        """Run any GraphQL document and return its ``data``; raises the first error.

        ``idempotent`` lets timeouts, 502/503/504 and ``retryable`` errors
        (``SubgraphUnavailable``) be retried, with the same variables and so the same
        idempotency key (connection failures always are). An access token the server calls
        expired is refreshed once and the request sent once more (it was refused before
        anything ran).
        """
        token = None if anonymous else self._keeper.access_token
        body = await self._http.post(document, variables or {}, token=token,
                                     idempotent=idempotent)
        error = _first_error(body)
        if (error is not None and token is not None and isinstance(error, Unauthenticated)
                and (is_expired_token(error) or token_expired(token))
                and await self._keeper.refresh(token, self._exchange)):
            body = await self._http.post(document, variables or {},
                                         token=self._keeper.access_token,
                                         idempotent=idempotent)
            error = _first_error(body)
        if error is not None:
            raise error
        data: dict[str, Any] = body["data"]
        return data

    async def _exchange(self, refresh_token: str) -> Tokens:
        # Never retried once sent: presenting a spent refresh token ends the session.
        body = await self._http.post(ops.REFRESH, {"refreshToken": refresh_token}, token=None,
                                     idempotent=False)
        error = _first_error(body)
        if error is not None:
            raise error
        return AuthPayload.from_graphql(body["data"]["refresh"]).tokens

    # --- accounts --------------------------------------------------------------------------

    async def register(self, email: str, password: str, name: str) -> User:
        """Create a customer account and sign in with it."""
        data = await self.execute(ops.REGISTER, {"input": {
            "email": email, "password": password, "name": name}}, anonymous=True)
        return await self._signed_in(data["register"])

    async def login(self, email: str, password: str) -> User:
        """Sign in: a new session whose tokens this client keeps (and hands to ``on_tokens``)."""
        data = await self.execute(ops.LOGIN, {"input": {"email": email, "password": password}},
                                  anonymous=True)
        return await self._signed_in(data["login"])

    async def _signed_in(self, payload: Mapping[str, Any]) -> User:
        auth = AuthPayload.from_graphql(payload)
        await self._keeper.set(auth.tokens)
        return auth.user

    async def refresh(self) -> Tokens:
        """Spend the refresh token for new tokens now (normally done for you on expiry)."""
        token = self._keeper.access_token
        if token is None or not await self._keeper.refresh(token, self._exchange):
            raise Unauthenticated("Sign in first: there is no refresh token.")
        tokens = self._keeper.tokens
        if tokens is None:  # a refresh that succeeded keeps the new tokens
            raise RuntimeError("the refreshed tokens are missing")
        return tokens

    async def logout(self) -> None:
        """End this session on the server and forget its tokens."""
        try:
            await self.execute(ops.LOGOUT)
        finally:
            await self._keeper.set(None)

    async def me(self) -> User | None:
        """The signed-in user (None when anonymous)."""
        data = await self.execute(ops.ME, idempotent=True)
        return User.from_graphql(data["me"]) if data["me"] else None

    # --- shows -----------------------------------------------------------------------------

    async def shows(self, *, text: str | None = None, kind: ShowKind | str | None = None,
                    venue_id: str | None = None, starts_from: datetime | None = None,
                    starts_to: datetime | None = None, first: int = 20,
                    after: str | None = None) -> ShowPage:
        """A page of shows on sale, soonest first; ``text`` searches titles."""
        criteria = {"text": text, "kind": kind and str(kind), "venueId": venue_id,
                    "from": _time(starts_from), "to": _time(starts_to)}
        given = {k: v for k, v in criteria.items() if v is not None}
        data = await self.execute(ops.SHOWS, {"filter": given or None, "first": first,
                                              "after": after}, idempotent=True)
        return ShowPage.from_graphql(data["shows"])

    async def iter_shows(self, *, page_size: int = 50,
                         **criteria: Any) -> AsyncGenerator[Show, None]:
        """Every show matching ``criteria`` (those of :meth:`shows`), page after page."""
        after: str | None = None
        while True:
            page = await self.shows(first=page_size, after=after, **criteria)
            for show in page.shows:
                yield show
            if not page.has_next_page:
                return
            after = page.end_cursor

    async def show(self, show_id: str) -> Show:
        """One show (drafts only for their organizer and admins); NotFound otherwise."""
        data = await self.execute(ops.SHOW, {"id": show_id}, idempotent=True)
        return Show.from_graphql(_found(data, "show", "show"))

    async def seat_map(self, show_id: str, segment: SegmentLike | None = None) -> SeatMap:
        """The show's hall, every seat with its place, category and state (over ``segment``)."""
        data = await self.execute(ops.SEAT_MAP, {"id": show_id, "segment": _segment(segment)},
                                  idempotent=True)
        show = _found(data, "show", "show")
        return SeatMap.from_graphql(show["id"], show["seatMap"], show["seatStates"])

    async def availability(self, show_id: str,
                           segment: SegmentLike | None = None) -> Availability | None:
        """Seat and standing counts (None until booking has the show's inventory)."""
        data = await self.execute(ops.AVAILABILITY, {"id": show_id,
                                                     "segment": _segment(segment)},
                                  idempotent=True)
        found = _found(data, "show", "show")["availability"]
        return Availability.from_graphql(found) if found else None

    # --- organizers ------------------------------------------------------------------------

    async def venue(self, venue_id: str) -> Venue:
        """One venue with its halls."""
        data = await self.execute(ops.VENUE, {"id": venue_id}, idempotent=True)
        return Venue.from_graphql(_found(data, "venue", "venue"))

    async def create_venue(self, name: str, rows: Sequence[RowSpec] | None = None, *,
                           idempotency_key: str | None = None) -> Venue:
        """A venue; ``rows`` makes it one simple hall named Main (else add halls with
        :meth:`import_seat_map`)."""
        data = await self.execute(ops.CREATE_VENUE, {
            "input": {"name": name, "rows": [r.as_input() for r in rows] if rows else None},
            "idempotencyKey": idempotency_key or new_key()}, idempotent=True)
        return Venue.from_graphql(data["createVenue"])

    async def import_seat_map(self, venue_id: str,
                              seat_map: Mapping[str, Any] | os.PathLike[str], *,
                              idempotency_key: str | None = None) -> Hall:
        """A hall from a seat-map document (docs/seatmap-format.md), given as a dict or a
        path to its JSON file."""
        document = (json.loads(await asyncio.to_thread(Path(seat_map).read_text))
                    if isinstance(seat_map, os.PathLike) else dict(seat_map))
        data = await self.execute(ops.CREATE_HALL, {
            "venueId": venue_id, "seatMap": document,
            "idempotencyKey": idempotency_key or new_key()}, idempotent=True)
        return Hall.from_graphql(data["createHall"])

    async def create_show(self, title: str, starts_at: datetime, *, venue_id: str | None = None,
                          hall_id: str | None = None, kind: ShowKind | str = ShowKind.OTHER,
                          ends_at: datetime | None = None, price: Money | None = None,
                          price_tiers: Mapping[str, int] | None = None,
                          currency: str | None = None,
                          stops: Sequence[str | Stop] | None = None,
                          idempotency_key: str | None = None) -> Show:
        """A DRAFT show in a hall (``venue_id`` alone when the venue has one hall).

        Price it with ``price`` (every category) or ``price_tiers`` (category → minor
        units, in ``currency``); ``stops`` make it a journey.
        """
        show_input = {
            "title": title, "startsAt": _time(starts_at), "endsAt": _time(ends_at),
            "venueId": venue_id, "hallId": hall_id, "kind": str(kind), "currency": currency,
            "price": {"amount": price.amount, "currency": price.currency} if price else None,
            "priceTiers": [{"category": c, "amount": a} for c, a in price_tiers.items()]
            if price_tiers else None,
            "stops": [(s if isinstance(s, Stop) else Stop(s)).as_input() for s in stops]
            if stops else None}
        data = await self.execute(ops.CREATE_SHOW, {
            "input": show_input, "idempotencyKey": idempotency_key or new_key()},
            idempotent=True)
        return Show.from_graphql(data["createShow"])

    async def publish_show(self, show_id: str, *, wait: bool = True,
                           max_wait: float = 30.0) -> Show:
        """DRAFT → ON_SALE. Booking builds the inventory from an event a moment later;
        with ``wait`` this returns once the show can be sold (its availability is known),
        or raises TimeoutError after ``max_wait`` seconds."""
        data = await self.execute(ops.PUBLISH_SHOW, {"id": show_id}, idempotent=True)
        show = Show.from_graphql(data["publishShow"])
        deadline = time.monotonic() + max_wait
        while wait and show.availability is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"show {show_id} is not on sale in booking after {max_wait}s")
            await asyncio.sleep(0.1)
            show = await self.show(show_id)
        return show

    async def cancel_show(self, show_id: str) -> Show:
        """Cancel a show: holds are released and bookings cancelled and refunded."""
        data = await self.execute(ops.CANCEL_SHOW, {"id": show_id}, idempotent=True)
        return Show.from_graphql(data["cancelShow"])

    # --- holds -----------------------------------------------------------------------------

    async def hold_seats(self, show_id: str, seat_ids: Sequence[str],
                         segment: SegmentLike | None = None,
                         idempotency_key: str | None = None) -> SeatHold:
        """Hold all these seats or none; :class:`~ticketflow_sdk.errors.SeatsUnavailable`
        names those taken."""
        data = await self.execute(ops.HOLD_SEATS, {
            "showId": show_id, "seatIds": list(seat_ids), "segment": _segment(segment),
            "idempotencyKey": idempotency_key or new_key()}, idempotent=True)
        return SeatHold.from_graphql(_success(data["holdSeats"]))

    async def hold_best_available(self, show_id: str, quantity: int,
                                  category: str | None = None,
                                  segment: SegmentLike | None = None,
                                  idempotency_key: str | None = None) -> SeatHold:
        """Hold the best ``quantity`` seats left (README: "Best available");
        :class:`~ticketflow_sdk.errors.SoldOut` when they do not fit."""
        data = await self.execute(ops.HOLD_BEST_AVAILABLE, {
            "showId": show_id, "quantity": quantity, "category": category,
            "segment": _segment(segment), "idempotencyKey": idempotency_key or new_key()},
            idempotent=True)
        return SeatHold.from_graphql(_success(data["holdBestAvailable"]))

    async def hold_general_admission(self, show_id: str, section_id: str, quantity: int,
                                     idempotency_key: str | None = None) -> SeatHold:
        """Hold ``quantity`` places of a standing section; SoldOut when fewer are left."""
        data = await self.execute(ops.HOLD_GENERAL_ADMISSION, {
            "showId": show_id, "sectionId": section_id, "quantity": quantity,
            "idempotencyKey": idempotency_key or new_key()}, idempotent=True)
        return SeatHold.from_graphql(_success(data["holdGeneralAdmission"]))

    async def extend_hold(self, hold_id: str) -> SeatHold:
        """Keep an active hold longer; HoldExpired if it lapsed."""
        # Safe to repeat: it sets expiresAt to now + the hold time, capped by the server.
        data = await self.execute(ops.EXTEND_HOLD, {"holdId": hold_id}, idempotent=True)
        return SeatHold.from_graphql(_success(data["extendHold"]))

    async def release_hold(self, hold_id: str) -> SeatHold:
        """Give the seats back (a hold that is not active is a Conflict)."""
        data = await self.execute(ops.RELEASE_HOLD, {"holdId": hold_id})
        return SeatHold.from_graphql(data["releaseHold"])

    async def hold(self, hold_id: str) -> SeatHold:
        """One of your holds, with what it will cost."""
        data = await self.execute(ops.HOLD, {"id": hold_id}, idempotent=True)
        return SeatHold.from_graphql(_found(data, "hold", "hold"))

    # --- bookings --------------------------------------------------------------------------

    async def checkout(self, hold_id: str, idempotency_key: str | None = None) -> Booking:
        """Turn your hold into a booking awaiting payment; HoldExpired if it lapsed."""
        data = await self.execute(ops.CHECKOUT, {
            "holdId": hold_id, "idempotencyKey": idempotency_key or new_key()}, idempotent=True)
        return Booking.from_graphql(_success(data["checkout"]))

    async def cancel_booking(self, booking_id: str) -> Booking:
        """Cancel your booking: seats go back on sale and what was paid is refunded."""
        data = await self.execute(ops.CANCEL_BOOKING, {"bookingId": booking_id})
        return Booking.from_graphql(data["cancelBooking"])

    async def booking(self, booking_id: str) -> Booking:
        """One of your bookings, with its payment."""
        data = await self.execute(ops.BOOKING, {"id": booking_id}, idempotent=True)
        return Booking.from_graphql(_found(data, "booking", "booking"))

    async def my_bookings(self) -> tuple[Booking, ...]:
        """Your bookings, newest first."""
        data = await self.execute(ops.MY_BOOKINGS, idempotent=True)
        if data["me"] is None:
            raise Unauthenticated("Sign in to see your bookings.")
        return tuple(Booking.from_graphql(b) for b in data["me"]["bookings"])

    async def wait_for_booking(self, booking_id: str, *statuses: BookingStatus | str,
                               max_wait: float = 30.0, interval: float = 0.25) -> Booking:
        """The booking once it reaches one of ``statuses`` (default: no longer pending);
        TimeoutError after ``max_wait`` seconds.

        Payment and booking agree through events, so a booking turns CONFIRMED a moment
        after its payment succeeded.
        """
        wanted = {str(s) for s in statuses} or {"CONFIRMED", "EXPIRED", "CANCELLED"}
        deadline = time.monotonic() + max_wait
        while True:
            booking = await self.booking(booking_id)
            if booking.status in wanted:
                return booking
            if time.monotonic() > deadline:
                raise TimeoutError(f"booking {booking_id} is still {booking.status}")
            await asyncio.sleep(interval)

    # --- payments --------------------------------------------------------------------------

    async def start_payment(self, booking_id: str,
                            provider: PaymentProvider | str | None = None,
                            idempotency_key: str | None = None) -> Payment:
        """Get the booking's payment ready (Razorpay: creates the order, see ``checkout``)."""
        data = await self.execute(ops.START_PAYMENT, {
            "bookingId": booking_id, "provider": provider and str(provider),
            "idempotencyKey": idempotency_key or new_key()}, idempotent=True)
        return Payment.from_graphql(data["startPayment"])

    async def confirm_payment(self, payment_id: str, *, card: str | None = None,
                              razorpay: RazorpayProof | None = None) -> Payment:
        """Pay with a sandbox card or Razorpay's proof. PaymentFailed when declined,
        HoldExpired when the booking stopped waiting (nothing charged)."""
        # Safe to repeat: a payment that succeeded (or is processing) is returned, not charged.
        data = await self.execute(ops.CONFIRM_PAYMENT, {
            "paymentId": payment_id, "card": card,
            "razorpay": razorpay.as_input() if razorpay else None}, idempotent=True)
        member = data["confirmPayment"]
        attached = member.get("payment") if member["__typename"] != "Payment" else None
        error = error_from_member(member, Payment.from_graphql(attached) if attached else None)
        if error is not None:
            raise error
        return Payment.from_graphql(member)

    async def pay(self, booking_id: str, *, card: str | None = None,
                  razorpay: RazorpayProof | None = None,
                  idempotency_key: str | None = None) -> Payment:
        """Start and confirm the booking's payment with a sandbox ``card`` or a ``razorpay``
        proof; the Payment (SUCCEEDED, or PROCESSING while the provider decides)."""
        if (card is None) == (razorpay is None):
            raise ValueError("pay with exactly one of card= or razorpay=")
        provider = PaymentProvider.SANDBOX if card is not None else PaymentProvider.RAZORPAY
        started = await self.start_payment(booking_id, provider, idempotency_key)
        return await self.confirm_payment(started.id, card=card, razorpay=razorpay)

    async def payment(self, payment_id: str) -> Payment:
        """One payment (the buyer's, the show organizer's, admins')."""
        data = await self.execute(ops.PAYMENT, {"id": payment_id}, idempotent=True)
        return Payment.from_graphql(_found(data, "payment", "payment"))

    async def refund(self, payment_id: str, amount: int | None = None,
                     idempotency_key: str | None = None) -> Refund:
        """Give back ``amount`` minor units, or everything left (organizers, admins)."""
        data = await self.execute(ops.REFUND_PAYMENT, {
            "paymentId": payment_id, "amount": amount,
            "idempotencyKey": idempotency_key or new_key()}, idempotent=True)
        return Refund.from_graphql(data["refundPayment"])

    # --- live seats ------------------------------------------------------------------------

    def watch_seats(self, show_id: str, segment: SegmentLike | None = None, *,
                    reconnect_attempts: int = 10) -> SeatWatch:
        """Live seat-map states of a show: a fresh SNAPSHOT, then one state per delta
        (changes that came close together arrive as one delta covering their versions).

        A delta that does not follow the state, or a dropped connection, starts over from
        a fresh snapshot without the caller noticing (but for ``kind`` SNAPSHOT); a
        SNAPSHOT the server sends mid-stream replaces the state. After
        ``reconnect_attempts`` failures in a row it raises TransportError.
        """
        seg = None if segment is None else (
            segment if isinstance(segment, Segment) else Segment(*segment))
        return SeatWatch(self.url, show_id, seg, token=lambda: self._keeper.access_token,
                         refresh=lambda rejected: self._keeper.refresh(rejected, self._exchange),
                         reconnect_attempts=reconnect_attempts, backoff=self.backoff,
                         max_backoff=5.0, open_timeout=self.timeout)
