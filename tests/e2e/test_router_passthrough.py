"""The router's subscription pass-through, through real processes: many watchers of one show
ride one upstream connection per Authorization and see the same deliveries; a subscription
that needs another subgraph still goes through Hive Gateway's planner; bad tokens never reach
a subgraph; a connection's subscriptions are capped; a booking restart ends subscriptions in a
way a client recovers from.

The router serves ``GET /debug/passthrough`` here (``TICKETFLOW_ROUTER_DEBUG``): per subgraph,
the upstream connections it ever opened, those open now (anonymous ones apart) and the
subscriptions on them. That is how the tests see what the subgraph sees.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import strawberry
import websockets
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL as StrawberryASGI
from strawberry.federation.schema_directives import Key
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from subgraphs.dev import node_command
from subgraphs.kernel.graphql import FEDERATION_VERSION
from subgraphs.kernel.settings import SERVICES
from tests.conftest import own_processes
from tests.flows import HOLD, SEAT_AVAILABILITY, Actors, ShowOnSale, make_actors, show_on_sale
from tests.harness import (
    PYTHON,
    ROOT,
    GraphQL,
    Processes,
    Stack,
    another_router,
    error_codes,
    eventually,
    free_port,
    running,
    wait_http,
)
from tests.watchers import LiveConnection

MAX_PER_CONNECTION = 4
WAIT = 30.0


@pytest.fixture(scope="module")
async def deployment(mode: str, tmp_path_factory: pytest.TempPathFactory
                     ) -> AsyncIterator[tuple[Stack, Processes]]:
    async with own_processes(mode, tmp_path_factory, "passthrough", router_debug="true",
                             router_max_subscriptions_per_connection=MAX_PER_CONNECTION
                             ) as running:
        yield running


@pytest.fixture(scope="module")
async def people(deployment: tuple[Stack, Processes]) -> Actors:
    stack, _ = deployment
    return await make_actors(stack, lambda _service: stack.router_url)


@pytest.fixture(scope="module")
async def show(deployment: tuple[Stack, Processes], people: Actors) -> ShowOnSale:
    stack, _ = deployment
    router = GraphQL(stack.router_url)
    return await show_on_sale(router, router, people.organizer, via_router=True)


async def upstream(router_url: str) -> dict[str, Any]:
    """The router's pass-through upstream connections, per subgraph."""
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.get(router_url.replace("/graphql", "/debug/passthrough"))
    answer.raise_for_status()
    return answer.json()["upstream"]  # type: ignore[no-any-return]


def now_open(stats: dict[str, Any], subgraph: str) -> dict[str, int]:
    found = stats.get(subgraph, {})
    return {k: found.get(k, 0) for k in ("connections", "anonymousConnections", "subscriptions")}


async def test_watchers_of_one_show_share_an_upstream_connection_per_token_and_see_the_same(
        deployment: tuple[Stack, Processes], people: Actors, show: ShowOnSale) -> None:
    stack, _ = deployment
    bearer = {"a": f"Bearer {people.customer.token}", "b": f"Bearer {people.other_customer.token}"}
    callers = [None] * 6 + ["a"] * 3 + ["b"] * 2
    async with contextlib.AsyncExitStack() as opened:
        watchers = [await opened.enter_async_context(LiveConnection.connect(
            stack.router_url, {"Authorization": bearer[c]} if c else None)) for c in callers]
        for i, w in enumerate(watchers):
            await w.subscribe(f"watch-{i}", SEAT_AVAILABILITY, {"show": show.id})
        snapshots = [(await w.event(f"watch-{i}"))["seatAvailability"]
                     for i, w in enumerate(watchers)]
        assert all(s == snapshots[0] for s in snapshots)
        assert snapshots[0]["kind"] == "SNAPSHOT"
        # Booking hears 11 subscriptions on 3 connections: the anonymous one, one per token.
        await eventually(lambda: _open_are(stack, "booking", {
            "connections": 3, "anonymousConnections": 1, "subscriptions": 11}), WAIT)

        seat = str(show.seats[0]["id"])
        held = await GraphQL(stack.router_url).data(HOLD, {"show": show.id, "seats": [seat]},
                                                    people.customer.token)
        assert held["holdSeats"]["__typename"] == "SeatHold"
        deltas = [(await w.event(f"watch-{i}"))["seatAvailability"]
                  for i, w in enumerate(watchers)]
    assert all(d == deltas[0] for d in deltas)
    assert deltas[0]["kind"] == "DELTA"
    assert deltas[0]["version"] == snapshots[0]["version"] + 1
    assert deltas[0]["seats"] == [{"seatId": seat, "state": "HELD"}]
    # Gone with their clients; the connections linger a moment for the next ones.
    await eventually(lambda: _subscriptions_are(stack, "booking", 0), WAIT)


