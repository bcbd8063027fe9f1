"""The router as an API edge: operation limits, introspection and field suggestions, the
federation-only fields, batches. Real processes, both modes.

Two routers: the session's (``e2e``: ``TICKETFLOW_ENV=test``, the default limits), and one
started here behind the recording proxy (``tests/recording.py``) with
``TICKETFLOW_ENV=production`` and small limits (``LIMITS``), so that each limit can be met
exactly by a real operation and overstepped by one step: the operation at a limit reaches the
subgraph (the proxy sees it), the one past it is refused with ``OPERATION_LIMIT`` and the
proxy sees nothing - over HTTP and, for subscriptions, over the pass-through's WebSocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from ticketflow_sdk import operations

from bench.seatmap import stadium
from tests.flows import CREATE_SHOW, CREATE_VENUE, new_user
from tests.harness import GraphQL, Processes, Stack, error_codes, eventually, http
from tests.recording import Recorded, recorded_router
from tests.watchers import LiveConnection

LIMITS = {"depth": 4, "aliases": 3, "directives": 3, "cost": 80, "tokens": 60, "bytes": 300}
SETTINGS = {"depth": "TICKETFLOW_MAX_DEPTH", "aliases": "TICKETFLOW_MAX_ALIASES",
            "directives": "TICKETFLOW_MAX_DIRECTIVES", "cost": "TICKETFLOW_MAX_COST",
            "tokens": "TICKETFLOW_MAX_TOKENS", "bytes": "TICKETFLOW_MAX_DOCUMENT_BYTES"}

SHOW = "query($id: ID!) { show(id: $id) { %s } }"


def padded(document: str, size: int) -> str:
    """``document`` with a comment that makes it ``size`` bytes (UTF-8) long."""
    document += " #"
    return document + "é" * ((size - len(document.encode())) // 2) + \
        " " * ((size - len(document.encode())) % 2)


# Per limit: an operation just at it and one just past it (each within every other limit).
CASES: dict[str, tuple[str, str]] = {
    # show > venue > halls > name is 4 deep; > sections > key is 5
    "depth": (SHOW % "venue { halls { name } }", SHOW % "venue { halls { sections { key } } }"),
    "aliases": (SHOW.replace("show(id: $id) { %s }", "a: show(id: $id) { id } "
                             "b: show(id: $id) { id } c: show(id: $id) { id }"),
                SHOW.replace("show(id: $id) { %s }", "a: show(id: $id) { id } "
                             "b: show(id: $id) { id } c: show(id: $id) { id } "
                             "d: show(id: $id) { id }")),
    "directives": (SHOW % "id @skip(if: false) title @include(if: true) kind @include(if: true)",
                   SHOW % "id @skip(if: false) title @include(if: true) kind @include(if: true) "
                          "status @skip(if: false)"),
    # k names four deep cost 9.5 + 3.375 k (Armor: scalar 1, object 2, x1.5 a level): 77, 80.375
    "cost": (SHOW % f"venue {{ halls {{ {'name ' * 20}}} }}",
             SHOW % f"venue {{ halls {{ {'name ' * 21}}} }}"),
    # 19 tokens and one per field: 60, 61
    "tokens": (SHOW % ("id " * 41), SHOW % ("id " * 42)),
    "bytes": (padded(SHOW % "id", 300), padded(SHOW % "id", 301)),
}

# The pass-through's subscriptions, the same way (anonymous; the proxy refuses the upgrade,
# which is all that is needed to see one was asked for).
WATCH = "subscription($show: ID!) { seatAvailability(showId: $show) { %s } }"
SUBSCRIPTION_CASES: dict[str, tuple[str, str]] = {
    "aliases": (WATCH % "a: kind b: version c: showId", WATCH % "a: kind b: version c: showId "
                                                                "d: fromVersion"),
    "tokens": (WATCH % ("kind " * 41), WATCH % ("kind " * 42)),
    "bytes": (padded(WATCH % "kind", 300), padded(WATCH % "kind", 301)),
}


@pytest.fixture(scope="module")
async def edge(e2e: tuple[Stack, Processes], tmp_path_factory: pytest.TempPathFactory
               ) -> AsyncIterator[Recorded]:
    stack, _ = e2e
    overrides = {SETTINGS[limit]: str(n) for limit, n in LIMITS.items()}
    overrides["TICKETFLOW_ENV"] = "production"
    async with recorded_router(stack, tmp_path_factory.mktemp("edge-router"), overrides) as found:
        yield found


async def post(url: str, body: Any) -> httpx.Response:
    return await http().post(url, json=body,
                             headers={"accept": "application/graphql-response+json"})


def marker_address() -> str:
    """A made-up client address (TEST-NET-3) that names one test's subscription."""
    return f"203.0.113.{uuid.uuid4().int % 254 + 1}"


