"""A subgraph that stops answering: the router answers anyway, says who failed, retries only
what is safe to repeat, and stops calling a subgraph that keeps failing (docs/failures.md).

Real processes: the uvicorn subgraphs (one process each: PostgreSQL and Redis, so booking can
be stopped alone) and the real router, with a four-second upstream deadline. Booking is
stopped with SIGSTOP (alive, not answering: connections are accepted, nothing comes back) or
killed. Times are never asserted beyond "it answered" within a generous bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from ticketflow_sdk import AsyncClient

from tests.conftest import own_processes
from tests.flows import HOLD, ShowOnSale, User, new_user, show_on_sale
from tests.harness import (
    PYTHON,
    GraphQL,
    Processes,
    Stack,
    Subscription,
    another_router,
    error_codes,
    eventually,
    free_port,
    wait_http,
)

# PostgreSQL only (booking must be a process of its own), on a deployment of its own: it
# runs in the half that holds no PostgreSQL end-to-end stack, the shorter one (see
# tests/conftest.py).
pytestmark = [pytest.mark.mode("postgres"), pytest.mark.half("half-a")]

FAULTS = {"upstream_timeout_ms": 4000, "upstream_retries": 1, "upstream_retry_delay_ms": 50,
          "circuit_breaker_failures": 4, "circuit_breaker_reset_ms": 1500}
ANSWERED = 30.0  # "it answered": any sane machine does it in a fraction of this
SHOW = """query($id: ID!) { show(id: $id) { id title availability { total held } } }"""
WATCH = """subscription($show: ID!) { seatAvailability(showId: $show) {
  kind version seats { seatId state } } }"""


@pytest.fixture(scope="module")
async def deployment(tmp_path_factory: pytest.TempPathFactory
                     ) -> AsyncIterator[tuple[Stack, Processes]]:
    async with own_processes("postgres", tmp_path_factory, "faults", **FAULTS) as running:
        yield running


@pytest.fixture(scope="module")
async def organizer(deployment: tuple[Stack, Processes]) -> User:
    stack, _ = deployment
    return await new_user(stack, stack.router_url, "ORGANIZER")


@pytest.fixture(scope="module")
async def show(deployment: tuple[Stack, Processes], organizer: User) -> ShowOnSale:
    stack, _ = deployment
    router = GraphQL(stack.router_url)
    return await show_on_sale(router, router, organizer, via_router=True)


@contextlib.contextmanager
def stopped(procs: Processes, name: str) -> Iterator[None]:
    """``name`` frozen with SIGSTOP (its process group), and always thawed afterwards."""
    group = os.getpgid(procs.procs[name].pid)
    os.killpg(group, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(group, signal.SIGCONT)


async def healthy(router: GraphQL, show_id: str) -> None:
    """Wait until a query that needs booking answers in full again (its breaker closed)."""
    async def whole() -> bool:
        body = await router.run(SHOW, {"id": show_id})
        return "errors" not in body and body["data"]["show"]["availability"] is not None

    await eventually(whole, ANSWERED, 0.2)


def booking_errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["extensions"] for e in body.get("errors", [])
            if e.get("extensions", {}).get("serviceName") == "booking"]


async def test_a_stopped_booking_costs_its_fields_not_the_answer(
        deployment: tuple[Stack, Processes], show: ShowOnSale) -> None:
    stack, procs = deployment
    router = GraphQL(stack.router_url)
    await healthy(router, show.id)
    with stopped(procs, "booking"):
        answer = await router.post(SHOW, {"id": show.id}, timeout=ANSWERED)
    body = answer.json()
    # venue's part of the answer is there; booking's field is null and said why
    assert body["data"]["show"] == {"id": show.id, "title": "Test Show", "availability": None}
    assert error_codes(body) == ["SUBGRAPH_UNAVAILABLE"], body
    assert booking_errors(body) == [{"code": "SUBGRAPH_UNAVAILABLE", "serviceName": "booking",
                                     "retryable": True, "reason": "TIMEOUT"}], body
    assert body["errors"][0]["path"] == ["show", "availability"], body
    await healthy(router, show.id)


async def test_a_dead_booking_is_unavailable_then_its_breaker_opens_and_closes_when_back(
        deployment: tuple[Stack, Processes], show: ShowOnSale) -> None:
    stack, procs = deployment
    router = GraphQL(stack.router_url)
    await healthy(router, show.id)
    procs.stop("booking", signal.SIGKILL)
    try:
        first = await router.run(SHOW, {"id": show.id})
        assert first["data"]["show"]["title"] == "Test Show", first
        assert booking_errors(first) == [{"code": "SUBGRAPH_UNAVAILABLE", "serviceName": "booking",
                                          "retryable": True, "reason": "UNREACHABLE"}], first

        # each query is two failed attempts (the call and its retry): the breaker opens after 4
        async def refused_by_the_breaker() -> dict[str, Any] | None:
            body = await router.run(SHOW, {"id": show.id})
            errors = booking_errors(body)
            return body if errors and errors[0]["reason"] == "CIRCUIT_OPEN" else None

        body = await eventually(refused_by_the_breaker, ANSWERED, 0)
        assert body["data"]["show"]["title"] == "Test Show"
        [error] = body["errors"]
        assert "circuit open" in error["message"], error
        assert error["extensions"]["retryable"] is True
        assert error["extensions"]["retryAfter"] >= 1
    finally:
        procs.start("booking", [PYTHON, "-m", "subgraphs.cli", "serve", "booking"], stack.env)
        await wait_http(f"http://127.0.0.1:{stack.settings.port_of('booking')}/readyz",
                        procs=procs)
    # after the pause one trial call goes through, and its success closes the breaker
    await healthy(router, show.id)


async def test_subscriptions_outlive_the_upstream_deadline(
        deployment: tuple[Stack, Processes], show: ShowOnSale, organizer: User) -> None:
    stack, _ = deployment
    customer = await new_user(stack, stack.router_url)
    async with Subscription(stack.router_url, WATCH, {"show": show.id}) as watch:
        first = await watch.next(ANSWERED)
        assert first["data"]["seatAvailability"]["kind"] == "SNAPSHOT"
        await asyncio.sleep(5)  # past the four-second deadline of queries and mutations
        seat = str(show.seats[-1]["id"])
        held = await GraphQL(stack.router_url).data(HOLD, {"show": show.id, "seats": [seat]},
                                                    customer.token)
        assert held["holdSeats"]["__typename"] == "SeatHold"
        delta = await watch.next(ANSWERED)
    assert delta["data"]["seatAvailability"]["seats"] == [{"seatId": seat, "state": "HELD"}]


class Recorder(httpx.AsyncHTTPTransport):
    """The SDK's real transport, noting each request's variables and each answer's error
    codes; ``unavailable`` is set once an answer said SUBGRAPH_UNAVAILABLE."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[dict[str, Any]] = []
        self.answers: list[list[str | None]] = []
        self.unavailable = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(json.loads(request.content)["variables"])
        response = await super().handle_async_request(request)
        codes = error_codes(json.loads(await response.aread()))
        self.answers.append(codes)
        if "SUBGRAPH_UNAVAILABLE" in codes:
            self.unavailable.set()
        return response


