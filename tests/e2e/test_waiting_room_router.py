"""The waiting room through the real router (docs/waiting-room.md), both modes: a hold of a
queued show without the caller's queue pass is refused with ``QUEUED`` before any subgraph
hears of it; with the pass it goes through once. The router here reaches the subgraphs
through the recording proxy (``tests/recording.py``) and reads booking's list of queued
shows directly, refreshing it every 100 ms.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from ticketflow_sdk.queue import solve_proof_of_work

from tests.flows import Actors, ShowOnSale, show_on_sale
from tests.harness import GraphQL, Processes, Stack, error_codes, eventually, http
from tests.recording import Recorded, recorded_router

CONFIGURE = """mutation($show: ID!, $i: QueueInput!) { configureQueue(showId: $show, input: $i) {
  opened } }"""
CHALLENGE = "query($show: ID!) { queueChallenge(showId: $show) { nonce difficulty } }"
JOIN = """mutation($show: ID!, $nonce: String, $solution: String) {
  joinQueue(showId: $show, nonce: $nonce, solution: $solution) { id state position pass } }"""
STATUS = "query($t: ID!) { queueStatus(ticketId: $t) { state position pass } }"
HOLD = """mutation($show: ID!, $seats: [ID!]!, $key: String) {
  holdSeats(showId: $show, seatIds: $seats, idempotencyKey: $key) {
  __typename ... on SeatHold { id } } }"""


@pytest.fixture(scope="module")
async def queued(e2e: tuple[Stack, Processes], tmp_path_factory: pytest.TempPathFactory
                 ) -> AsyncIterator[Recorded]:
    stack, _ = e2e
    booking = stack.url("booking").removesuffix("/graphql")
    async with recorded_router(stack, tmp_path_factory.mktemp("queued-router"), {
        "TICKETFLOW_ROUTER_QUEUE_URL": f"{booking}/queue/shows",
        "TICKETFLOW_ROUTER_QUEUE_REFRESH_MS": "100",
    }) as found:
        yield found


async def post(url: str, query: str, variables: dict[str, Any], token: str,
               queue_pass: str | None = None) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"}
    if queue_pass:
        headers["ticketflow-queue-pass"] = queue_pass
    return await http().post(url, json={"query": query, "variables": variables},
                             headers=headers)


async def test_a_hold_of_a_queued_show_needs_a_pass_before_any_subgraph_is_called(
        e2e: tuple[Stack, Processes], e2e_actors: Actors, queued: Recorded) -> None:
    stack, _ = e2e
    router = GraphQL(stack.router_url)
    show: ShowOnSale = await show_on_sale(router, router, e2e_actors.organizer, via_router=True)
    who = e2e_actors.customer
    key = f"probe-{uuid.uuid4().hex}"
    seat = show.seats[0]["id"]

    opens = datetime.now(UTC) + timedelta(seconds=1)
    await router.data(CONFIGURE, {"show": show.id, "i": {"opensAt": opens.isoformat(),
                                                        "ratePerMinute": 600}},
                      e2e_actors.organizer.token)

    async def refused() -> tuple[dict[str, Any], str] | None:
        probe = f"probe-{uuid.uuid4().hex}"
        answer = await post(queued.router_url, HOLD, {"show": show.id, "seats": [seat],
                                                       "key": probe}, who.token)
        body: dict[str, Any] = answer.json()
        # booking refuses too (QUEUED without a reason) until the router's list has the show
        reason = (body.get("errors") or [{}])[0].get("extensions", {}).get("reason")
        return (body, probe) if reason else None

    body, probe = await eventually(refused)
    assert error_codes(body) == ["QUEUED"]
    error = body["errors"][0]
    assert error["extensions"]["showId"] == show.id
    assert error["extensions"]["reason"] == "MISSING"
    assert body.get("data") is None
    assert queued.recorder.mentioning(probe) == []  # booking never heard of it

    # join, wait for admission (ten a second), hold with the pass: it reaches booking
    challenge = (await router.data(CHALLENGE, {"show": show.id}, who.token))["queueChallenge"]
    ticket = (await router.data(JOIN, {"show": show.id, "nonce": challenge["nonce"],
                                       "solution": solve_proof_of_work("pow", challenge["nonce"],
                                                         challenge["difficulty"])},
                                who.token))["joinQueue"]

    async def admitted() -> str | None:
        seen = (await router.data(STATUS, {"t": ticket["id"]}, who.token))["queueStatus"]
        return seen["pass"] if seen["state"] == "ADMITTED" else None

    queue_pass = await eventually(admitted, timeout=60)
    # the crowd's cheap poll: GET /queue/status/<ticket> at the router, no GraphQL
    base = queued.router_url.removesuffix("/graphql")
    plain = await http().get(f"{base}/queue/status/{ticket['id']}")
    assert plain.status_code == 200, plain.text
    assert plain.json()["state"] == "ADMITTED" and plain.json()["pass"]
    assert (await http().get(f"{base}/queue/status/made.up.ticket.id")).status_code == 404
    # another user's pass, or the pass on another show: refused at the router
    other = await post(queued.router_url, HOLD, {"show": show.id, "seats": [seat], "key": key},
                       e2e_actors.other_customer.token, queue_pass)
    assert error_codes(other.json()) == ["QUEUED"]
    assert other.json()["errors"][0]["extensions"]["reason"] == "OTHER_USER"
    assert queued.recorder.mentioning(key) == []

    held = await post(queued.router_url, HOLD, {"show": show.id, "seats": [seat], "key": key},
                      who.token, queue_pass)
    assert held.json()["data"]["holdSeats"]["__typename"] == "SeatHold", held.json()
    [seen] = queued.recorder.mentioning(key)
    assert seen.headers.get("ticketflow-queue-pass") == queue_pass  # forwarded to booking
    # spent: a second purchase session with the same pass is refused by booking
    again = await post(queued.router_url, HOLD, {"show": show.id,
                                                  "seats": [show.seats[1]["id"]],
                                                  "key": f"{key}-2"}, who.token, queue_pass)
    assert error_codes(again.json()) == ["QUEUED"], again.json()


async def test_the_router_answers_a_waiting_tickets_poll_from_redis_without_booking(
        e2e: tuple[Stack, Processes], e2e_actors: Actors,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """A router whose booking endpoint for polls is unreachable: with Redis (postgres mode) it
    still answers a waiting ticket's poll, the same as booking does, and refuses a made-up
    id; without Redis (embedded) the poll is booking's to answer, so it cannot."""
    stack, _ = e2e
    router = GraphQL(stack.router_url)
    show: ShowOnSale = await show_on_sale(router, router, e2e_actors.organizer, via_router=True)
    opens = datetime.now(UTC) + timedelta(hours=1)  # waiting before the opening
    await router.data(CONFIGURE, {"show": show.id, "i": {"opensAt": opens.isoformat(),
                                                        "ratePerMinute": 60}},
                      e2e_actors.organizer.token)
    who = e2e_actors.customer
    challenge = (await router.data(CHALLENGE, {"show": show.id}, who.token))["queueChallenge"]
    ticket = (await router.data(JOIN, {"show": show.id, "nonce": challenge["nonce"],
                                       "solution": solve_proof_of_work("pow", challenge["nonce"],
                                                         challenge["difficulty"])},
                                who.token))["joinQueue"]
    from_booking = (await http().get(
        f"{stack.url('booking').removesuffix('/graphql')}/queue/status/{ticket['id']}")).json()
    async with recorded_router(stack, tmp_path_factory.mktemp("no-booking-polls"), {
        "TICKETFLOW_ROUTER_QUEUE_URL": "http://127.0.0.1:9/queue/shows",  # nobody there
    }) as alone:
        base = alone.router_url.removesuffix("/graphql")
        answer = await http().get(f"{base}/queue/status/{ticket['id']}")
        forged = await http().get(f"{base}/queue/status/{ticket['id'][:-4]}abcd")
    if stack.settings.redis_url:
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["state"] == "WAITING" and body["position"] is None
        same = ("id", "showId", "state", "position", "pollAfterSeconds", "pass")
        assert {k: body[k] for k in same} == {k: from_booking[k] for k in same}
        assert abs(body["estimatedWaitSeconds"] - from_booking["estimatedWaitSeconds"]) <= 5
        assert 60 <= body["pollAfterSeconds"] <= 120  # an hour away: a slow poll
        assert forged.status_code == 404 and forged.json()["code"] == "NOT_FOUND"
    else:
        assert answer.status_code == 503  # booking's to answer, and booking is not there
