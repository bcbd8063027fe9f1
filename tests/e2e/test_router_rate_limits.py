"""Limits per client at the router. Queries and mutations are counted per client - the
token's subject when the request carries a valid token, else the address - before any
subgraph hears of them; past the limit the answer is ``RATE_LIMITED`` with ``retryAfter``
(HTTP 429, ``Retry-After``). With Redis (postgres mode) the counts live there, for every
router replica to share. Concurrent subscriptions are capped per connection and per client
(``TOO_MANY_SUBSCRIPTIONS``), and a place is freed when a subscription ends. Real processes,
both modes.

The router here runs behind the recording proxy (``tests/recording.py``, relaying the
subscriptions' WebSockets and writing down every message to a subgraph) and believes
X-Forwarded-For from loopback (``TICKETFLOW_ROUTER_TRUSTED_PROXIES``), so that each test
client is a made-up address of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as redis

from tests.flows import ShowOnSale, new_user
from tests.harness import Processes, Stack, error_codes, eventually, http
from tests.recording import Recorded, recorded_router
from tests.watchers import LiveConnection

QUERIES, MUTATIONS = 3, 2
PER_CONNECTION, PER_CLIENT = 2, 3
SHOW = "query($id: ID!) { show(id: $id) { id } }"
CREATE_VENUE = "mutation($i: CreateVenueInput!) { createVenue(input: $i) { id } }"


@pytest.fixture(scope="module")
async def limited(e2e: tuple[Stack, Processes], tmp_path_factory: pytest.TempPathFactory
                  ) -> AsyncIterator[Recorded]:
    stack, _ = e2e
    async with recorded_router(stack, tmp_path_factory.mktemp("rate-limited-router"), {
        "TICKETFLOW_ROUTER_RATE_LIMIT_QUERIES": str(QUERIES),
        "TICKETFLOW_ROUTER_RATE_LIMIT_MUTATIONS": str(MUTATIONS),
        "TICKETFLOW_ROUTER_RATE_LIMIT_WINDOW_SECONDS": "600",
        "TICKETFLOW_ROUTER_TRUSTED_PROXIES": "127.0.0.1, ::1",
        "TICKETFLOW_ROUTER_MAX_SUBSCRIPTIONS_PER_CONNECTION": str(PER_CONNECTION),
        "TICKETFLOW_ROUTER_MAX_SUBSCRIPTIONS_PER_CLIENT": str(PER_CLIENT),
    }, relay_websockets=True) as found:
        yield found



def new_address(prefix: str = "198.51.100") -> str:
    return f"{prefix}.{uuid.uuid4().int % 254 + 1}"


async def post(url: str, query: str, variables: dict[str, Any], address: str,
               token: str | None = None) -> httpx.Response:
    headers = {"accept": "application/graphql-response+json", "x-forwarded-for": address}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return await http().post(url, json={"query": query, "variables": variables},
                             headers=headers)


async def redis_keys(stack: Stack, kind: str) -> list[bytes]:
    client = redis.from_url(stack.settings.redis_url)
    try:
        return await client.keys(  # type: ignore[no-any-return]
            f"{stack.settings.redis_prefix}:router:rate:{kind}:*")
    finally:
        await client.aclose()


def assert_rate_limited(response: httpx.Response) -> None:
    body = response.json()
    assert response.status_code == 429, (response.status_code, body)
    assert error_codes(body) == ["RATE_LIMITED"], body
    assert body.get("data") is None
    retry_after = body["errors"][0]["extensions"]["retryAfter"]
    assert isinstance(retry_after, int) and 1 <= retry_after <= 600
    assert response.headers["retry-after"] == str(retry_after)


async def test_queries_past_the_limit_are_refused_for_that_client_alone(limited: Recorded
                                                                        ) -> None:
    address = f"198.51.100.{uuid.uuid4().int % 254 + 1}"
    for _ in range(QUERIES):
        probe = str(uuid.uuid4())
        passed = await post(limited.router_url, SHOW, {"id": probe}, address)
        assert passed.status_code == 200, passed.text
        assert limited.recorder.mentioning(probe)
    probe = str(uuid.uuid4())
    assert_rate_limited(await post(limited.router_url, SHOW, {"id": probe}, address))
    assert limited.recorder.mentioning(probe) == []

    # another client is not affected, nor are this client's mutations (counted apart)
    other = f"203.0.113.{uuid.uuid4().int % 254 + 1}"
    assert (await post(limited.router_url, SHOW, {"id": probe}, other)).status_code == 200
    assert limited.recorder.mentioning(probe)
    name = f"Limited {uuid.uuid4().hex[:8]}"
    anonymous = await post(limited.router_url, CREATE_VENUE,
                           {"i": {"name": name, "rows": [{"label": "A", "seats": 1}]}}, address)
    assert error_codes(anonymous.json()) == ["UNAUTHENTICATED"]  # venue's answer, not ours
    assert limited.recorder.mentioning(name)


async def test_mutations_past_the_limit_are_refused_before_any_subgraph(
    e2e: tuple[Stack, Processes], limited: Recorded
) -> None:
    stack, _ = e2e
    address = f"192.0.2.{uuid.uuid4().int % 254 + 1}"
    names = [f"Limited {uuid.uuid4().hex[:8]}" for _ in range(MUTATIONS + 1)]
    answers = [await post(limited.router_url, CREATE_VENUE,
                          {"i": {"name": name, "rows": [{"label": "A", "seats": 1}]}}, address)
               for name in names]
    for name, answer in zip(names[:MUTATIONS], answers[:MUTATIONS], strict=True):
        assert error_codes(answer.json()) == ["UNAUTHENTICATED"]
        assert limited.recorder.mentioning(name)
    assert_rate_limited(answers[-1])
    assert limited.recorder.mentioning(names[-1]) == []

    if stack.settings.redis_url:  # the counts are in Redis, under the deployment's prefix
        prefix = stack.settings.redis_prefix
        assert f"{prefix}:router:rate:mutation:address:{address}".encode() in \
            await redis_keys(stack, "mutation")


async def test_a_signed_in_user_is_counted_by_its_token_from_any_address(
    e2e: tuple[Stack, Processes], limited: Recorded
) -> None:
    stack, _ = e2e
    user, other = await new_user(stack, stack.router_url), await new_user(stack, stack.router_url)
    first = new_address("192.0.2")
    for i in range(QUERIES):  # just under the limit, each query from another address
        probe = str(uuid.uuid4())
        passed = await post(limited.router_url, SHOW, {"id": probe},
                            first if i == 0 else new_address("203.0.113"), user.token)
        assert passed.status_code == 200, passed.text
        assert limited.recorder.mentioning(probe)
    probe = str(uuid.uuid4())  # one past it, from an address never seen
    assert_rate_limited(await post(limited.router_url, SHOW, {"id": probe},
                                   new_address("198.18.0"), user.token))
    assert limited.recorder.mentioning(probe) == []

    # the address the user came from keeps its own allowance, and so does another user
    for token in (None, other.token):
        answer = await post(limited.router_url, SHOW, {"id": probe}, first, token)
        assert answer.status_code == 200, answer.text
    assert len(limited.recorder.mentioning(probe)) == 2

    if stack.settings.redis_url:
        prefix = stack.settings.redis_prefix
        assert f"{prefix}:router:rate:query:user:{user.id}".encode() in \
            await redis_keys(stack, "query")


WATCH = "subscription %s($show: ID!) { seatAvailability(showId: $show) { kind } }"


async def subscribe(connection: LiveConnection, sub: str, e2e_show: ShowOnSale) -> str:
    """Subscribes to the show's seats under an operation name of its own; returns the name."""
    name = f"Watch{uuid.uuid4().hex[:12]}"
    await connection.subscribe(sub, WATCH % name, {"show": e2e_show.id})
    return name