@contextlib.asynccontextmanager
async def subscribed(url: str, query: str, address: str) -> AsyncIterator[LiveConnection]:
    """A connection from ``address`` that has subscribed to ``query`` as "1"."""
    async with LiveConnection.connect(url, headers={"X-Forwarded-For": address}) as connection:
        await connection.subscribe("1", query, {"show": str(uuid.uuid4())})
        yield connection


def refused_for(body: dict[str, Any], limit: str) -> None:
    [error] = body["errors"]
    # (over WebSocket the gateway also sends the HTTP status it would have used)
    extensions = {k: v for k, v in error["extensions"].items() if k != "http"}
    assert extensions == {"code": "OPERATION_LIMIT", "limit": limit, "max": LIMITS[limit]}, body
    assert str(LIMITS[limit]) in error["message"]


# ------------------------------------------------------------------------------------------
# limits


@pytest.mark.parametrize("limit", list(CASES))
async def test_an_operation_at_a_limit_passes_and_one_past_it_reaches_no_subgraph(
    limit: str, edge: Recorded
) -> None:
    at, past = CASES[limit]
    probe = str(uuid.uuid4())
    passed = await post(edge.router_url, {"query": at, "variables": {"id": probe}})
    assert passed.status_code == 200, passed.text
    assert "errors" not in passed.json(), passed.json()
    assert edge.recorder.mentioning(probe), "the operation at the limit reached no subgraph"

    probe = str(uuid.uuid4())
    refused = await post(edge.router_url, {"query": past, "variables": {"id": probe}})
    assert refused.status_code == 400
    refused_for(refused.json(), limit)
    assert edge.recorder.mentioning(probe) == []


@pytest.mark.parametrize("limit", list(SUBSCRIPTION_CASES))
async def test_a_subscription_past_a_limit_is_refused_before_the_pass_through(
    limit: str, edge: Recorded
) -> None:
    at, past = SUBSCRIPTION_CASES[limit]
    address = marker_address()
    async with subscribed(edge.router_url, past, address) as connection:
        answer = await connection.receive()
    # the gateway's answer to a document it refuses: `next` with the errors (then `complete`)
    assert answer["type"] == "next", answer
    assert answer["payload"].get("data") is None
    refused_for(answer["payload"], limit)
    assert edge.recorder.from_address(address, "ws") == []

    # control: the one at the limit is passed through to booking's WebSocket
    address = marker_address()
    async with subscribed(edge.router_url, at, address):
        [upgrade, *_] = await eventually(
            lambda: asyncio.sleep(0, edge.recorder.from_address(address, "ws")))
    assert upgrade.service == "booking"


async def test_the_default_limits_let_a_fifty_thousand_seat_map_through(
    e2e: tuple[Stack, Processes]
) -> None:
    """The SDK's own documents through the session's router (default limits): a hall of
    50,000 seats is imported in one createHall and its show's seat map read in one query
    (by its organizer: the show stays a draft, publishing 50,000 seats takes a while)."""
    stack, _ = e2e
    router = GraphQL(stack.router_url)
    # the import straight at the venue subgraph: on a loaded machine it can take longer than
    # the router's deadline for one subgraph call (15 s), which is not what is tested here
    venue_subgraph = GraphQL(stack.url("venue"))
    organizer = await new_user(stack, stack.router_url, "ORGANIZER")
    venue = await router.data(CREATE_VENUE, {"i": {"name": "Edge Stadium", "timeZone": "UTC"}},
                              organizer.token)
    hall = await venue_subgraph.data(operations.CREATE_HALL, {
        "venueId": venue["createVenue"]["id"], "seatMap": stadium(50_000)}, organizer.token)
    show = await router.data(CREATE_SHOW, {"i": {
        "hallId": hall["createHall"]["id"], "title": "Edge", "kind": "CONCERT",
        "startsAt": "2031-06-01T19:00:00+00:00", "price": {"amount": 5000, "currency": "EUR"}}},
        organizer.token)
    answer = await router.run(operations.SEAT_MAP, {"id": show["createShow"]["id"]},
                              organizer.token)
    assert "OPERATION_LIMIT" not in error_codes(answer), answer
    seat_map = answer["data"]["show"]["seatMap"]
    assert len(seat_map["seats"]["id"]) == 50_000  # columns, one entry per seat


