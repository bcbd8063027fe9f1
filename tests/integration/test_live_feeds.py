"""Shared live feeds: seatAvailability executed once per group, the same bytes to all.

Each test reads the booking process's feed registry (``stats`` counts executions of a
selection set, snapshot reads and renders, deltas, gaps and resyncs) and what the
subscribers were sent, byte for byte.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
import websockets
from ticketflow_sdk.ws import GraphQLWebSocket

from subgraphs.booking import inventory
from subgraphs.booking.live import SeatFeed
from subgraphs.kernel.feeds import FeedRegistry
from subgraphs.kernel.service import Service
from tests.flows import HOLD, SEAT_AVAILABILITY, Actors, ShowOnSale, User, seat_ids, show_on_sale
from tests.flows import seat_id as seat
from tests.harness import Stack, eventually
from tests.integration.conftest import own_deployment
from tests.integration.support import Deployment

RELEASE = "mutation($h: ID!) { releaseHold(holdId: $h) { id status } }"
SEATS = """subscription($show: ID!) { seatAvailability(showId: $show) {
  kind version fromVersion seats { seatId state } availability { held } } }"""
COUNTS = """subscription Counts($show: ID!) { seatAvailability(showId: $show) {
  showId version fromVersion availability { total held } } }"""
WAIT = 20.0


class Raw:
    """One graphql-transport-ws connection, read frame by frame as text."""

    def __init__(self, connection: GraphQLWebSocket) -> None:
        self.connection = connection
        self.ws = connection.ws

    async def subscribe(self, query: str, show_id: str, op: str = "1") -> None:
        await self.connection.subscribe(op, query, {"show": show_id})

    async def frame(self) -> str:
        """The next frame that is not a ping."""
        while True:
            text = await asyncio.wait_for(self.ws.recv(), WAIT)
            if json.loads(text)["type"] != "ping":
                return str(text)

    async def event(self) -> dict[str, Any]:
        message = json.loads(await self.frame())
        assert message["type"] == "next" and "errors" not in message["payload"], message
        return message["payload"]["data"]["seatAvailability"]  # type: ignore[no-any-return]


@contextlib.asynccontextmanager
async def connected(stack: Stack) -> AsyncIterator[Raw]:
    async with GraphQLWebSocket.connect(stack.url("booking"), open_timeout=WAIT) as connection:
        yield Raw(connection)


@contextlib.asynccontextmanager
async def watching(stack: Stack, show_id: str, n: int, query: str = SEATS
                   ) -> AsyncIterator[list[Raw]]:
    """``n`` connections with one subscription each (operation ids ``s0`` … ``s{n-1}``)."""
    async with contextlib.AsyncExitStack() as stack_of:
        raws = [await stack_of.enter_async_context(connected(stack)) for _ in range(n)]
        for i, raw in enumerate(raws):
            await raw.subscribe(query, show_id, f"s{i}")
        yield raws


def registry(stack: Stack) -> FeedRegistry[Service]:
    found = stack.services["booking"].feeds()
    assert found is not None
    return found


def feed(stack: Stack, show_id: str) -> SeatFeed:
    found = registry(stack).feeds[show_id]
    assert isinstance(found, SeatFeed)
    return found


def payload_of(frame: str, op: str) -> str:
    """The payload bytes of a ``next`` frame, checking the frame's fixed layout."""
    prefix = f'{{"id":"{op}","type":"next","payload":'
    assert frame.startswith(prefix) and frame.endswith("}"), frame[:80]
    return frame[len(prefix):-1]


async def hold(stack: Stack, show: ShowOnSale, who: User, *positions: int) -> str:
    body = await stack.client("booking").data(
        HOLD, {"show": show.id, "seats": seat_ids(show, *positions)},
        who.token)
    assert body["holdSeats"]["__typename"] == "SeatHold", body
    return str(body["holdSeats"]["id"])


