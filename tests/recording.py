"""A recording proxy in front of the real subgraphs, and a second router whose subgraph URLs
point at it: what proves that a request the router refuses never reaches a subgraph (a
request it refuses does not show up in the proxy). ``tests/e2e/test_router_auth.py`` (tokens),
``tests/e2e/test_router_edge.py`` (operation limits), ``tests/e2e/test_router_rate_limits.py``
(rate limits, subscription caps) and ``tests/e2e/test_trusted_documents.py`` use it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from subgraphs.kernel.settings import SERVICES
from tests.harness import Stack, another_router, free_port, http, running

HOP_BY_HOP = {"host", "content-length", "connection", "keep-alive", "transfer-encoding",
              "upgrade", "accept-encoding", "content-encoding"}


@dataclass
class Seen:
    # "http" (a subgraph request), "ws" (a subgraph WebSocket upgrade), "ws-frame" (a message
    # sent to a subgraph over a relayed WebSocket), "jwks"
    kind: str
    service: str
    headers: dict[str, str]
    body: str = ""


@dataclass
class Recorder:
    """A reverse proxy in front of the real subgraphs that writes down every request.

    ``/<service>/graphql`` goes to that subgraph, ``/.well-known/jwks.json`` to the auth
    service (plus ``extra_keys``). WebSocket upgrades are written down and refused, or, with
    ``relay_websockets``, relayed to the subgraph with every message to it written down.
    """

    upstream: dict[str, str]  # service -> origin
    seen: list[Seen] = field(default_factory=list)
    extra_keys: list[dict[str, Any]] = field(default_factory=list)
    relay_websockets: bool = False

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/.well-known/jwks.json", self._jwks),
            Route("/{service}/graphql", self._graphql, methods=["GET", "POST"]),
            WebSocketRoute("/{service}/graphql", self._websocket),
        ])

    async def _jwks(self, request: Request) -> Response:
        self.seen.append(Seen("jwks", "auth", dict(request.headers)))
        real = (await http().get(f"{self.upstream['auth']}/.well-known/jwks.json",
                                 timeout=10)).json()
        return JSONResponse({"keys": [*real["keys"], *self.extra_keys]})

    async def _graphql(self, request: Request) -> Response:
        service = request.path_params["service"]
        body = await request.body()
        self.seen.append(Seen("http", service, dict(request.headers),
                              body.decode(errors="replace")))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        answer = await http().request(request.method, f"{self.upstream[service]}/graphql",
                                      params=request.query_params, content=body,
                                      headers=headers)
        return Response(answer.content, answer.status_code, headers={
            k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP})

    async def _websocket(self, websocket: WebSocket) -> None:
        service = websocket.path_params["service"]
        self.seen.append(Seen("ws", service, dict(websocket.headers)))
        if not self.relay_websockets:
            await websocket.close(code=1008)
            return
        headers = {k: v for k, v in websocket.headers.items()
                   if k.lower() in ("authorization", "x-forwarded-for")}
        url = self.upstream[service].replace("http", "ws", 1) + "/graphql"
        async with websockets.connect(url, subprotocols=websocket.scope["subprotocols"],
                                      additional_headers=headers, max_size=None) as subgraph:
            await websocket.accept(subgraph.subprotocol)

            async def to_subgraph() -> None:
                with contextlib.suppress(WebSocketDisconnect):
                    while True:
                        text = await websocket.receive_text()
                        self.seen.append(Seen("ws-frame", service, {}, text))
                        await subgraph.send(text)

            async def to_client() -> None:
                with contextlib.suppress(websockets.ConnectionClosed):
                    async for text in subgraph:
                        await websocket.send_text(str(text))

            relays = [asyncio.create_task(to_subgraph()), asyncio.create_task(to_client())]
            await asyncio.wait(relays, return_when=asyncio.FIRST_COMPLETED)
            for relay in relays:
                relay.cancel()
            with contextlib.suppress(Exception):
                await websocket.close()

    def requests(self, kind: str = "http") -> list[Seen]:
        return [s for s in self.seen if s.kind == kind]

    def mentioning(self, text: str, kind: str = "http") -> list[Seen]:
        """Subgraph requests (or relayed messages: ``ws-frame``) whose body contains ``text``."""
        return [s for s in self.requests(kind) if text in s.body]

    def from_address(self, address: str, kind: str) -> list[Seen]:
        """Requests of ``kind`` whose X-Forwarded-For names ``address``."""
        return [s for s in self.requests(kind)
                if address in s.headers.get("x-forwarded-for", "").split(", ")]


@dataclass
class Recorded:
    """The second router, and the proxy between it and the subgraphs."""

    router_url: str
    recorder: Recorder


@contextlib.asynccontextmanager
async def recorded_router(stack: Stack, log_dir: Path, overrides: dict[str, str],
                          relay_websockets: bool = False) -> AsyncIterator[Recorded]:
    """A router over ``stack``'s subgraphs, each reached through one recording proxy (its
    JWKS too, unless ``overrides`` set ``TICKETFLOW_JWKS_URL``), its settings changed by
    ``overrides``."""
    recorder = Recorder({name: stack.url(name).removesuffix("/graphql") for name in SERVICES},
                        relay_websockets=relay_websockets)
    proxy_port = free_port()
    async with running((recorder.app(), proxy_port), lifespan="off"):
        proxy = f"http://127.0.0.1:{proxy_port}"
        urls = {f"TICKETFLOW_{name.upper()}_URL": f"{proxy}/{name}/graphql" for name in SERVICES}
        async with another_router(stack, log_dir, {**urls, **overrides}) as url:
            yield Recorded(url, recorder)