async def held_seats(tf: AsyncClient, show_id: str) -> int:
    counts = await tf.availability(show_id)
    assert counts is not None
    return counts.held


async def test_the_sdk_retries_a_retryable_answer_with_the_same_idempotency_key(
        deployment: tuple[Stack, Processes], show: ShowOnSale) -> None:
    stack, procs = deployment
    router = GraphQL(stack.router_url)
    await healthy(router, show.id)
    customer = await new_user(stack, stack.router_url)
    seat = str(show.seats[0]["id"])
    recorder = Recorder()
    async with AsyncClient(stack.router_url, token=customer.token, retries=10, backoff=0.2,
                           max_backoff=1.0, timeout=ANSWERED, transport=recorder) as tf:
        before = await held_seats(tf, show.id)
        with stopped(procs, "booking"):
            hold = asyncio.create_task(tf.hold_seats(show.id, [seat]))
            # booking comes back once the SDK has been told it is unavailable
            await asyncio.wait_for(recorder.unavailable.wait(), ANSWERED)
        done = await asyncio.wait_for(hold, ANSWERED)
        after = await held_seats(tf, show.id)
    assert done.seat_ids == (seat,)
    attempts = recorder.sent[1:-1]  # between the two availability queries
    assert len(attempts) >= 2, recorder.answers
    assert len({a["idempotencyKey"] for a in attempts}) == 1  # one key, every attempt
    assert recorder.answers[1] == ["SUBGRAPH_UNAVAILABLE"] and recorder.answers[-2] == []
    assert after == before + 1  # held once, however many attempts reached booking


