"""The SDK's waiting room: wait_in_queue answers the challenge, polls when the server says,
keeps the pass, and the client's holds of that show (and of no other) send it."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest
from ticketflow_sdk import AsyncClient, Queued
from ticketflow_sdk.errors import error_from_graphql
from ticketflow_sdk.queue import leading_zero_bits, solve_proof_of_work

NONCE, BITS = "123.abc.mac", 10
HOLD = {"__typename": "SeatHold", "id": "h1", "status": "ACTIVE",
        "expiresAt": "2030-01-01T00:00:00Z", "seatIds": ["a"], "show": {"id": "s1"},
        "seats": [], "generalAdmission": [], "segment": None, "lines": [],
        "total": {"amount": 100, "currency": "EUR"},
        "discount": {"amount": 0, "currency": "EUR"}, "promoCode": None}


def ticket(state: str, position: int | None, pass_: str | None = None) -> dict[str, Any]:
    return {"id": "t1", "showId": "s1", "state": state, "position": position,
            "estimatedWaitSeconds": position, "pollAfterSeconds": 0, "pass": pass_,
            "passExpiresAt": "2030-01-01T00:30:00Z" if pass_ else None}


class Server:
    """A scripted router: the challenge, a join, then statuses in turn."""

    def __init__(self, statuses: list[dict[str, Any]], plain: bool = True) -> None:
        self.statuses = statuses
        self.plain = plain
        self.seen: list[tuple[str, dict[str, Any], dict[str, str]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":  # the plain status poll
            self.seen.append((request.url.path, {}, dict(request.headers)))
            if not self.plain:
                return httpx.Response(404, text="not here")
            return httpx.Response(200, json=self.statuses.pop(0))
        body = json.loads(request.content)
        query, variables = body["query"], body["variables"]
        self.seen.append((query, variables, dict(request.headers)))
        if "queueChallenge" in query:
            data: dict[str, Any] = {"queueChallenge": {"kind": "pow", "nonce": NONCE,
                                                       "difficulty": BITS}}
        elif "joinQueue" in query:
            solution = variables["solution"]
            digest = hashlib.sha256(f"{variables['nonce']}:{solution}".encode()).digest()
            if leading_zero_bits(digest) < BITS:
                return httpx.Response(200, json={"errors": [{"message": "wrong", "extensions": {
                    "code": "BAD_USER_INPUT", "field": "solution"}}]})
            data = {"joinQueue": ticket("WAITING", None)}
        elif "queueStatus" in query:
            data = {"queueStatus": self.statuses.pop(0)}
        elif "holdSeats" in query:
            data = {"holdSeats": HOLD}
        else:
            raise AssertionError(query)
        return httpx.Response(200, json={"data": data})

    def operations(self, name: str) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
        return [s for s in self.seen if name in s[0]]


def test_the_solver_finds_enough_zero_bits() -> None:
    solution = solve_proof_of_work("pow", NONCE, 12)
    assert leading_zero_bits(hashlib.sha256(f"{NONCE}:{solution}".encode()).digest()) >= 12
    assert leading_zero_bits(b"\x00\x0f") == 12
    with pytest.raises(ValueError, match="captcha"):
        solve_proof_of_work("captcha", NONCE, 1)


async def test_waiting_polls_until_admitted_and_the_holds_of_that_show_carry_the_pass() -> None:
    server = Server([ticket("WAITING", 2), ticket("WAITING", 1), ticket("ADMITTED", None, "P1")])
    seen: list[tuple[str, int | None]] = []
    async with AsyncClient("http://router/graphql", token="tok", retries=0,
                           transport=httpx.MockTransport(server)) as tf:
        before = await tf.hold_seats("s1", ["a"])  # before admission: no pass to send
        admitted = await tf.wait_in_queue(
            "s1", on_update=lambda t: seen.append((t.state.value, t.position)))
        assert admitted.pass_ == "P1"
        await tf.hold_seats("s1", ["a"])
        await tf.hold_seats("s2", ["b"])
    assert before.id == "h1"
    assert seen == [("WAITING", None), ("WAITING", 2), ("WAITING", 1), ("ADMITTED", None)]
    assert [s[0] for s in server.seen if s[0].startswith("/queue")] == ["/queue/status/t1"] * 3
    assert server.operations("queueStatus") == []
    holds = server.operations("holdSeats")
    assert [h[2].get("ticketflow-queue-pass") for h in holds] == [None, "P1", None]
    assert all(h[2]["authorization"] == "Bearer tok" for h in holds)


async def test_without_the_plain_endpoint_it_polls_with_the_query() -> None:
    server = Server([ticket("WAITING", 1), ticket("ADMITTED", None, "P2")], plain=False)
    async with AsyncClient("http://router/graphql", token="tok", retries=0,
                           transport=httpx.MockTransport(server)) as tf:
        assert (await tf.wait_in_queue("s1")).pass_ == "P2"
    assert [s[1] for s in server.operations("queueStatus")] == [{"ticketId": "t1"}] * 2


async def test_an_expired_pass_is_queued_and_a_deadline_ends_the_wait() -> None:
    server = Server([ticket("EXPIRED", None)])
    async with AsyncClient("http://router/graphql", token="tok", retries=0,
                           transport=httpx.MockTransport(server)) as tf:
        with pytest.raises(Queued):
            await tf.wait_in_queue("s1")
        server.statuses = [ticket("WAITING", 5)] * 3
        with pytest.raises(TimeoutError):
            await tf.wait_in_queue("s1", max_wait=-1)


def test_a_queued_error_tells_a_spent_pass_from_a_missing_one() -> None:
    spent = error_from_graphql({"message": "used", "extensions": {
        "code": "QUEUED", "showId": "s1", "reason": "USED"}})
    missing = error_from_graphql({"message": "queued", "extensions": {
        "code": "QUEUED", "showId": "s1"}})
    assert isinstance(spent, Queued) and isinstance(missing, Queued)
    assert (spent.pass_used, spent.show_id) == (True, "s1")
    assert missing.pass_used is False
