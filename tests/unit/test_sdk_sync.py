"""The sync ``Client``: each call waits for the ``AsyncClient`` running on its own thread
(an anyio blocking portal), errors come back as raised, iterators page across calls, and
closing stops the thread."""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from ticketflow_sdk import Client, NotFound

PAGES = [{"nodes": [], "pageInfo": {"hasNextPage": True, "endCursor": "c1"}},
         {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}]


class Server:
    """Answers the client's requests and notes the thread each was sent from."""

    def __init__(self) -> None:
        self.threads: list[str] = []
        self.afters: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.threads.append(threading.current_thread().name)
        body = json.loads(request.content)
        if "shows" in body["query"]:
            self.afters.append(body["variables"]["after"])
            return httpx.Response(200, json={"data": {"shows": PAGES[len(self.afters) - 1]}})
        if "missing" in body["query"]:
            return httpx.Response(200, json={"data": None, "errors": [
                {"message": "gone", "extensions": {"code": "NOT_FOUND"}}]})
        return httpx.Response(200, json={"data": {"hello": "world"}})


def portal_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ticketflow-sdk"]


def test_calls_run_on_the_clients_thread_and_closing_stops_it() -> None:
    server = Server()
    with Client("http://tf.test/graphql", transport=httpx.MockTransport(server)) as tf:
        assert len(portal_threads()) == 1
        assert tf.execute("{ hello }") == {"hello": "world"}
        with pytest.raises(NotFound):
            tf.execute("{ missing }")
        assert list(tf.iter_shows(page_size=5)) == []
    assert server.afters == [None, "c1"]
    assert server.threads == ["ticketflow-sdk"] * 4
    assert portal_threads() == []
    tf.close()  # a second close does nothing


async def test_it_works_inside_a_program_that_runs_an_event_loop() -> None:
    with Client("http://tf.test/graphql", transport=httpx.MockTransport(Server())) as tf:
        assert tf.execute("{ hello }") == {"hello": "world"}