async def _open_are(stack: Stack, subgraph: str, expected: dict[str, int]) -> bool:
    return now_open(await upstream(stack.router_url), subgraph) == expected


async def _subscriptions_are(stack: Stack, subgraph: str, expected: int) -> bool:
    return now_open(await upstream(stack.router_url), subgraph)["subscriptions"] == expected


async def test_bad_tokens_are_refused_before_booking_hears_of_them(
        deployment: tuple[Stack, Processes], people: Actors, show: ShowOnSale) -> None:
    stack, _ = deployment
    forged = people.customer.token[:-4] + ("AAAA" if not people.customer.token.endswith(
        "AAAA") else "BBBB")
    before = await upstream(stack.router_url)
    for payload, headers in (({"Authorization": f"Bearer {forged}"}, {}),
                             ({}, {"Authorization": "Bearer garbage"}),
                             ({"Authorization": f"Bearer {people.customer.token}"},
                              {"Authorization": f"Bearer {forged}"})):
        async with LiveConnection.connect(stack.router_url, payload, headers) as w:
            await w.subscribe("s", SEAT_AVAILABILITY, {"show": show.id})
            refusal, end = await w.receive(), await w.receive()
        assert (refusal["type"], refusal["id"]) == ("next", "s"), refusal
        assert error_codes(refusal["payload"]) == ["UNAUTHENTICATED"], refusal
        assert refusal["payload"].get("data") is None
        assert end == {"id": "s", "type": "complete"}
    after = await upstream(stack.router_url)
    # No upstream connection was opened for them, and booking got no subscription.
    assert after.get("booking", {}).get("opened") == before.get("booking", {}).get("opened")
    assert now_open(after, "booking")["subscriptions"] == 0


async def test_a_connection_holds_a_limited_number_of_subscriptions_with_ids_of_its_own(
        deployment: tuple[Stack, Processes], show: ShowOnSale) -> None:
    stack, _ = deployment
    async with LiveConnection.connect(stack.router_url) as w:
        for i in range(MAX_PER_CONNECTION):
            await w.subscribe(f"s{i}", SEAT_AVAILABILITY, {"show": show.id})
            assert (await w.event(f"s{i}"))["seatAvailability"]["kind"] == "SNAPSHOT"
        await w.subscribe("one too many", SEAT_AVAILABILITY, {"show": show.id})
        refused = await w.receive()
        assert (refused["type"], refused["id"]) == ("error", "one too many"), refused
        assert [e["extensions"]["code"] for e in refused["payload"]] == ["TOO_MANY_SUBSCRIPTIONS"]
        await w.complete("s0")
        await w.subscribe("room again", SEAT_AVAILABILITY, {"show": show.id})
        assert (await w.event("room again"))["seatAvailability"]["kind"] == "SNAPSHOT"
        await w.subscribe("s1", SEAT_AVAILABILITY, {"show": show.id})
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await w.receive()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4409  # graphql-transport-ws: subscriber already exists


# ------------------------------------------------------------------------------------------
# a subscription that needs another subgraph: a stand-in subgraph whose ticks name a Show


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)])
class Show:
    id: strawberry.ID


@strawberry.type
class Tick:
    n: int
    show: Show


@strawberry.type
class Query:
    @strawberry.field
    def ticker_up(self) -> bool:
        return True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self, show_id: strawberry.ID, count: int) -> AsyncIterator[Tick]:
        for n in range(count):
            yield Tick(n=n, show=Show(id=show_id))


TICKER = strawberry.federation.Schema(query=Query, subscription=Subscription,
                                      federation_version=FEDERATION_VERSION)
TICKS_WITH_TITLES = """subscription($show: ID!) { ticks(showId: $show, count: 2) {
  n show { id title } } }"""
TICKS_ALONE = """subscription($show: ID!) { ticks(showId: $show, count: 2) { n show { id } } }"""


@dataclass
class TickerRouter:
    url: str


@pytest.fixture(scope="module")
async def ticker_router(deployment: tuple[Stack, Processes],
                        tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TickerRouter]:
    """A second router over a supergraph of TicketFlow's subgraphs and the stand-in ticker."""
    stack, _ = deployment
    base = tmp_path_factory.mktemp("ticker")
    ticker_port = free_port()
    app = Starlette(routes=[
        Route("/graphql", StrawberryASGI(TICKER), methods=["GET", "POST"]),
        WebSocketRoute("/graphql", StrawberryASGI(
            TICKER, subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL])),
    ])
    async with running((app, ticker_port), lifespan="off"):
        supergraph = await compose_with_ticker(base, f"http://127.0.0.1:{ticker_port}/graphql")
        async with another_router(stack, base, {
                "TICKETFLOW_ROUTER_DEBUG": "true", "TICKETFLOW_SUPERGRAPH": str(supergraph),
                "TICKETFLOW_TICKER_URL": f"http://127.0.0.1:{ticker_port}/graphql"}) as url:
            yield TickerRouter(url)


