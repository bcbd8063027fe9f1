"""``AsyncClient``: the whole TicketFlow API as typed async methods.

Every method sends one operation through its typed method of the generated
:class:`~ticketflow_sdk._generated.client.Operations` (``make sdk``: documents in
sdk/ticketflow_sdk/graphql/, variables typed by the schema's input types), turns typed
union members into exceptions (:mod:`ticketflow_sdk.errors`) and returns the generated
models (:mod:`ticketflow_sdk.models`). Methods that create something take an
``idempotency_key``; when the caller gives none, one is made per call and reused by every
retry of that call, so a retried checkout never books twice.

Over 300 lines: one thin method per operation of the API, which belong together.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import random
import time
import uuid
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    Mapping,
    Sequence,
)
from contextvars import ContextVar
from datetime import datetime
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from ticketflow_sdk import operations as ops
from ticketflow_sdk import ws
from ticketflow_sdk._generated.client import Operations
from ticketflow_sdk._generated.enums import QueueTicketState
from ticketflow_sdk._generated.fragments import QueueTicket
from ticketflow_sdk._generated.input_types import (
    CheckInScanInput,
    CreatePromoCodeInput,
    CreateShowInput,
    CreateVenueInput,
    LoginInput,
    MoneyInput,
    PriceTierInput,
    QueueInput,
    RazorpayProofInput,
    RegisterInput,
    RowInput,
    SegmentInput,
    ShowFilter,
    StopInput,
)
from ticketflow_sdk._generated.refresh import Refresh
from ticketflow_sdk._http import GraphQLHttp
from ticketflow_sdk.errors import (
    BadUserInput,
    NotFound,
    Queued,
    TicketFlowError,
    Unauthenticated,
    error_from_graphql,
    error_from_member,
    is_expired_token,
)
from ticketflow_sdk.live import SeatWatch
from ticketflow_sdk.models import (
    AlreadyCheckedIn,
    AuthPayload,
    Availability,
    Booking,
    BookingStatus,
    Changes,
    CheckedIn,
    CheckInOutcome,
    CheckInScan,
    CheckInUpload,
    ExpectedTicket,
    Hall,
    Money,
    Payment,
    PaymentProvider,
    PromoCode,
    PromoCodeKind,
    RazorpayProof,
    Refund,
    RowSpec,
    SeatHold,
    SeatMap,
    Segment,
    Show,
    ShowKind,
    ShowPage,
    ShowQueue,
    Stop,
    Ticket,
    TicketChange,
    TicketRefused,
    Tokens,
    User,
    Venue,
)
from ticketflow_sdk.queue import Solver, solve_proof_of_work
from ticketflow_sdk.tokens import TokenKeeper, TokensCallback, token_expired

SegmentLike = Segment | tuple[int, int]
#: A scan to upload: a ``CheckInScan`` (as read), or ``(ticket_id, at, gate)``.
ScanLike = CheckInScan | tuple[str, datetime, str]
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class _PageInfo(Protocol):
    @property
    def has_next_page(self) -> bool: ...
    @property
    def end_cursor(self) -> str | None: ...


async def _every_page(after: str | None, page: Callable[
        [str | None], Awaitable[tuple[Sequence[T], _PageInfo]]]) -> Changes[T]:
    """Every item after the cursor ``after``, page by page, and the cursor for next time
    (``after`` again when nothing came: an empty page keeps the device's place)."""
    items: list[T] = []
    while True:
        nodes, info = await page(after)
        items.extend(nodes)
        after = info.end_cursor or after
        if not info.has_next_page:
            return Changes(tuple(items), after)


def new_key() -> str:
    """A fresh idempotency key."""
    return uuid.uuid4().hex


def _valid(build: Callable[[], M]) -> M:
    """The input ``build`` makes (a generated input type: mypy checks its fields); a value
    it refuses is BadUserInput, and nothing is sent."""
    try:
        return build()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = _field_path(first["loc"])
        raise BadUserInput(f"{exc.title}.{field}: {first['msg']}",
                           {"code": BadUserInput.CODE, "field": field}) from None


def _field_path(loc: Sequence[int | str]) -> str:
    """A pydantic error location as the API names fields: ``priceTiers[0].amount``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            head, *rest = part.rstrip("_").split("_")
            path += ("." if path else "") + head + "".join(w.title() for w in rest)
    return path


def _segment(segment: SegmentLike | None) -> SegmentInput | None:
    if segment is None:
        return None
    value = segment if isinstance(segment, Segment) else Segment(*segment)
    return _valid(lambda: SegmentInput(from_=value.from_stop, to=value.to_stop))


def _time(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("TicketFlow times are timezone-aware: give a tzinfo")
    return value


def _tokens(auth: AuthPayload) -> Tokens:
    return Tokens(auth.access_token, auth.refresh_token, auth.expires_at)


def _provider(provider: PaymentProvider | str | None) -> PaymentProvider | None:
    if provider is None or isinstance(provider, PaymentProvider):
        return provider
    try:
        return PaymentProvider(provider)
    except ValueError:
        raise BadUserInput(f"Unknown payment provider {provider!r}.",
                           {"code": BadUserInput.CODE, "field": "provider"}) from None


def _first_error(body: Mapping[str, Any]) -> TicketFlowError | None:
    errors = body.get("errors")
    return error_from_graphql(errors[0]) if errors else None


def _found(value: T | None, what: str) -> T:
    if value is None:
        raise NotFound(f"No {what} with this id (or it is not yours to see).")
    return value


def _success(member: BaseModel, success: type[M]) -> M:
    """A union result's success member, as the plain model; raises the exception any other
    member stands for."""
    if not isinstance(member, success):
        raise error_from_member(member.model_dump(by_alias=True)) or TicketFlowError(
            "INTERNAL", f"unexpected {type(member).__name__}")
    if type(member) is success:
        return member
    # The member class adds only __typename: the model itself, as every other answer gives.
    return success.model_construct(**{name: getattr(member, name)
                                      for name in success.model_fields})


# The queue pass the hold being sent carries (header TicketFlow-Queue-Pass), if any.
_QUEUE_PASS: ContextVar[str | None] = ContextVar("ticketflow_queue_pass", default=None)
QUEUE_PASS_HEADER = "TicketFlow-Queue-Pass"  # noqa: S105 - a header name


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
        self._ops = Operations(self.execute, self._subscribe)
        # show id -> the queue pass wait_in_queue got; the holds of that show send it
        self.queue_passes: dict[str, str] = {}

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
        queue_pass = _QUEUE_PASS.get()
        headers = {QUEUE_PASS_HEADER: queue_pass} if queue_pass else None
        body = await self._http.post(document, variables or {}, token=token,
                                     idempotent=idempotent, headers=headers)
        error = _first_error(body)
        if (error is not None and token is not None and isinstance(error, Unauthenticated)
                and (is_expired_token(error) or token_expired(token))
                and await self._keeper.refresh(token, self._exchange)):
            body = await self._http.post(document, variables or {},
                                         token=self._keeper.access_token,
                                         idempotent=idempotent, headers=headers)
            error = _first_error(body)
        if error is not None:
            raise error
        data: dict[str, Any] = body["data"]
        return data

    def _subscribe(self, document: str, variables: Mapping[str, Any],
                   operation_name: str | None) -> AsyncIterator[dict[str, Any]]:
        """One subscription's answers (the generated subscriptions' transport)."""
        return ws.subscribe(self.url, document, variables, operation_name,
                            token=self._keeper.access_token, open_timeout=self.timeout)

    async def _exchange(self, refresh_token: str) -> Tokens:
        # Never retried once sent: presenting a spent refresh token ends the session.
        body = await self._http.post(ops.REFRESH, {"refreshToken": refresh_token}, token=None,
                                     idempotent=False)
        error = _first_error(body)
        if error is not None:
            raise error
        return _tokens(Refresh.model_validate(body["data"]).refresh)

    # --- accounts --------------------------------------------------------------------------

    async def register(self, email: str, password: str, name: str) -> User:
        """Create a customer account and sign in with it."""
        account = _valid(lambda: RegisterInput(email=email, password=password, name=name))
        answer = await self._ops.register(input=account, anonymous=True)
        return await self._signed_in(answer.account)

    async def login(self, email: str, password: str) -> User:
        """Sign in: a new session whose tokens this client keeps (and hands to ``on_tokens``)."""
        credentials = _valid(lambda: LoginInput(email=email, password=password))
        answer = await self._ops.login(input=credentials, anonymous=True)
        return await self._signed_in(answer.login)

    async def _signed_in(self, auth: AuthPayload) -> User:
        await self._keeper.set(_tokens(auth))
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
            await self._ops.logout()
        finally:
            await self._keeper.set(None)

    async def me(self) -> User | None:
        """The signed-in user (None when anonymous)."""
        return (await self._ops.me(idempotent=True)).me

    # --- shows -----------------------------------------------------------------------------

    async def shows(self, *, text: str | None = None, kind: ShowKind | str | None = None,
                    venue_id: str | None = None, starts_from: datetime | None = None,
                    starts_to: datetime | None = None, first: int = 20,
                    after: str | None = None) -> ShowPage:
        """A page of shows on sale, soonest first; ``text`` searches titles."""
        given = (text, kind, venue_id, starts_from, starts_to) != (None,) * 5
        criteria = _valid(lambda: ShowFilter(
            text=text, kind=kind, venue_id=venue_id, from_=_time(starts_from),
            to=_time(starts_to))) if given else None
        answer = await self._ops.shows(first=first, filter_=criteria, after=after,
                                       idempotent=True)
        return answer.shows

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
        return _found((await self._ops.get_show(id=show_id, idempotent=True)).show, "show")

    async def seat_map(self, show_id: str, segment: SegmentLike | None = None) -> SeatMap:
        """The show's hall, every seat with its place, category and state (over ``segment``)."""
        answer = await self._ops.seat_map(id=show_id, segment=_segment(segment),
                                          idempotent=True)
        show = _found(answer.show, "show")
        return SeatMap.from_graphql(show.id, show.seat_map, show.seat_states)

    async def availability(self, show_id: str,
                           segment: SegmentLike | None = None) -> Availability | None:
        """Seat and standing counts (None until booking has the show's inventory)."""
        answer = await self._ops.get_availability(id=show_id, segment=_segment(segment),
                                                   idempotent=True)
        return _found(answer.show, "show").availability

    # --- organizers ------------------------------------------------------------------------

    async def venue(self, venue_id: str) -> Venue:
        """One venue with its halls."""
        return _found((await self._ops.get_venue(id=venue_id, idempotent=True)).venue, "venue")

    async def create_venue(self, name: str, rows: Sequence[RowSpec] | None = None, *,
                           time_zone: str, idempotency_key: str | None = None) -> Venue:
        """A venue in the IANA zone ``time_zone`` (e.g. ``"Europe/Berlin"``: mails and tickets
        give show times in it); ``rows`` makes it one simple hall named Main (else add halls
        with :meth:`import_seat_map`)."""
        venue = _valid(lambda: CreateVenueInput(name=name, time_zone=time_zone, rows=[
            RowInput(label=r.label, seats=r.seats, category=r.category) for r in rows]
            if rows else None))
        answer = await self._ops.create_venue(
            input=venue, idempotency_key=idempotency_key or new_key(), idempotent=True)
        return answer.create_venue

    async def set_venue_time_zone(self, venue_id: str, time_zone: str) -> Venue:
        """Correct the venue's IANA zone (e.g. one that got UTC when zones came in)."""
        # Safe to repeat: it sets the zone; the same zone twice is the same venue.
        answer = await self._ops.set_venue_time_zone(
            venue_id=venue_id, time_zone=time_zone, idempotent=True)
        return answer.set_venue_time_zone

    async def import_seat_map(self, venue_id: str,
                              seat_map: Mapping[str, Any] | os.PathLike[str], *,
                              idempotency_key: str | None = None) -> Hall:
        """A hall from a seat-map document (docs/seatmap-format.md), given as a dict or a
        path to its JSON file."""
        document = (json.loads(await asyncio.to_thread(Path(seat_map).read_text))
                    if isinstance(seat_map, os.PathLike) else dict(seat_map))
        answer = await self._ops.create_hall(
            venue_id=venue_id, seat_map=document,
            idempotency_key=idempotency_key or new_key(), idempotent=True)
        return answer.create_hall

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
        journey = [s if isinstance(s, Stop) else Stop(s) for s in stops or ()]
        show_input = _valid(lambda: CreateShowInput(
            title=title, starts_at=_time(starts_at), ends_at=_time(ends_at),
            venue_id=venue_id, hall_id=hall_id, kind=kind, currency=currency,
            price=MoneyInput(amount=price.amount, currency=price.currency) if price else None,
            price_tiers=[PriceTierInput(category=c, amount=a) for c, a in price_tiers.items()]
            if price_tiers else None,
            stops=[StopInput(name=s.name, departs_at=s.departs_at) for s in journey]
            if journey else None))
        answer = await self._ops.create_show(
            input=show_input, idempotency_key=idempotency_key or new_key(), idempotent=True)
        return answer.create_show

    async def publish_show(self, show_id: str, *, wait: bool = True,
                           max_wait: float = 30.0) -> Show:
        """DRAFT → ON_SALE. Booking builds the inventory from an event a moment later;
        with ``wait`` this returns once the show can be sold (its availability is known),
        or raises TimeoutError after ``max_wait`` seconds."""
        show = (await self._ops.publish_show(id=show_id, idempotent=True)).publish_show
        deadline = time.monotonic() + max_wait
        while wait and show.availability is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"show {show_id} is not on sale in booking after {max_wait}s")
            await asyncio.sleep(0.1)
            show = await self.show(show_id)
        return show

    async def cancel_show(self, show_id: str) -> Show:
        """Cancel a show: holds are released and bookings cancelled and refunded."""
        return (await self._ops.cancel_show(id=show_id, idempotent=True)).cancel_show

    # --- the waiting room -------------------------------------------------------------------

    @contextlib.contextmanager
    def _queue_pass(self, show_id: str) -> Iterator[None]:
        reset = _QUEUE_PASS.set(self.queue_passes.get(show_id))
        try:
            yield
        finally:
            _QUEUE_PASS.reset(reset)

    async def wait_in_queue(self, show_id: str, *, solver: Solver = solve_proof_of_work,
                            on_update: Callable[[QueueTicket], Any] | None = None,
                            max_wait: float | None = None) -> QueueTicket:
        """Join the show's waiting room and wait until admitted: answers the joining
        challenge (``solver``, proof of work by default, run off the event loop), then asks
        for the ticket's status when the server says to (``pollAfterSeconds``, with a little
        jitter; the router's plain ``GET /queue/status/<ticket>``, the cheap poll), calling
        ``on_update`` with each answer. Returns the ADMITTED ticket; its
        pass is kept, and this client's holds of the show send it (one purchase session).
        :class:`~ticketflow_sdk.errors.Queued` if the pass expired before it came back;
        ``TimeoutError`` after ``max_wait`` seconds."""
        deadline = None if max_wait is None else time.monotonic() + max_wait
        challenge = (await self._ops.queue_challenge(show_id=show_id,
                                                     idempotent=True)).queue_challenge
        nonce = solution = None
        if challenge is not None:
            nonce = challenge.nonce
            found = await asyncio.to_thread(solver, challenge.kind, challenge.nonce,
                                            challenge.difficulty)
            solution = await found if inspect.isawaitable(found) else found
        # joining again returns the same ticket: safe to repeat
        ticket: QueueTicket = (await self._ops.join_queue(
            show_id=show_id, nonce=nonce, solution=solution, idempotent=True)).join_queue
        while True:
            if on_update is not None:
                on_update(ticket)
            if ticket.state == QueueTicketState.ADMITTED and ticket.pass_:
                self.queue_passes[show_id] = ticket.pass_
                return ticket
            if ticket.state == QueueTicketState.EXPIRED:
                raise Queued("Your queue pass expired before it was used.", {"showId": show_id})
            pause = ticket.poll_after_seconds * (1 + random.uniform(0, 0.1))
            if deadline is not None and time.monotonic() + pause > deadline:
                raise TimeoutError(f"still waiting in the queue of show {show_id}")
            await asyncio.sleep(pause)
            ticket = await self._queue_status(ticket.id)

    async def _queue_status(self, ticket_id: str) -> QueueTicket:
        """A ticket's status: the router's plain ``GET /queue/status/<id>`` (no GraphQL, the
        cheap poll), or the ``queueStatus`` query where that is not served."""
        base = self.url.removesuffix("/").removesuffix("/graphql")
        status, body = await self._http.get_json(f"{base}/queue/status/{ticket_id}")
        if status == 200 and isinstance(body, dict):
            return QueueTicket.model_validate(body)
        if status == 404 and isinstance(body, dict) and body.get("code") == "NOT_FOUND":
            raise NotFound(str(body.get("message")), body)
        return (await self._ops.queue_status(ticket_id=ticket_id,
                                             idempotent=True)).queue_status

    async def configure_queue(self, show_id: str, opens_at: datetime,
                              rate_per_minute: int | None = None,
                              require_verified_email: bool = True) -> ShowQueue:
        """Put the show behind a waiting room opening at ``opens_at``, or change its opening
        (until it opens) and rate (organizer of the show, admins): ``rate_per_minute``
        people admitted a minute, None for auto; ``require_verified_email`` admits only
        accounts that confirmed their address. BadUserInput for a rate out of range."""
        settings = _valid(lambda: QueueInput(
            opens_at=_time(opens_at), rate_per_minute=rate_per_minute,
            require_verified_email=require_verified_email))
        # Safe to repeat: the same settings again leave the queue as it is.
        answer = await self._ops.configure_queue(show_id=show_id, input=settings,
                                                 idempotent=True)
        return answer.configure_queue

    async def pause_queue(self, show_id: str) -> ShowQueue:
        """Stop admitting; everyone keeps their place (organizer of the show, admins)."""
        return (await self._ops.pause_queue(show_id=show_id, idempotent=True)).pause_queue

    async def resume_queue(self, show_id: str) -> ShowQueue:
        """Admit again at the queue's rate (organizer of the show, admins)."""
        return (await self._ops.resume_queue(show_id=show_id, idempotent=True)).resume_queue

    async def show_queue(self, show_id: str) -> ShowQueue | None:
        """The show's waiting room and its figures (``Show.queue``: waiting, admitted, sold,
        abandoned...; organizer of the show, admins); None when it has none."""
        answer = await self._ops.get_show_queue(id=show_id, idempotent=True)
        return _found(answer.show, "show").queue

    # --- holds -----------------------------------------------------------------------------

    async def hold_seats(self, show_id: str, seat_ids: Sequence[str],
                         segment: SegmentLike | None = None,
                         idempotency_key: str | None = None,
                         fare_class: str | None = None,
                         promo_code: str | None = None) -> SeatHold:
        """Hold all these seats or none (in ``fare_class``, e.g. SAVER: README, "Fares");
        :class:`~ticketflow_sdk.errors.SeatsUnavailable` names those taken. With
        ``promo_code`` the hold is discounted (PromoCodeRejected says why it cannot be,
        and nothing is held)."""
        with self._queue_pass(show_id):
            answer = await self._ops.hold_seats(
                show_id=show_id, seat_ids=list(seat_ids), segment=_segment(segment),
                idempotency_key=idempotency_key or new_key(), fare_class=fare_class,
                promo_code=promo_code, idempotent=True)
        return _success(answer.hold_seats, SeatHold)

    async def hold_best_available(self, show_id: str, quantity: int,
                                  category: str | None = None,
                                  segment: SegmentLike | None = None,
                                  idempotency_key: str | None = None,
                                  fare_class: str | None = None,
                                  promo_code: str | None = None) -> SeatHold:
        """Hold the best ``quantity`` seats left (README: "Best available"), in
        ``fare_class`` if given; :class:`~ticketflow_sdk.errors.SoldOut` when they do not
        fit. ``promo_code`` as in :meth:`hold_seats`."""
        with self._queue_pass(show_id):
            answer = await self._ops.hold_best_available(
                show_id=show_id, quantity=quantity, category=category,
                segment=_segment(segment), idempotency_key=idempotency_key or new_key(),
                fare_class=fare_class, promo_code=promo_code, idempotent=True)
        return _success(answer.hold_best_available, SeatHold)

    async def hold_general_admission(self, show_id: str, section_id: str, quantity: int,
                                     idempotency_key: str | None = None,
                                     promo_code: str | None = None) -> SeatHold:
        """Hold ``quantity`` places of a standing section; SoldOut when fewer are left.
        ``promo_code`` as in :meth:`hold_seats`."""
        with self._queue_pass(show_id):
            answer = await self._ops.hold_general_admission(
                show_id=show_id, section_id=section_id, quantity=quantity,
                idempotency_key=idempotency_key or new_key(), promo_code=promo_code,
                idempotent=True)
        return _success(answer.hold_general_admission, SeatHold)

    async def extend_hold(self, hold_id: str) -> SeatHold:
        """Keep an active hold longer; HoldExpired if it lapsed."""
        # Safe to repeat: it sets expiresAt to now + the hold time, capped by the server.
        answer = await self._ops.extend_hold(hold_id=hold_id, idempotent=True)
        return _success(answer.extend_hold, SeatHold)

    async def release_hold(self, hold_id: str) -> SeatHold:
        """Give the seats back (a hold that is not active is a Conflict)."""
        return (await self._ops.release_hold(hold_id=hold_id)).release_hold

    async def hold(self, hold_id: str) -> SeatHold:
        """One of your holds, with what it will cost."""
        return _found((await self._ops.hold(id=hold_id, idempotent=True)).hold, "hold")

    # --- bookings --------------------------------------------------------------------------

    async def checkout(self, hold_id: str, idempotency_key: str | None = None) -> Booking:
        """Turn your hold into a booking awaiting payment; HoldExpired if it lapsed."""
        answer = await self._ops.checkout(
            hold_id=hold_id, idempotency_key=idempotency_key or new_key(), idempotent=True)
        return _success(answer.checkout, Booking)

    async def cancel_booking(self, booking_id: str) -> Booking:
        """Cancel your booking: seats go back on sale and what was paid is refunded."""
        return (await self._ops.cancel_booking(booking_id=booking_id)).cancel_booking

    async def booking(self, booking_id: str) -> Booking:
        """One of your bookings, with its payment."""
        answer = await self._ops.get_booking(id=booking_id, idempotent=True)
        return _found(answer.booking, "booking")

    async def my_bookings(self) -> tuple[Booking, ...]:
        """Your bookings, newest first."""
        me = (await self._ops.my_bookings(idempotent=True)).me
        if me is None:
            raise Unauthenticated("Sign in to see your bookings.")
        return me.bookings

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
        answer = await self._ops.start_payment(
            booking_id=booking_id, provider=_provider(provider),
            idempotency_key=idempotency_key or new_key(), idempotent=True)
        return answer.start_payment

    async def confirm_payment(self, payment_id: str, *, card: str | None = None,
                              razorpay: RazorpayProof | None = None) -> Payment:
        """Pay with a sandbox card or Razorpay's proof. PaymentFailed when declined,
        HoldExpired when the booking stopped waiting (nothing charged)."""
        # Safe to repeat: a payment that succeeded (or is processing) is returned, not charged.
        proof = _valid(lambda: RazorpayProofInput(
            order_id=razorpay.order_id, payment_id=razorpay.payment_id,
            signature=razorpay.signature)) if razorpay else None
        answer = await self._ops.confirm_payment(payment_id=payment_id, card=card, razorpay=proof,
                                                 idempotent=True)
        member = answer.confirm_payment
        if not isinstance(member, Payment):  # declined, or the window closed
            error = error_from_member(member.model_dump(by_alias=True), member.payment)
            raise error or TicketFlowError(
                "INTERNAL", f"confirmPayment answered an unknown {type(member).__name__}")
        return _success(member, Payment)

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
        answer = await self._ops.get_payment(id=payment_id, idempotent=True)
        return _found(answer.payment, "payment")

    async def refund(self, payment_id: str, amount: int | None = None,
                     idempotency_key: str | None = None) -> Refund:
        """Give back ``amount`` minor units, or everything left (organizers, admins)."""
        answer = await self._ops.issue_refund(
            payment_id=payment_id, amount=amount,
            idempotency_key=idempotency_key or new_key(), idempotent=True)
        return answer.refund_payment

    # --- promo codes ------------------------------------------------------------------------

    async def create_promo_code(self, code: str, *, percent: int | None = None,
                                amount: Money | None = None,
                                show_ids: Sequence[str] = (),
                                categories: Sequence[str] = (),
                                valid_from: datetime | None = None,
                                valid_until: datetime | None = None,
                                max_redemptions: int | None = None,
                                max_per_customer: int | None = None,
                                unlocks_categories: Sequence[str] = (),
                                organizer_id: str | None = None,
                                idempotency_key: str | None = None) -> PromoCode:
        """Make a promo code for your shows (organizers; admins name ``organizer_id``):
        ``percent`` off, or ``amount`` off each booking (exactly one); for ``show_ids`` and
        ``categories`` (empty: all). Conflict for a code you have already."""
        if (percent is None) == (amount is None):
            raise BadUserInput("Give exactly one of percent= or amount=.",
                               {"code": BadUserInput.CODE, "field": "input.kind"})
        kind = PromoCodeKind.PERCENT if percent is not None else PromoCodeKind.AMOUNT
        promo = _valid(lambda: CreatePromoCodeInput(
            code=code, kind=kind, percent=percent,
            amount=MoneyInput(amount=amount.amount, currency=amount.currency)
            if amount else None,
            show_ids=list(show_ids), categories=list(categories),
            valid_from=_time(valid_from), valid_until=_time(valid_until),
            max_redemptions=max_redemptions, max_per_customer=max_per_customer,
            unlocks_categories=list(unlocks_categories), organizer_id=organizer_id))
        answer = await self._ops.create_promo_code(
            input=promo, idempotency_key=idempotency_key or new_key(), idempotent=True)
        return answer.create_promo_code

    # --- check-in -----------------------------------------------------------------------------

    async def tickets(self, booking_id: str) -> tuple[Ticket, ...]:
        """Your booking's e-tickets (``token``: the QR code a gate scans); empty until
        they are issued, a moment after the booking is confirmed."""
        answer = await self._ops.booking_tickets(id=booking_id, idempotent=True)
        return _found(answer.booking, "booking").tickets

    async def check_in(self, ticket_token: str, gate: str,
                       stop: int | None = None) -> CheckInOutcome:
        """Let a ticket in at ``gate`` (door staff of the venue, the show's organizer,
        admins): :class:`CheckedIn`, :class:`AlreadyCheckedIn` (when and where it was), or
        :class:`TicketRefused` (``code``: BAD_SIGNATURE, UNKNOWN_TICKET, WRONG_SHOW,
        NOT_CONFIRMED, WRONG_STOP), answers for the gate, not exceptions. On a journey,
        ``stop`` is where the gate is."""
        # Safe to repeat: a second scan answers AlreadyCheckedIn with the first one.
        member = (await self._ops.check_in(ticket_token=ticket_token, gate=gate, stop=stop,
                                           idempotent=True)).check_in
        outcome: type[CheckedIn] | type[AlreadyCheckedIn] | type[TicketRefused]
        for outcome in (CheckedIn, AlreadyCheckedIn, TicketRefused):
            if isinstance(member, outcome):
                return outcome.model_construct(**{name: getattr(member, name)
                                                  for name in outcome.model_fields})
        raise TicketFlowError("INTERNAL", f"unexpected {type(member).__name__}")

    async def iter_check_in_tickets(self, show_id: str, *, page_size: int = 1000
                                    ) -> AsyncGenerator[ExpectedTicket, None]:
        """Every ticket the door expects (of confirmed bookings), page after page of
        ``ticketsPage`` (keyset: bookings confirmed meanwhile never shift a page). Read
        :meth:`check_in_changes_cursor` first, then follow :meth:`check_in_changes`."""
        after: str | None = None
        while True:
            answer = await self._ops.check_in_tickets_page(
                show_id=show_id, first=page_size, after=after, idempotent=True)
            page = _found(_found(answer.show, "show").check_in_list, "check-in list"
                          ).tickets_page
            for ticket in page.nodes:
                yield ticket
            if not page.page_info.has_next_page:
                return
            after = page.page_info.end_cursor

    async def check_in_changes_cursor(self, show_id: str) -> str:
        """Where :meth:`check_in_changes` starts from now: read it before paging
        :meth:`iter_check_in_tickets`."""
        answer = await self._ops.check_in_changes_cursor(show_id=show_id, idempotent=True)
        return _found(_found(answer.show, "show").check_in_list, "check-in list"
                      ).changes_cursor

    async def check_in_changes(self, show_id: str, after: str | None, *,
                               page_size: int = 1000) -> Changes[TicketChange]:
        """The tickets of bookings confirmed or cancelled after the cursor ``after`` (from
        :meth:`check_in_changes_cursor` or the last call; None: from the beginning), in
        commit order, every page of them, and the cursor for the next call. ``admits``
        False: its booking was cancelled, refuse the ticket."""
        async def page(cursor: str | None) -> tuple[Sequence[TicketChange], _PageInfo]:
            answer = await self._ops.check_in_changes(show_id=show_id, first=page_size,
                                                      after=cursor, idempotent=True)
            found = _found(_found(answer.show, "show").check_in_list, "check-in list"
                           ).ticket_changes
            return found.nodes, found.page_info

        return await _every_page(after, page)

    async def scans_after(self, show_id: str, after: str | None = None, *,
                          page_size: int = 1000) -> Changes[CheckInScan]:
        """Scans recorded after the cursor ``after`` (None: from the first), in the order
        they were recorded (not by ``at``: an offline gate uploads late), every page of
        them, and the cursor for the next call."""
        async def page(cursor: str | None) -> tuple[Sequence[CheckInScan], _PageInfo]:
            answer = await self._ops.check_in_scans(show_id=show_id, first=page_size,
                                                    after=cursor, idempotent=True)
            found = _found(_found(answer.show, "show").check_in_list, "check-in list"
                           ).scans_after
            return found.nodes, found.page_info

        return await _every_page(after, page)

    async def upload_check_ins(self, show_id: str, scans: Sequence[ScanLike]) -> CheckInUpload:
        """Record scans a gate made offline (at most 1000 a call): each ticket's earliest
        scan counts; ``conflicts`` names tickets scanned at two gates, ``refused`` scans
        that let nobody in. Uploading the same scans again changes nothing."""
        rows = [scan if isinstance(scan, CheckInScan) else CheckInScan.model_construct(
            ticket_id=scan[0], at=scan[1], gate=scan[2]) for scan in scans]
        given = [_valid(partial(CheckInScanInput, ticket_id=row.ticket_id, at=_time(row.at),
                                gate=row.gate)) for row in rows]
        # Safe to repeat: the same scans again are counted as unchanged.
        answer = await self._ops.upload_check_ins(show_id=show_id, scans=given,
                                                  idempotent=True)
        return answer.upload_check_ins

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
