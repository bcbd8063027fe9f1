"""Servers started in-process leave the process's signal handlers to their host (see
``subgraphs.serve.HostedServer``): several share one process, and pytest keeps its Ctrl+C."""

from __future__ import annotations

import signal
from typing import Any

import httpx

from tests.harness import free_port, running


async def hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


def handlers() -> tuple[Any, Any]:
    return signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)


async def test_servers_run_and_stop_without_touching_the_signal_handlers() -> None:
    before = handlers()
    ports = free_port(), free_port()
    async with running(*((hello, port) for port in ports), lifespan="off"):
        assert handlers() == before
        async with httpx.AsyncClient() as client:
            for port in ports:
                assert (await client.get(f"http://127.0.0.1:{port}/")).text == "hello"
    assert handlers() == before
