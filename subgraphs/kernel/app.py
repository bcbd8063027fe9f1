"""Builds one subgraph's FastAPI app: GraphQL, health, readiness, relay and consumers."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.requests import HTTPConnection
from strawberry.fastapi import GraphQLRouter
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from subgraphs.kernel import metrics, tracing
from subgraphs.kernel.errors import TicketFlowError
from subgraphs.kernel.graphql import Context
from subgraphs.kernel.logs import RequestIds
from subgraphs.kernel.service import Runtime, Service, SubgraphSpec
from subgraphs.kernel.ws import KeepServerSend, SharedFeedsHandler

log = logging.getLogger("ticketflow.app")


def client_address(connection: HTTPConnection, trusted: list[str]) -> str | None:
    """The client's address: the peer, or behind trusted proxies the right-most address in
    ``X-Forwarded-For`` that is not itself a trusted proxy."""
    peer = connection.client.host if connection.client else None
    forwarded = connection.headers.get("x-forwarded-for")
    if peer not in trusted or not forwarded:
        return peer
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return hops[0] if hops else peer


def _context_getter(service: Service) -> Callable[..., Awaitable[Context]]:
    async def get_context(connection: HTTPConnection) -> Context:
        where = client_address(connection, service.settings.trusted_proxies)
        agent = connection.headers.get("user-agent")
        try:
            caller = await service.runtime.verifier.from_header(
                connection.headers.get("authorization")
            )
        except TicketFlowError as error:
            return Context(service, None, error, where, agent)
        return Context(service, caller, None, where, agent)

    return get_context


class _GraphQLRouter(GraphQLRouter[Context, None]):
    graphql_transport_ws_handler_class = SharedFeedsHandler

    # orjson: a 50,000-seat map is a few MB of JSON; the standard encoder is the bottleneck.
    # Text, not bytes: WebSocket messages must go out as text frames.
    def encode_json(self, data: object) -> str:
        return orjson.dumps(data).decode()


def _feeds_debug(app: FastAPI, service: Service) -> None:
    """``GET /debug/feeds``: the feed registry's counters (``snapshot_renders``...) and, per
    feed (show), its groups (distinct documents) and subscribers (``TICKETFLOW_FEEDS_DEBUG``)."""

    @app.get("/debug/feeds")
    async def feeds() -> dict[str, Any]:
        registry = service.feeds()
        if registry is None:
            return {"stats": {}, "feeds": {}}
        return {"stats": dict(registry.stats), "feeds": {
            key: {"groups": len(feed.groups), "subscribers": len(feed.subscribers())}
            for key, feed in registry.feeds.items()}}


def create_app(spec: SubgraphSpec, runtime: Runtime, *, own_runtime: bool = False) -> FastAPI:
    """The FastAPI app of one subgraph.

    ``own_runtime`` closes the runtime on shutdown (one subgraph per process).
    """
    service = Service(spec, runtime)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with service.running():
            yield
        if own_runtime:
            await runtime.close()

    app = FastAPI(title=f"TicketFlow {spec.name}", lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url=None)
    app.state.service = service
    app.add_middleware(KeepServerSend)

    app.add_middleware(RequestIds, service=spec.name, access_log=runtime.settings.access_log)
    tracing.instrument_app(app, spec.name)
    if runtime.settings.metrics:
        app.add_route("/metrics", metrics.metrics_endpoint, methods=["GET"])

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": spec.name}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """Ready when the database and Redis (if configured) answer; 503 names what did not."""
        down = []
        for part, ping in (("database", service.db.ping), ("redis", runtime.ping)):
            try:
                await ping()
            except Exception as exc:  # any failure means "not ready"; the reason is logged
                log.warning("readiness check failed (%s): %r", part, exc)
                down.append(part)
        if down:
            return JSONResponse({"status": "unavailable", "service": spec.name,
                                 "unavailable": down}, status_code=503)
        return JSONResponse({"status": "ok", "service": spec.name})

    graphql = _GraphQLRouter(
        spec.schema,
        context_getter=_context_getter(service),
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        # The router multiplexes many clients' subscriptions onto few upstream sockets.
        max_subscriptions_per_connection=None,
        graphql_ide="graphiql" if runtime.settings.env != "production" else None,
    )
    app.include_router(graphql, prefix="/graphql")
    if spec.shared and runtime.settings.feeds_debug:
        _feeds_debug(app, service)
    if spec.routes is not None:
        spec.routes(app, service)
    return app
