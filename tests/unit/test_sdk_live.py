"""The SDK's live seat maps and the delta contract: ``fromVersion`` names the state a delta
applies to; servers from before it are followed version by version."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from ticketflow_sdk import AsyncClient, NotFound, ws
from ticketflow_sdk.live import VersionGap, apply_event
from ticketflow_sdk.models import SeatStatus
from websockets.asyncio.server import ServerConnection, serve

GUARD = 10.0  # a guard against a hung test, not a measurement


def event(kind: str, version: int, seats: list[tuple[str, str]], held: int,
          from_version: int | None = None, with_from: bool = True) -> dict[str, Any]:
    found: dict[str, Any] = {
        "showId": "show-1", "kind": kind, "version": version,
        "seats": [{"seatId": s, "state": state, "legs": []} for s, state in seats],
        "availability": {"total": 3, "available": 3 - held, "held": held, "sold": 0},
        "generalAdmission": []}
    if with_from:
        found["fromVersion"] = from_version
    return found


SNAPSHOT = event("SNAPSHOT", 7, [("a", "AVAILABLE"), ("b", "AVAILABLE"), ("c", "AVAILABLE")], 0)


def test_a_delta_covering_several_versions_applies_to_the_state_it_follows() -> None:
    state = apply_event(None, SNAPSHOT)
    after = apply_event(state, event("DELTA", 10, [("a", "HELD"), ("c", "HELD")], 2, 7))
    assert after is not None
    assert (after.version, after.kind, after.changed) == (10, "DELTA", ("a", "c"))
    assert after.seats_in(SeatStatus.HELD) == ["a", "c"]


def test_a_delta_that_follows_another_version_is_a_gap() -> None:
    state = apply_event(None, SNAPSHOT)
    with pytest.raises(VersionGap):
        apply_event(state, event("DELTA", 9, [("a", "HELD")], 1, 8))
    with pytest.raises(VersionGap):
        apply_event(state, event("DELTA", 8, [("a", "HELD")], 1, 6))


def test_a_delta_up_to_the_states_version_is_a_repeat() -> None:
    state = apply_event(None, SNAPSHOT)
    assert apply_event(state, event("DELTA", 7, [("a", "HELD")], 1, 5)) is None


def test_without_from_version_a_delta_follows_the_version_before_it() -> None:
    state = apply_event(None, SNAPSHOT)
    after = apply_event(state, event("DELTA", 8, [("b", "HELD")], 1, with_from=False))
    assert after is not None and after.seats_in(SeatStatus.HELD) == ["b"]
    with pytest.raises(VersionGap):
        apply_event(after, event("DELTA", 10, [("c", "HELD")], 2, with_from=False))


def test_a_snapshot_mid_stream_replaces_the_state() -> None:
    state = apply_event(apply_event(None, SNAPSHOT), event("DELTA", 8, [("a", "HELD")], 1, 7))
    fresh = apply_event(state, event("SNAPSHOT", 8, [("a", "AVAILABLE"), ("b", "HELD"),
                                                     ("c", "AVAILABLE")], 1))
    assert fresh is not None
    assert (fresh.kind, fresh.version, fresh.seats_in(SeatStatus.HELD)) == ("SNAPSHOT", 8, ["b"])


# --- a server from before fromVersion -----------------------------------------------------

Answer = Callable[[ServerConnection, str, str], Awaitable[None]]


@contextlib.asynccontextmanager
async def ws_server(answer: Answer) -> AsyncIterator[str]:
    """A graphql-transport-ws server that acknowledges and lets ``answer(ws, id, query)``
    answer each subscription; its URL."""

    async def handle(ws: ServerConnection) -> None:
        async for raw in ws:
            message = json.loads(raw)
            if message["type"] == "connection_init":
                await ws.send(json.dumps({"type": "connection_ack"}))
            elif message["type"] == "subscribe":
                await answer(ws, message["id"], message["payload"]["query"])

    async with serve(handle, "127.0.0.1", 0, subprotocols=["graphql-transport-ws"]  # type: ignore[list-item]
                     ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"http://127.0.0.1:{port}/graphql"


async def send(ws: ServerConnection, op: str, kind: str, payload: Any = None) -> None:
    await ws.send(json.dumps({"id": op, "type": kind,
                              **({} if payload is None else {"payload": payload})}))


def old_server(subscribed: list[str]) -> contextlib.AbstractAsyncContextManager[str]:
    """A server whose schema has no fromVersion: it refuses a document asking for it, and
    otherwise sends a snapshot and a delta of the next version."""

    async def answer(ws: ServerConnection, op: str, query: str) -> None:
        subscribed.append(query)
        if "fromVersion" in query:
            await send(ws, op, "error", [{
                "message": "Cannot query field 'fromVersion' on type 'SeatAvailabilityEvent'.",
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}])
            return
        for data in (event("SNAPSHOT", 3, [("a", "AVAILABLE")], 0, with_from=False),
                     event("DELTA", 4, [("a", "HELD")], 1, with_from=False)):
            await send(ws, op, "next", {"data": {"seatAvailability": data}})

    return ws_server(answer)


async def test_the_watcher_of_an_older_server_asks_without_from_version() -> None:
    subscribed: list[str] = []
    async with old_server(subscribed) as url, AsyncClient(url) as client, \
            client.watch_seats("show-1") as watch:
        first = await asyncio.wait_for(anext(watch), GUARD)
        second = await asyncio.wait_for(anext(watch), GUARD)
    assert (first.kind, first.version, second.kind, second.version) == (
        "SNAPSHOT", 3, "DELTA", 4)
    assert second.seats_in(SeatStatus.HELD) == ["a"]
    assert ["fromVersion" in q for q in subscribed] == [True, False]
    assert watch.resubscriptions == 0


# --- a server whose live source is down for a while ---------------------------------------

def flaky_server(subscribed: list[str]) -> contextlib.AbstractAsyncContextManager[str]:
    """The first subscription ends with SUBGRAPH_UNAVAILABLE (booking lost Redis), as
    booking's ordinary path answers it; the next one gets a snapshot."""

    async def answer(ws: ServerConnection, op: str, _query: str) -> None:
        subscribed.append(op)
        if len(subscribed) == 1:
            await send(ws, op, "next", {"data": None, "errors": [{
                "message": "The booking service cannot reach its database or Redis right "
                           "now; retry shortly.",
                "extensions": {"code": "SUBGRAPH_UNAVAILABLE", "retryable": True,
                               "serviceName": "booking"}}]})
            await send(ws, op, "complete")
            return
        await send(ws, op, "next", {
            "data": {"seatAvailability": event("SNAPSHOT", 7, [("a", "HELD")], 1)}})

    return ws_server(answer)