async def test_one_document_is_executed_once_per_delta_and_everyone_gets_its_bytes(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    async with watching(stack, show.id, 6) as raws:
        snapshots = [payload_of(await r.frame(), f"s{i}") for i, r in enumerate(raws)]
        before = registry(stack).stats["executions"]
        await hold(stack, show, actors.customer, 4)
        deltas = [payload_of(await r.frame(), f"s{i}") for i, r in enumerate(raws)]
        after = registry(stack).stats["executions"]
    assert len(set(snapshots)) == 1 and len(set(deltas)) == 1
    assert after - before == 1  # one execution for six subscribers
    delta = json.loads(deltas[0])["data"]["seatAvailability"]
    snapshot = json.loads(snapshots[0])["data"]["seatAvailability"]
    assert (delta["kind"], delta["fromVersion"], delta["version"]) == (
        "DELTA", snapshot["version"], snapshot["version"] + 1)
    assert delta["seats"] == [{"seatId": seat(show, 4), "state": "HELD"}]


async def test_a_snapshot_is_read_and_rendered_once_for_everyone_joining_at_one_version(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    stats = registry(stack).stats
    reads, renders = stats["snapshot_reads"], stats["snapshot_renders"]
    async with watching(stack, show.id, 5) as first:
        wave = [payload_of(await r.frame(), f"s{i}") for i, r in enumerate(first)]
        async with watching(stack, show.id, 3) as second:
            later = [payload_of(await r.frame(), f"s{i}") for i, r in enumerate(second)]
            assert (stats["snapshot_reads"] - reads, stats["snapshot_renders"] - renders) == (
                1, 1)
            await hold(stack, show, actors.customer, 0)
            for r in [*first, *second]:
                await r.event()
            # After a change, the next to join gets the new version, from memory: one more
            # render, no read.
            async with watching(stack, show.id, 2) as third:
                newer = [json.loads(payload_of(await r.frame(), f"s{i}"))
                         for i, r in enumerate(third)]
    assert len(set(wave + later)) == 1
    assert (stats["snapshot_reads"] - reads, stats["snapshot_renders"] - renders) == (1, 2)
    assert newer[0] == newer[1]
    event = newer[0]["data"]["seatAvailability"]
    first_version = json.loads(wave[0])["data"]["seatAvailability"]["version"]
    assert (event["kind"], event["fromVersion"], event["version"]) == (
        "SNAPSHOT", None, first_version + 1)
    assert event["seats"][0] == {"seatId": seat(show, 0), "state": "HELD"}
    assert event["availability"] == {"held": 1}


async def test_different_selection_sets_each_get_their_own_shape(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    async with watching(stack, show.id, 2) as seats, \
            watching(stack, show.id, 2, COUNTS) as counts:
        snap_seats = [await r.event() for r in seats]
        snap_counts = [await r.event() for r in counts]
        before = registry(stack).stats["executions"]
        await hold(stack, show, actors.customer, 1, 2)
        delta_seats = [await r.event() for r in seats]
        delta_counts = [await r.event() for r in counts]
        assert registry(stack).stats["executions"] - before == 2  # once per document
    version = snap_seats[0]["version"]
    assert snap_seats[0] == snap_seats[1] and delta_seats[0] == delta_seats[1]
    assert snap_counts[0] == snap_counts[1] == {
        "showId": show.id, "version": version, "fromVersion": None,
        "availability": {"total": 10, "held": 0}}
    assert delta_counts[0] == delta_counts[1] == {
        "showId": show.id, "version": version + 1, "fromVersion": version,
        "availability": {"total": 10, "held": 2}}
    assert delta_seats[0] == {
        "kind": "DELTA", "version": version + 1, "fromVersion": version,
        "seats": [{"seatId": seat(show, 1), "state": "HELD"},
                  {"seatId": seat(show, 2), "state": "HELD"}],
        "availability": {"held": 2}}


async def test_a_skipped_version_on_the_channel_makes_everyone_start_from_a_snapshot(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    stats = registry(stack).stats
    gaps, resyncs = stats["gaps"], stats["resyncs"]
    async with watching(stack, show.id, 3) as raws:
        first = [await r.event() for r in raws]
        version = first[0]["version"]
        # As if the message of version + 1 had been lost: version + 2 arrives alone.
        await stack.services["booking"].runtime.live.publish(inventory.channel(show.id), {
            "show_id": show.id, "version": version + 2,
            "seats": [{"seat_id": seat(show, 7), "state": "SOLD", "legs": []}],
            "counts": {"total": 10, "available": 9, "held": 0, "sold": 1},
            "by_category": [], "general_admission": []})
        fresh = [await r.event() for r in raws]
        await hold(stack, show, actors.customer, 3)
        after = [await r.event() for r in raws]
    assert (stats["gaps"] - gaps, stats["resyncs"] - resyncs) == (1, 1)
    # The database's state, not the message that could not be applied.
    assert fresh == [first[0]] * 3
    assert after[0]["kind"] == "DELTA" and after == [after[0]] * 3
    assert (after[0]["fromVersion"], after[0]["version"]) == (version, version + 1)
    assert after[0]["seats"] == [{"seatId": seat(show, 3), "state": "HELD"}]


async def test_completing_or_disconnecting_removes_the_subscriber_and_the_last_one_the_feed(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    async with connected(stack) as stays:
        await stays.subscribe(SEATS, show.id, "a")
        await stays.event()
        async with connected(stack) as leaves:
            await leaves.subscribe(SEATS, show.id, "b")
            await leaves.event()
            assert len(feed(stack, show.id).subscribers()) == 2
        await eventually(lambda: asyncio.sleep(0, len(feed(stack, show.id).subscribers()) == 1))
        # Completed, its id may be used again at once: the new subscription starts afresh.
        await stays.ws.send(json.dumps({"id": "a", "type": "complete"}))
        await eventually(lambda: asyncio.sleep(0, show.id not in registry(stack).feeds))
        await hold(stack, show, actors.customer, 5)
        await stays.subscribe(SEATS, show.id, "a")
        again = await stays.event()
    assert (again["kind"], again["seats"][5]) == ("SNAPSHOT", {"seatId": seat(show, 5),
                                                               "state": "HELD"})
    await eventually(lambda: asyncio.sleep(0, show.id not in registry(stack).feeds))
    assert not [g for g in registry(stack).groups.values() if g.feed.key == show.id]


async def test_a_second_subscribe_with_a_live_id_closes_the_connection_with_4409(
        stack: Stack, show: ShowOnSale) -> None:
    async with connected(stack) as raw:
        await raw.subscribe(SEATS, show.id, "dup")
        await raw.event()
        await raw.ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await raw.frame()) == {"type": "pong"}
        await raw.subscribe(SEATS, show.id, "dup")
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await raw.frame()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4409


async def test_an_invalid_selection_is_answered_with_a_validation_error(
        stack: Stack, show: ShowOnSale) -> None:
    async with connected(stack) as raw:
        await raw.subscribe("subscription($show: ID!) { seatAvailability(showId: $show) { "
                            "nope } }", show.id, "bad")
        message = json.loads(await raw.frame())
    assert (message["id"], message["type"]) == ("bad", "error")
    [error] = message["payload"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "nope" in error["message"]


# --- coalescing, on a deployment whose window lasts a minute ------------------------------

@pytest.fixture(scope="module")
async def long_window(mode: str, tmp_path_factory: pytest.TempPathFactory
                      ) -> AsyncIterator[Deployment]:
    async with own_deployment(mode, tmp_path_factory, "coalesce",
                              live_coalesce_ms=60_000) as running:
        yield running


async def test_changes_within_the_window_reach_subscribers_as_one_merged_delta(
        long_window: Deployment) -> None:
    stack, who = long_window.stack, long_window.actors.customer
    show = await show_on_sale(stack.client("venue"), stack.client("booking"),
                              long_window.actors.organizer)
    async with watching(stack, show.id, 2) as raws:
        start = (await raws[0].event())["version"]
        await raws[1].event()
        first = await hold(stack, show, who, 0)  # nothing was sent lately: at once
        alone = [await r.event() for r in raws]
        deltas = registry(stack).stats["deltas"]
        brief = await hold(stack, show, who, 1)
        await hold(stack, show, who, 2, 3)
        client = stack.client("booking")
        await client.data(RELEASE, {"h": brief}, who.token)
        await client.data(RELEASE, {"h": first}, who.token)
        pending = feed(stack, show.id)
        await eventually(lambda: asyncio.sleep(0, pending.pending is not None
                                               and pending.pending.version == start + 5))
        assert registry(stack).stats["deltas"] == deltas  # all four wait for the window
        pending.end_window()
        burst = [await r.event() for r in raws]
    assert alone[0] == alone[1]
    assert (alone[0]["fromVersion"], alone[0]["version"]) == (start, start + 1)
    assert burst[0] == burst[1]
    assert (burst[0]["kind"], burst[0]["fromVersion"], burst[0]["version"]) == (
        "DELTA", start + 1, start + 5)
    # Each seat once, in the order it first changed, in its latest state.
    assert burst[0]["seats"] == [{"seatId": seat(show, 1), "state": "AVAILABLE"},
                                 {"seatId": seat(show, 2), "state": "HELD"},
                                 {"seatId": seat(show, 3), "state": "HELD"},
                                 {"seatId": seat(show, 0), "state": "AVAILABLE"}]
    assert burst[0]["availability"] == {"held": 2}


# --- the live bus losing messages ---------------------------------------------------------

async def cut_off(stack: Stack, show_id: str) -> None:
    """Make this process lose the show's live messages for a moment: kill its Redis pub/sub
    connection (postgres mode), or cut its watcher off as a full queue does (embedded)."""
    if stack.settings.redis_url is None:
        watcher = feed(stack, show_id)._watcher
        assert watcher is not None
        watcher.interrupt()
        return
    name = f"{stack.settings.redis_prefix}:live"
    redis = aioredis.from_url(stack.settings.redis_url)
    try:
        clients = await redis.client_list()
        [pubsub] = [c for c in clients if c.get("name") == name and int(c.get("sub", 0)) > 0]
        await redis.client_kill_filter(_id=pubsub["id"])
    finally:
        await redis.aclose()


async def test_subscribers_start_over_from_a_snapshot_when_live_messages_may_be_lost(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    stats = registry(stack).stats
    restarts = stats["restarts"]
    async with watching(stack, show.id, 2) as raws:
        first = [await r.event() for r in raws]
        await cut_off(stack, show.id)
        fresh = [await r.event() for r in raws]
        await hold(stack, show, actors.customer, 6)
        after = [await r.event() for r in raws]
    assert stats["restarts"] - restarts == 1
    assert fresh == first and fresh[0]["kind"] == "SNAPSHOT"
    assert (after[0]["kind"], after[0]["fromVersion"]) == ("DELTA", first[0]["version"])
    assert after[0]["seats"] == [{"seatId": seat(show, 6), "state": "HELD"}]
    assert after[0] == after[1]


async def test_the_subscription_of_the_existing_tests_is_shared(
        stack: Stack, show: ShowOnSale) -> None:
    async with watching(stack, show.id, 2, SEAT_AVAILABILITY):
        await eventually(lambda: asyncio.sleep(0, show.id in registry(stack).feeds
                                               and len(feed(stack, show.id).subscribers()) == 2))