async def compose_with_ticker(base: Path, ticker_url: str) -> Path:
    """The supergraph of TicketFlow's subgraphs (their committed SDL) and the ticker's."""
    (base / "ticker.graphql").write_text(TICKER.as_str())
    subgraphs = {name: {"routing_url": f"http://localhost/{name}/graphql",
                        "schema": {"file": str(ROOT / "schema" / f"{name}.graphql")}}
                 for name in SERVICES}
    subgraphs["ticker"] = {"routing_url": ticker_url,
                           "schema": {"file": str(base / "ticker.graphql")}}
    (base / "supergraph.yaml").write_text(json.dumps({"federation_version": "=2.7.0",
                                                      "subgraphs": subgraphs}))
    out = base / "supergraph.graphql"
    node = await asyncio.create_subprocess_exec(
        *node_command(str(ROOT / "router" / "compose.mjs"), str(base / "supergraph.yaml"),
                      str(out)),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await node.communicate()
    assert node.returncode == 0, output.decode()
    return out


async def ticks(router_url: str, query: str, show_id: str) -> list[dict[str, Any]]:
    """Every message of one ticks subscription, up to its end."""
    async with LiveConnection.connect(router_url) as w:
        await w.subscribe("t", query, {"show": show_id})
        messages = [await w.receive()]
        while messages[-1]["type"] == "next":
            messages.append(await w.receive())
    return messages


async def test_a_subscription_that_needs_another_subgraph_goes_through_the_gateway(
        ticker_router: TickerRouter, show: ShowOnSale) -> None:
    before = (await upstream(ticker_router.url)).get("ticker", {}).get("opened", 0)
    messages = await ticks(ticker_router.url, TICKS_WITH_TITLES, show.id)
    # The ticker names the show; its title comes from the venue subgraph (an entity fetch).
    assert messages == [
        *({"id": "t", "type": "next", "payload": {"data": {"ticks": {
            "n": n, "show": {"id": show.id, "title": "Test Show"}}}}} for n in range(2)),
        {"id": "t", "type": "complete"}]
    assert (await upstream(ticker_router.url)).get("ticker", {}).get("opened", 0) == before


async def test_a_subscription_the_ticker_serves_alone_passes_through(
        ticker_router: TickerRouter, show: ShowOnSale) -> None:
    before = (await upstream(ticker_router.url)).get("ticker", {}).get("opened", 0)
    messages = await ticks(ticker_router.url, TICKS_ALONE, show.id)
    # Strawberry's own JSON layout ("id": "0", with spaces) takes the parsing path: same answer.
    assert messages == [
        *({"id": "t", "type": "next", "payload": {"data": {"ticks": {
            "n": n, "show": {"id": show.id}}}}} for n in range(2)),
        {"id": "t", "type": "complete"}]
    assert (await upstream(ticker_router.url))["ticker"]["opened"] == before + 1


# ------------------------------------------------------------------------------------------
# last: booking restarts under its watchers


async def test_a_booking_restart_ends_subscriptions_so_that_clients_can_subscribe_again(
        deployment: tuple[Stack, Processes], show: ShowOnSale) -> None:
    stack, procs = deployment
    booking = "subgraphs" if stack.settings.embedded else "booking"
    argv = [PYTHON, "-m", "subgraphs.cli", "serve", *([] if stack.settings.embedded else
                                                      ["booking"])]
    async with LiveConnection.connect(stack.router_url) as a, \
            LiveConnection.connect(stack.router_url) as b:
        for w in (a, b):
            await w.subscribe("before", SEAT_AVAILABILITY, {"show": show.id})
            assert (await w.event("before"))["seatAvailability"]["kind"] == "SNAPSHOT"
        procs.stop(booking)
        for w in (a, b):
            ended = await w.receive()
            assert (ended["type"], ended["id"]) == ("error", "before"), ended
            assert [e["extensions"]["code"] for e in ended["payload"]] == ["SUBGRAPH_UNAVAILABLE"]
        procs.start(booking, argv, stack.env)
        await wait_http(f"http://127.0.0.1:{stack.settings.port_of('booking')}/readyz",
                        procs=procs)
        # The same client connections, a new subscription each: a fresh snapshot.
        for w in (a, b):
            await w.subscribe("after", SEAT_AVAILABILITY, {"show": show.id})
            assert (await w.event("after"))["seatAvailability"]["kind"] == "SNAPSHOT"
