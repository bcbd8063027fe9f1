"""Trusted documents (``TICKETFLOW_TRUSTED_DOCUMENTS=true``): the router runs only the
documents TicketFlow ships (``schema/trusted-documents.json``), sent by their text or by the
SHA-256 of it; anything else is refused - ``QUERY_NOT_IN_LIST`` for a text,
``PERSISTED_QUERY_NOT_IN_LIST`` for a hash - and reaches no subgraph. Over HTTP and over
WebSocket (the pass-through's subscriptions and the gateway's), both modes.

The router here runs in that mode behind the recording proxy (``tests/recording.py``), which
relays the subscriptions' WebSockets and writes down every message to a subgraph.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from ticketflow_sdk import AsyncClient, NotFound, operations

from tests.flows import ShowOnSale
from tests.harness import Processes, Stack, error_codes, http
from tests.recording import Recorded, recorded_router
from tests.watchers import LiveConnection

UNLISTED = "query Unlisted($id: ID!) { show(id: $id) { id title } }"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(scope="module")
async def trusted(e2e: tuple[Stack, Processes], tmp_path_factory: pytest.TempPathFactory
                  ) -> AsyncIterator[Recorded]:
    stack, _ = e2e
    async with recorded_router(stack, tmp_path_factory.mktemp("trusted-router"), {
        "TICKETFLOW_TRUSTED_DOCUMENTS": "true",
    }, relay_websockets=True) as found:
        yield found



async def post(url: str, body: dict[str, Any]) -> httpx.Response:
    return await http().post(url, json=body,
                             headers={"accept": "application/graphql-response+json"})


def by_hash(document: str, variables: dict[str, Any]) -> dict[str, Any]:
    return {"variables": variables,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(document)}}}


async def test_a_shipped_operation_runs_by_its_text_and_by_its_hash(trusted: Recorded,
                                                                    e2e_show: ShowOnSale) -> None:
    for body in ({"query": operations.SHOW, "variables": {"id": e2e_show.id}},
                 by_hash(operations.SHOW, {"id": e2e_show.id})):
        answer = await post(trusted.router_url, body)
        assert answer.status_code == 200, answer.text
        assert answer.json()["data"]["show"]["id"] == e2e_show.id
    assert len(trusted.recorder.mentioning(e2e_show.id)) >= 2  # both reached venue

    # the SDK, unchanged, sends the texts
    async with AsyncClient(trusted.router_url) as sdk:
        assert (await sdk.show(e2e_show.id)).id == e2e_show.id
        with pytest.raises(NotFound):
            await sdk.show(str(uuid.uuid4()))


async def test_an_unknown_document_is_refused_by_text_and_by_hash_before_any_subgraph(
        trusted: Recorded) -> None:
    probe = str(uuid.uuid4())
    for body, code in (({"query": UNLISTED, "variables": {"id": probe}}, "QUERY_NOT_IN_LIST"),
                       (by_hash(UNLISTED, {"id": probe}), "PERSISTED_QUERY_NOT_IN_LIST"),
                       # a shipped text changed by one space is another document
                       ({"query": operations.SHOW + " ", "variables": {"id": probe}},
                        "QUERY_NOT_IN_LIST")):
        answer = await post(trusted.router_url, body)
        assert answer.status_code == 400, answer.text
        assert error_codes(answer.json()) == [code], answer.text
        assert answer.json().get("data") is None
    assert trusted.recorder.mentioning(probe) == []


async def test_over_websocket_only_shipped_subscriptions_reach_a_subgraph(
        trusted: Recorded, e2e_show: ShowOnSale) -> None:
    variables = {"showId": e2e_show.id}
    async with LiveConnection.connect(trusted.router_url) as ws:
        await ws.subscribe("text", operations.WATCH_SEATS, variables)
        assert (await ws.event("text"))["seatAvailability"]["kind"] == "SNAPSHOT"
        await ws.send_subscribe("hash", by_hash(operations.WATCH_SEATS, variables))
        assert (await ws.event("hash"))["seatAvailability"]["kind"] == "SNAPSHOT"
        watches = trusted.recorder.mentioning("WatchSeats(", "ws-frame")
        assert len(watches) == 2, watches  # both went to booking, as the text

        for sub, payload, code in (
                ("unlisted", {"query": operations.WATCH_SEATS.replace("kind", "kind version", 1),
                              "variables": variables}, "QUERY_NOT_IN_LIST"),
                ("unknown hash", by_hash(UNLISTED, variables), "PERSISTED_QUERY_NOT_IN_LIST")):
            await ws.send_subscribe(sub, payload)
            answer = await ws.receive()
            assert (answer["type"], answer["id"]) == ("error", sub), answer
            assert [e["extensions"]["code"] for e in answer["payload"]] == [code], answer
        # the connection goes on
        await ws.subscribe("again", operations.WATCH_SEATS, variables)
        assert (await ws.event("again"))["seatAvailability"]["kind"] == "SNAPSHOT"
        assert len(trusted.recorder.mentioning("seatAvailability", "ws-frame")) == 3