# ------------------------------------------------------------------------------------------
# production and development


INTROSPECTION = ["{ __schema { queryType { name } } }", '{ __type(name: "Show") { name } }']
SUGGESTED = {
    "{ shows { nodes { titel } } }": 'Did you mean "title"?',
    "{ shows(filter: {kind: MOVI}) { nodes { id } } }": 'Did you mean the enum value "MOVIE"?',
    "query($id: ID!) { show(idd: $id) { id } }": 'Did you mean "id"?',
}


@pytest.mark.parametrize("query", INTROSPECTION)
async def test_introspection_is_off_in_production_only(
    query: str, e2e: tuple[Stack, Processes], edge: Recorded
) -> None:
    stack, _ = e2e
    development = await post(stack.router_url, {"query": query})
    assert development.status_code == 200
    assert "errors" not in development.json(), development.json()
    seen = len(edge.recorder.requests())
    production = await post(edge.router_url, {"query": query})
    assert production.status_code == 400
    assert set(error_codes(production.json())) == {"GRAPHQL_VALIDATION_FAILED"}
    assert "introspection has been disabled" in production.json()["errors"][0]["message"]
    assert len(edge.recorder.requests()) == seen


@pytest.mark.parametrize("query", list(SUGGESTED))
async def test_field_suggestions_are_hidden_in_production_only(
    query: str, e2e: tuple[Stack, Processes], edge: Recorded
) -> None:
    stack, _ = e2e
    body = {"query": query, "variables": {"id": str(uuid.uuid4())}}
    development = (await post(stack.router_url, body)).json()
    said = [e["message"] for e in development["errors"]]
    assert any(SUGGESTED[query] in m for m in said), development
    production = (await post(edge.router_url, body)).json()
    assert set(error_codes(production)) == set(error_codes(development)) \
        == {"GRAPHQL_VALIDATION_FAILED"}
    assert [e["message"] for e in production["errors"]] == [
        m.replace(f" {SUGGESTED[query]}", "") for m in said]
    assert not any("Did you mean" in e["message"] for e in production["errors"])


async def test_graphiql_is_off_in_production(e2e: tuple[Stack, Processes], edge: Recorded
                                             ) -> None:
    stack, _ = e2e
    html = {"accept": "text/html"}
    assert "<html" in (await http().get(stack.router_url, headers=html)).text.lower()
    assert "<html" not in (await http().get(edge.router_url, headers=html)).text.lower()


FEDERATION_ONLY = [
    "{ _service { sdl } }",
    'query($r: [_Any!]!) { _entities(representations: $r) { ... on Show { id title } } }',
]


@pytest.mark.parametrize("query", FEDERATION_ONLY)
async def test_entities_and_service_are_not_reachable_through_the_router(
    query: str, e2e: tuple[Stack, Processes], edge: Recorded
) -> None:
    stack, _ = e2e
    probe = str(uuid.uuid4())
    body = {"query": query, "variables": {"r": [{"__typename": "Show", "id": probe}]}}
    for url in (stack.router_url, edge.router_url):
        answer = await post(url, body)
        assert answer.status_code == 400
        assert set(error_codes(answer.json())) == {"GRAPHQL_VALIDATION_FAILED"}, answer.json()
        assert answer.json().get("data") is None
    assert edge.recorder.mentioning(probe) == []
    assert edge.recorder.mentioning("_service") == []


async def test_batches_are_refused(e2e: tuple[Stack, Processes], edge: Recorded) -> None:
    """Batching is off: a JSON array of operations is refused whole."""
    stack, _ = e2e
    probe = str(uuid.uuid4())
    one = {"query": SHOW % "id", "variables": {"id": probe}}
    for url in (stack.router_url, edge.router_url):
        answer = await post(url, [one, one])
        assert answer.status_code == 400
        assert error_codes(answer.json()) == ["BAD_REQUEST"], answer.json()
        assert "Batching is not supported" in answer.json()["errors"][0]["message"]
    assert edge.recorder.mentioning(probe) == []
    # control: the same operation alone does reach the subgraph
    assert (await post(edge.router_url, one)).status_code == 200
    assert edge.recorder.mentioning(probe)
