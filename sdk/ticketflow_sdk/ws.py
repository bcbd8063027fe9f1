"""GraphQL over websockets (graphql-transport-ws): one connection, its subscriptions.

:class:`GraphQLWebSocket` does the protocol's part that every client of it repeats:
``connection_init`` and waiting for ``connection_ack``, ``subscribe`` and ``complete`` by
id, and answering the server's pings, so a reader only ever sees the other messages
(``next``, ``error``, ``complete``). :class:`~ticketflow_sdk.live.SeatWatch` (live seat
maps that survive gaps and dropped connections), :func:`subscribe` (one subscription's
``data``, errors raised) and the repository's tests and benchmarks use it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Self

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from ticketflow_sdk.errors import error_from_graphql

PROTOCOL = Subprotocol("graphql-transport-ws")


def ws_url(url: str) -> str:
    """The websocket URL of a GraphQL endpoint given as ``http(s)://`` (or ``ws(s)://``)."""
    return url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)


def bearer(token: str | None) -> dict[str, Any]:
    """The ``connection_init`` payload that signs a connection in with ``token``."""
    return {"Authorization": f"Bearer {token}"} if token else {}


class GraphQLWebSocket:
    """An open graphql-transport-ws connection (``ws`` is the websockets connection)."""

    OPEN_TIMEOUT = 10.0

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    @classmethod
    @asynccontextmanager
    async def connect(cls, url: str, payload: Mapping[str, Any] | None = None,
                      headers: Mapping[str, str] | None = None, *,
                      open_timeout: float | None = None,
                      max_size: int | None = None) -> AsyncIterator[Self]:
        """Connect to ``url`` and wait for the server's ``connection_ack`` (up to
        ``open_timeout`` seconds for each, :attr:`OPEN_TIMEOUT` by default); ``payload``
        goes in ``connection_init``, ``headers`` in the upgrade request."""
        wait = cls.OPEN_TIMEOUT if open_timeout is None else open_timeout
        async with connect(ws_url(url), subprotocols=[PROTOCOL], max_size=max_size,
                           additional_headers=dict(headers or {}), open_timeout=wait) as ws:
            connection = cls(ws)
            await connection.initialise(payload, ack_within=wait)
            yield connection

    async def initialise(self, payload: Mapping[str, Any] | None = None, *,
                         ack_within: float = 10.0) -> None:
        """Send ``connection_init`` and wait (``ack_within`` seconds) for ``connection_ack``."""
        await self.send({"type": "connection_init", "payload": dict(payload or {})})
        async with asyncio.timeout(ack_within):
            while (await self.receive()).get("type") != "connection_ack":
                pass  # nothing else may come first; whatever does is not ours

    async def subscribe(self, operation_id: str, document: str,
                        variables: Mapping[str, Any] | None = None,
                        operation_name: str | None = None) -> None:
        """Start the subscription ``document`` under ``operation_id``."""
        payload: dict[str, Any] = {"query": document, "variables": dict(variables or {})}
        if operation_name is not None:
            payload["operationName"] = operation_name
        await self.send({"id": operation_id, "type": "subscribe", "payload": payload})

    async def complete(self, operation_id: str) -> None:
        """Stop the subscription ``operation_id``."""
        await self.send({"id": operation_id, "type": "complete"})

    async def send(self, message: Mapping[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        """The next message that is not a ping or a pong (pings are answered)."""
        while True:
            message: dict[str, Any] = json.loads(await self.ws.recv())
            kind = message.get("type")
            if kind == "ping":
                await self.send({"type": "pong"})
            elif kind != "pong":
                return message


def payload_data(message: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``data`` of a ``next`` message; None once the subscription is complete; the
    error an ``error`` message (or an error in ``next``) stands for, raised."""
    kind = message.get("type")
    payload = message.get("payload")
    if kind == "error":
        errors = payload if isinstance(payload, list) else [payload or {}]
        raise error_from_graphql(errors[0])
    if kind != "next" or not isinstance(payload, dict):
        return None
    if payload.get("errors"):
        raise error_from_graphql(payload["errors"][0])
    data: dict[str, Any] = payload["data"]
    return data


async def subscribe(url: str, document: str, variables: Mapping[str, Any] | None = None,
                    operation_name: str | None = None, *, token: str | None = None,
                    open_timeout: float | None = None) -> AsyncIterator[dict[str, Any]]:
    """Each ``data`` of one subscription on a connection of its own, until the server
    completes it; an error it answers with is raised (:mod:`ticketflow_sdk.errors`)."""
    async with GraphQLWebSocket.connect(url, bearer(token),
                                        open_timeout=open_timeout) as connection:
        await connection.subscribe("1", document, variables, operation_name)
        while True:
            message = await connection.receive()
            if message.get("id") != "1":
                continue
            data = payload_data(message)
            if data is None:
                return
            yield data