async def admitted(connection: LiveConnection, sub: str, name: str, limited: Recorded) -> None:
    assert (await connection.event(sub))["seatAvailability"]["kind"] == "SNAPSHOT"
    assert len(limited.recorder.mentioning(name, "ws-frame")) == 1  # booking got it


async def refused(connection: LiveConnection, sub: str, name: str, limit: str, max_: int,
                  limited: Recorded) -> None:
    answer = await connection.receive()
    assert (answer["type"], answer["id"]) == ("error", sub), answer
    assert answer["payload"] == [{
        "message": f"At most {max_} subscriptions per {limit}.",
        "extensions": {"code": "TOO_MANY_SUBSCRIPTIONS", "limit": limit, "max": max_}}]
    assert limited.recorder.mentioning(name, "ws-frame") == []  # no subgraph heard of it


async def test_subscriptions_are_capped_per_connection_and_per_client(
    limited: Recorded, e2e_show: ShowOnSale
) -> None:
    client = {"x-forwarded-for": new_address()}
    async with LiveConnection.connect(limited.router_url, headers=client) as a, \
            LiveConnection.connect(limited.router_url, headers=client) as b:
        for sub in ("a1", "a2"):  # up to the cap per connection
            await admitted(a, sub, await subscribe(a, sub, e2e_show), limited)
        await refused(a, "a3", await subscribe(a, "a3", e2e_show), "connection", PER_CONNECTION,
                      limited)
        # the same client on another connection: up to the cap per client, then no more
        await admitted(b, "b1", await subscribe(b, "b1", e2e_show), limited)
        await refused(b, "b2", await subscribe(b, "b2", e2e_show), "client", PER_CLIENT, limited)

        # another client is not affected
        async with LiveConnection.connect(limited.router_url,
                                          headers={"x-forwarded-for": new_address()}) as c:
            await admitted(c, "c1", await subscribe(c, "c1", e2e_show), limited)

        # a subscription that ends frees its place (the connection's messages keep their order)
        await a.complete("a1")
        await admitted(a, "a4", await subscribe(a, "a4", e2e_show), limited)
        await refused(a, "a5", await subscribe(a, "a5", e2e_show), "connection", PER_CONNECTION,
                      limited)
        await refused(b, "b3", await subscribe(b, "b3", e2e_show), "client", PER_CLIENT, limited)

        # and so does a connection that closes, with all of its subscriptions
        await a.ws.close()
        tries = iter(range(1000))

        async def room_again() -> bool:
            sub = f"b-again-{next(tries)}"
            name = await subscribe(b, sub, e2e_show)
            answer = await b.receive()
            assert answer["id"] == sub, answer
            if answer["type"] == "error":
                assert answer["payload"][0]["extensions"]["limit"] == "client", answer
                return False
            assert answer["payload"]["data"]["seatAvailability"]["kind"] == "SNAPSHOT", answer
            assert len(limited.recorder.mentioning(name, "ws-frame")) == 1
            return True

        await eventually(room_again)


async def test_a_signed_in_client_is_capped_by_its_token_not_its_address(
    e2e: tuple[Stack, Processes], limited: Recorded, e2e_show: ShowOnSale
) -> None:
    stack, _ = e2e
    user = await new_user(stack, stack.router_url)
    token = {"Authorization": f"Bearer {user.token}"}
    here, there = new_address("192.0.2"), new_address("203.0.113")
    # two connections of one user from two addresses share the user's places
    async with LiveConnection.connect(limited.router_url, token,
                                      {"x-forwarded-for": here}) as a, \
            LiveConnection.connect(limited.router_url, token,
                                   {"x-forwarded-for": there}) as b:
        for connection, sub in ((a, "1"), (a, "2"), (b, "3")):
            await admitted(connection, sub, await subscribe(connection, sub, e2e_show), limited)
        await refused(b, "4", await subscribe(b, "4", e2e_show), "client", PER_CLIENT, limited)
        # anonymous from the same address as b: a client of its own
        async with LiveConnection.connect(limited.router_url, None,
                                          {"x-forwarded-for": there}) as c:
            await admitted(c, "5", await subscribe(c, "5", e2e_show), limited)