async def test_the_watcher_subscribes_again_after_a_subgraph_unavailable_error() -> None:
    subscribed: list[str] = []
    async with flaky_server(subscribed) as url, AsyncClient(url) as client, \
            client.watch_seats("show-1") as watch:
        state = await asyncio.wait_for(anext(watch), GUARD)
    assert (state.kind, state.version, state.seats_in(SeatStatus.HELD)) == ("SNAPSHOT", 7, ["a"])
    assert len(subscribed) == 2 and watch.resubscriptions == 1


async def test_watchers_wait_a_jittered_backoff_before_connecting_again() -> None:
    # A server restarted under many watchers: they come back spread out, not all at once.
    async with AsyncClient("http://127.0.0.1:9/graphql", backoff=0.25) as client:
        watches = [client.watch_seats("show-1") for _ in range(50)]
        first = [w._wait(1) for w in watches]
        assert all(0.25 <= wait <= 0.5 for wait in first)
        assert len(set(first)) > 1
        assert all(0.5 <= w._wait(2) <= 0.75 for w in watches)
        assert all(w._wait(10) == 5.0 for w in watches)
        for w in watches:
            await w.aclose()


# --- one subscription of the caller's own (ticketflow_sdk.ws) -----------------------------

async def test_a_subscription_gives_each_data_until_complete_and_answers_pings() -> None:
    received: list[str] = []

    async def answer(ws: ServerConnection, op: str, query: str) -> None:
        await ws.send(json.dumps({"type": "ping"}))
        received.append(json.loads(await ws.recv())["type"])  # the client's answer
        for version in (3, 4):
            await send(ws, op, "next", {"data": {"seatAvailability": {"version": version}}})
        await send(ws, op, "complete")

    async with ws_server(answer) as url:
        got = [data async for data in ws.subscribe(url, "subscription { x }", {"a": 1})]
    assert got == [{"seatAvailability": {"version": 3}}, {"seatAvailability": {"version": 4}}]
    assert received == ["pong"]


async def test_a_subscription_raises_the_error_it_is_answered_with() -> None:
    async def answer(ws: ServerConnection, op: str, query: str) -> None:
        await send(ws, op, "next", {"data": None, "errors": [
            {"message": "No such show.", "extensions": {"code": "NOT_FOUND"}}]})

    async with ws_server(answer) as url:
        with pytest.raises(NotFound):
            async for _ in ws.subscribe(url, "subscription { x }"):
                pass
