"""Rate limits per client at the router: queries and mutations are counted per client
address before any subgraph hears of them; past the limit the answer is ``RATE_LIMITED``
with ``retryAfter`` (HTTP 429, ``Retry-After``). Real processes, both modes; with Redis
(postgres mode) the counts live there, for every router replica to share.

The router here runs behind the recording proxy (``tests/recording.py``) and believes
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

from tests.harness import Processes, Stack, error_codes, http
from tests.recording import Recorded, recorded_router

QUERIES, MUTATIONS = 3, 2
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
    }) as found:
        yield found


async def post(url: str, query: str, variables: dict[str, Any], address: str) -> httpx.Response:
    return await http().post(url, json={"query": query, "variables": variables},
                             headers={"accept": "application/graphql-response+json",
                                      "x-forwarded-for": address})


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
                           {"i": {"name": name, "timeZone": "UTC",
                                  "rows": [{"label": "A", "seats": 1}]}}, address)
    assert error_codes(anonymous.json()) == ["UNAUTHENTICATED"]  # venue's answer, not ours
    assert limited.recorder.mentioning(name)


async def test_mutations_past_the_limit_are_refused_before_any_subgraph(
    e2e: tuple[Stack, Processes], limited: Recorded
) -> None:
    stack, _ = e2e
    address = f"192.0.2.{uuid.uuid4().int % 254 + 1}"
    names = [f"Limited {uuid.uuid4().hex[:8]}" for _ in range(MUTATIONS + 1)]
    answers = [await post(limited.router_url, CREATE_VENUE,
                          {"i": {"name": name, "timeZone": "UTC",
                                 "rows": [{"label": "A", "seats": 1}]}}, address)
               for name in names]
    for name, answer in zip(names[:MUTATIONS], answers[:MUTATIONS], strict=True):
        assert error_codes(answer.json()) == ["UNAUTHENTICATED"]
        assert limited.recorder.mentioning(name)
    assert_rate_limited(answers[-1])
    assert limited.recorder.mentioning(names[-1]) == []

    if stack.settings.redis_url:  # the counts are in Redis, under the deployment's prefix
        client = redis.from_url(stack.settings.redis_url)
        try:
            keys = await client.keys(f"{stack.settings.redis_prefix}:router:rate:mutation:*")
        finally:
            await client.aclose()
        assert f"{stack.settings.redis_prefix}:router:rate:mutation:{address}".encode() in keys