# ------------------------------------------------------------------------------------------
# what is sent again: a second router, whose booking calls go through a pipe that counts them


class CountingPipe:
    """A TCP pipe to ``upstream`` that counts how often given markers went through it
    towards the upstream (a marker split between reads is still found)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.seen = b""
        self._server: asyncio.Server | None = None

    def count(self, marker: str) -> int:
        return self.seen.count(marker.encode())

    async def __aenter__(self) -> CountingPipe:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter,
                       record: bool) -> None:
            try:
                while chunk := await src.read(65536):
                    if record:
                        self.seen += chunk
                    dst.write(chunk)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pump(reader, up_writer, True), pump(up_reader, writer, False))


@pytest.fixture(scope="module")
async def piped(deployment: tuple[Stack, Processes], tmp_path_factory: pytest.TempPathFactory
                ) -> AsyncIterator[tuple[str, CountingPipe]]:
    """A second router (its own breakers, turned off here) whose booking is behind a pipe."""
    stack, _ = deployment
    async with CountingPipe(stack.settings.port_of("booking")) as pipe, another_router(
            stack, tmp_path_factory.mktemp("piped-router"), {
                "TICKETFLOW_BOOKING_URL": f"http://127.0.0.1:{pipe.port}/graphql",
                "TICKETFLOW_CIRCUIT_BREAKER_FAILURES": "0"}) as url:
        yield url, pipe


async def test_queries_and_keyed_mutations_are_retried_other_mutations_sent_once(
        deployment: tuple[Stack, Processes], show: ShowOnSale,
        piped: tuple[str, CountingPipe]) -> None:
    _, procs = deployment
    url, pipe = piped
    router = GraphQL(url)
    query, unkeyed, keyed = (f"marker-{uuid.uuid4()}" for _ in range(3))
    sends = {
        query: ("query($id: ID!) { booking(id: $id) { id } }", {"id": query}),
        unkeyed: ("mutation($id: ID!) { releaseHold(holdId: $id) { id } }", {"id": unkeyed}),
        keyed: ("""mutation($show: ID!, $key: String) { holdGeneralAdmission(showId: $show,
                    sectionId: "floor", quantity: 1, idempotencyKey: $key) { __typename } }""",
                {"show": show.id, "key": keyed}),
    }
    with stopped(procs, "booking"):
        for marker, (document, variables) in sends.items():
            body = (await router.post(document, variables, timeout=ANSWERED)).json()
            assert booking_errors(body) == [{
                "code": "SUBGRAPH_UNAVAILABLE", "serviceName": "booking", "retryable": True,
                "reason": "TIMEOUT"}], (marker, body)
    # one retry (TICKETFLOW_UPSTREAM_RETRIES=1) of what is safe to repeat; the rest went once
    assert {m: pipe.count(m) for m in sends} == {query: 2, unkeyed: 1, keyed: 2}
    await healthy(router, show.id)
