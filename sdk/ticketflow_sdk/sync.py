"""``Client``: the same API for scripts, without ``async``.

It runs one :class:`~ticketflow_sdk.client.AsyncClient` on a private event loop in a
daemon thread, behind anyio's blocking portal, and waits for each call, so connections (and
the session's tokens) are kept across calls, and it works the same from inside a program
that already runs an event loop. ``on_tokens`` is called on that thread. Close it
(``with Client(url) as c``) to stop the thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import ExitStack
from functools import partial
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, Self, TypeVar

from anyio.from_thread import start_blocking_portal

from ticketflow_sdk.client import AsyncClient, SegmentLike
from ticketflow_sdk.live import SeatMapState
from ticketflow_sdk.models import ExpectedTicket, Show, Tokens

P = ParamSpec("P")
T = TypeVar("T")


def _blocking(method: Callable[Concatenate[AsyncClient, P], Coroutine[Any, Any, T]]
              ) -> Callable[Concatenate[Client, P], T]:
    """``AsyncClient.method`` as a method of ``Client`` that waits for the answer."""

    def call(self: Client, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._portal.call(partial(method, self._client, *args, **kwargs))

    call.__name__ = method.__name__
    call.__qualname__ = f"Client.{method.__name__}"
    call.__doc__ = method.__doc__
    return call


class Client:
    """A synchronous TicketFlow client; takes the arguments of ``AsyncClient``."""

    def __init__(self, url: str, **options: Any) -> None:
        with ExitStack() as stack:
            self._portal = stack.enter_context(start_blocking_portal(name="ticketflow-sdk"))
            # Made on the portal's loop, which it belongs to from now on.
            self._client = self._portal.call(partial(AsyncClient, url, **options))
            self._stop = stack.pop_all()
        self._closed = False

    def close(self) -> None:
        """Close the connections and stop the loop's thread."""
        if self._closed:
            return
        self._closed = True
        with self._stop:
            self._portal.call(self._client.aclose)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def tokens(self) -> Tokens | None:
        """The current session's tokens (None when signed out)."""
        return self._client.tokens

    def _iterate(self, items: AsyncIterator[T], close: Callable[[], Awaitable[None]]
                 ) -> Iterator[T]:
        try:
            while True:
                try:
                    yield self._portal.call(anext, items)
                except StopAsyncIteration:
                    return
        finally:
            self._portal.call(close)

    def iter_shows(self, *, page_size: int = 50, **criteria: Any) -> Iterator[Show]:
        """Every show matching ``criteria`` (those of ``shows``), page after page."""
        shows = self._client.iter_shows(page_size=page_size, **criteria)
        return self._iterate(shows, shows.aclose)

    def iter_check_in_tickets(self, show_id: str, *, page_size: int = 1000
                              ) -> Iterator[ExpectedTicket]:
        """Every ticket the door expects (see ``AsyncClient.iter_check_in_tickets``)."""
        tickets = self._client.iter_check_in_tickets(show_id, page_size=page_size)
        return self._iterate(tickets, tickets.aclose)

    def watch_seats(self, show_id: str, segment: SegmentLike | None = None, *,
                    reconnect_attempts: int = 10) -> Iterator[SeatMapState]:
        """Live seat-map states (see ``AsyncClient.watch_seats``); close the iterator (or
        leave the ``for`` loop) to stop watching."""
        watch = self._client.watch_seats(show_id, segment,
                                         reconnect_attempts=reconnect_attempts)
        return self._iterate(watch, watch.aclose)

    execute = _blocking(AsyncClient.execute)
    register = _blocking(AsyncClient.register)
    login = _blocking(AsyncClient.login)
    refresh = _blocking(AsyncClient.refresh)
    logout = _blocking(AsyncClient.logout)
    me = _blocking(AsyncClient.me)
    shows = _blocking(AsyncClient.shows)
    show = _blocking(AsyncClient.show)
    seat_map = _blocking(AsyncClient.seat_map)
    availability = _blocking(AsyncClient.availability)
    venue = _blocking(AsyncClient.venue)
    create_venue = _blocking(AsyncClient.create_venue)
    set_venue_time_zone = _blocking(AsyncClient.set_venue_time_zone)
    import_seat_map = _blocking(AsyncClient.import_seat_map)
    create_show = _blocking(AsyncClient.create_show)
    publish_show = _blocking(AsyncClient.publish_show)
    cancel_show = _blocking(AsyncClient.cancel_show)
    wait_in_queue = _blocking(AsyncClient.wait_in_queue)
    configure_queue = _blocking(AsyncClient.configure_queue)
    pause_queue = _blocking(AsyncClient.pause_queue)
    resume_queue = _blocking(AsyncClient.resume_queue)
    show_queue = _blocking(AsyncClient.show_queue)
    hold_seats = _blocking(AsyncClient.hold_seats)
    hold_best_available = _blocking(AsyncClient.hold_best_available)
    hold_general_admission = _blocking(AsyncClient.hold_general_admission)
    extend_hold = _blocking(AsyncClient.extend_hold)
    release_hold = _blocking(AsyncClient.release_hold)
    hold = _blocking(AsyncClient.hold)
    checkout = _blocking(AsyncClient.checkout)
    cancel_booking = _blocking(AsyncClient.cancel_booking)
    booking = _blocking(AsyncClient.booking)
    my_bookings = _blocking(AsyncClient.my_bookings)
    wait_for_booking = _blocking(AsyncClient.wait_for_booking)
    start_payment = _blocking(AsyncClient.start_payment)
    confirm_payment = _blocking(AsyncClient.confirm_payment)
    pay = _blocking(AsyncClient.pay)
    payment = _blocking(AsyncClient.payment)
    refund = _blocking(AsyncClient.refund)
    create_promo_code = _blocking(AsyncClient.create_promo_code)
    tickets = _blocking(AsyncClient.tickets)
    check_in = _blocking(AsyncClient.check_in)
    check_in_changes_cursor = _blocking(AsyncClient.check_in_changes_cursor)
    check_in_changes = _blocking(AsyncClient.check_in_changes)
    scans_after = _blocking(AsyncClient.scans_after)
    upload_check_ins = _blocking(AsyncClient.upload_check_ins)
