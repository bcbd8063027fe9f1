"""Live seat maps: ``seatAvailability`` over graphql-transport-ws, kept whole for the caller.

The server sends a SNAPSHOT of every seat with the show's ``version``, then DELTAs: each
names the version it follows (``fromVersion``) and the version it brings the seats to
(``version``); changes that came close together arrive as one delta covering several
versions. The server may send a SNAPSHOT again at any time (after it lost track of a
change); it replaces the state. :func:`apply_event` folds one message into a
:class:`SeatMapState`; :class:`SeatWatch` runs the protocol and starts over from a fresh
snapshot whenever a delta does not follow the state or the connection drops, so the
caller only ever sees whole, consistent states.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from ticketflow_sdk._generated.operations import WATCH_SEATS_BY_VERSION_GQL, WATCH_SEATS_GQL
from ticketflow_sdk.errors import (
    InternalError,
    SubgraphUnavailable,
    TicketFlowError,
    TransportError,
    Unauthenticated,
    is_expired_token,
)
from ticketflow_sdk.models import GeneralAdmissionAvailability, SeatEventKind, SeatStatus, Segment
from ticketflow_sdk.ws import GraphQLWebSocket, bearer, payload_data, ws_url


@dataclass(frozen=True)
class SeatCounts:
    """Numbered seats in each state."""

    total: int
    available: int
    held: int
    sold: int


@dataclass(frozen=True)
class SeatMapState:
    """A show's seats as of ``version``: every seat's state, and the counts.

    ``kind`` says what produced it: a SNAPSHOT (the first state, each fresh start after a
    gap or a dropped connection, and whenever the server starts over) or a DELTA;
    ``changed`` lists the seats that message named (every seat, for a snapshot).
    """

    show_id: str
    version: int
    seats: Mapping[str, SeatStatus]
    counts: SeatCounts
    general_admission: tuple[GeneralAdmissionAvailability, ...]
    kind: SeatEventKind
    changed: tuple[str, ...]

    def seats_in(self, state: SeatStatus) -> list[str]:
        """Ids of the seats in ``state``, in seat-map order."""
        return [seat for seat, s in self.seats.items() if s == state]


class VersionGap(Exception):
    """A DELTA did not follow the state it should apply to: start over from a snapshot."""


def _combine(states: list[str]) -> SeatStatus:
    # As the server does: sold on any leg, else held on any, else available.
    found = set(states)
    return (SeatStatus.SOLD if SeatStatus.SOLD in found else
            SeatStatus.HELD if SeatStatus.HELD in found else SeatStatus.AVAILABLE)


def _seat_state(entry: Mapping[str, Any], segment: Segment | None) -> SeatStatus:
    legs = entry.get("legs") or []
    if segment is not None and legs:
        return _combine(legs[segment.from_stop:segment.to_stop])
    return SeatStatus(entry["state"])


def _counts(seats: Mapping[str, SeatStatus]) -> SeatCounts:
    by_state = Counter(seats.values())
    return SeatCounts(len(seats), by_state[SeatStatus.AVAILABLE], by_state[SeatStatus.HELD],
                      by_state[SeatStatus.SOLD])


def apply_event(state: SeatMapState | None, event: Mapping[str, Any],
                segment: Segment | None = None) -> SeatMapState | None:
    """The state after one ``seatAvailability`` message.

    A SNAPSHOT replaces whatever was known. A DELTA applies only to the state at its
    ``fromVersion`` (``version - 1`` when the server does not send it): one up to the
    state's version is a repeat (None: nothing new); one that follows another version, or
    a delta with no state to apply to, raises :class:`VersionGap`. With ``segment``, each
    seat's state is its state over those legs and the counts are counted from the seats.
    """
    kind = SeatEventKind(event["kind"])
    version = int(event["version"])
    changes = {str(e["seatId"]): _seat_state(e, segment) for e in event["seats"]}
    if kind is SeatEventKind.SNAPSHOT:
        seats = changes
    elif state is None:
        raise VersionGap(f"a delta (version {version}) before any snapshot")
    elif version <= state.version:
        return None
    else:
        after = event.get("fromVersion")
        after = version - 1 if after is None else int(after)
        if after != state.version:
            raise VersionGap(f"a delta from version {after} to {version} after {state.version}")
        seats = {**state.seats, **changes}
    a = event["availability"]
    counts = (_counts(seats) if segment is not None
              else SeatCounts(a["total"], a["available"], a["held"], a["sold"]))
    return SeatMapState(
        show_id=str(event["showId"]), version=version, seats=seats, counts=counts,
        general_admission=tuple(GeneralAdmissionAvailability.model_validate(g)
                                for g in event["generalAdmission"]),
        kind=kind, changed=tuple(changes))


class _Dropped(Exception):
    """The server ended the subscription without an error: subscribe again."""


# SubgraphUnavailable: booking lost its live source (Redis) or the router lost booking; the
# subscription ended, and a new one succeeds once it is back.
_CONNECTION_FAILURES = (ConnectionClosed, InvalidHandshake, OSError, TimeoutError, _Dropped,
                        InternalError, SubgraphUnavailable)


class SeatWatch:
    """An async iterator of :class:`SeatMapState` for one show (see ``AsyncClient.watch_seats``).

    Use it as ``async with client.watch_seats(show_id) as watch: async for state in watch``
    (or iterate it directly and call :meth:`aclose`). ``state`` is the last state given
    out; ``resubscriptions`` counts the fresh starts after a gap or a dropped connection.
    """

    def __init__(self, url: str, show_id: str, segment: Segment | None, *,
                 token: Callable[[], str | None],
                 refresh: Callable[[str], Awaitable[bool]],
                 reconnect_attempts: int, backoff: float, max_backoff: float,
                 open_timeout: float) -> None:
        self.url = ws_url(url)
        self.show_id = show_id
        self.segment = segment
        self.state: SeatMapState | None = None
        self.resubscriptions = 0
        self._token = token
        self._refresh = refresh
        self._attempts = reconnect_attempts
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._open_timeout = open_timeout
        self._ws: ClientConnection | None = None
        self._document, self._operation = WATCH_SEATS_GQL, "WatchSeats"
        self._states = self._run()

    def __aiter__(self) -> SeatWatch:
        return self

    async def __anext__(self) -> SeatMapState:
        return await self._states.__anext__()

    async def aclose(self) -> None:
        """Stop watching and close the connection."""
        await self._states.aclose()

    async def __aenter__(self) -> SeatWatch:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    async def _run(self) -> AsyncGenerator[SeatMapState, None]:
        failures = 0
        refreshed = False
        while True:
            try:
                async with aclosing(self._connection()) as states:
                    async for state in states:
                        failures, refreshed = 0, False
                        yield state
            except Unauthenticated as exc:
                rejected = self._token()
                if refreshed or rejected is None or not is_expired_token(exc):
                    raise
                if not await self._refresh(rejected):
                    raise
                refreshed = True
            except _CONNECTION_FAILURES as exc:
                failures += 1
                if failures > self._attempts:
                    if isinstance(exc, (InternalError, SubgraphUnavailable)):
                        raise
                    raise TransportError(f"live seats for {self.show_id}: {exc!r}") from exc
                await asyncio.sleep(self._wait(failures))
            self.resubscriptions += 1

    def _wait(self, failures: int) -> float:
        """Seconds before connecting again after ``failures`` in a row: ``backoff`` doubling,
        plus up to ``backoff`` of random jitter (as the HTTP retries), at most ``max_backoff``.
        The jitter matters when a server restarts under many watchers: they come back spread
        out instead of all in the same instant."""
        return min(self._max_backoff,
                   self._backoff * 2 ** (failures - 1) + random.uniform(0, self._backoff))

    async def _connection(self) -> AsyncGenerator[SeatMapState, None]:
        async with GraphQLWebSocket.connect(self.url, bearer(self._token()), max_size=None,
                                            open_timeout=self._open_timeout) as connection:
            self._ws = connection.ws
            try:
                async with aclosing(self._subscription(connection)) as states:
                    async for state in states:
                        yield state
            finally:
                self._ws = None

    async def _subscription(self, connection: GraphQLWebSocket
                            ) -> AsyncGenerator[SeatMapState, None]:
        serial = 1
        await self._subscribe(connection, serial)
        current: SeatMapState | None = None  # None until this subscription's snapshot
        while True:
            message = await connection.receive()
            if message.get("id") != str(serial):
                continue  # a late message of a subscription given up
            try:
                event = self._event(message)
            except TicketFlowError as exc:
                if not self._older_server(exc):
                    raise
                # A server from before fromVersion: ask without it, follow version by version.
                self._document = WATCH_SEATS_BY_VERSION_GQL
                self._operation = "WatchSeatsByVersion"
                serial += 1
                await self._subscribe(connection, serial)
                continue
            try:
                new = apply_event(current, event, self.segment)
            except VersionGap:
                await connection.complete(str(serial))
                serial += 1
                self.resubscriptions += 1
                current = None
                await self._subscribe(connection, serial)
                continue
            if new is not None:
                current = self.state = new
                yield new

    def _older_server(self, exc: TicketFlowError) -> bool:
        return (self._document == WATCH_SEATS_GQL
                and exc.code == "GRAPHQL_VALIDATION_FAILED" and "fromVersion" in exc.message)

    async def _subscribe(self, connection: GraphQLWebSocket, serial: int) -> None:
        await connection.subscribe(str(serial), self._document, {"showId": self.show_id},
                                   self._operation)

    @staticmethod
    def _event(message: Mapping[str, Any]) -> Mapping[str, Any]:
        """The seatAvailability of a ``next``; raises for ``error``, an error in ``next``,
        and ``complete``."""
        data = payload_data(message)
        if data is None:
            raise _Dropped(f"the server ended the subscription ({message.get('type')})")
        event: Mapping[str, Any] = data["seatAvailability"]
        return event
