"""Prometheus metrics of a subgraph process, served at ``GET /metrics`` (prometheus_client).

Every update on a request path is an increment or an observation in memory; nothing here
queries anything. The one number that needs a query, the outbox backlog, is refreshed by
the outbox relay (off the request path) at most every ``BACKLOG_EVERY`` seconds.

Several worker processes (``ticketflow serve NAME --processes N``): each keeps its own
numbers, so :func:`serve_processes <subgraphs.serve.serve_processes>` turns on
prometheus_client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``) before uvicorn starts
the workers, and any worker's ``/metrics`` then answers for all of them. The mode is chosen
when prometheus_client is first imported, so it is set before any worker imports this.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

from subgraphs.kernel.logs import operation

if TYPE_CHECKING:
    from subgraphs.kernel.uow import UnitOfWork

MULTIPROC_VAR = "PROMETHEUS_MULTIPROC_DIR"
BACKLOG_EVERY = 5.0  # seconds between two counts of a relay's unpublished outbox rows

# Seconds: a hold takes a few milliseconds, a saga (checkout to confirmation) seconds.
_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_SLOW = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)

REQUESTS = Counter("ticketflow_graphql_operations_total",
                   "GraphQL operations executed, by subgraph, type and root fields",
                   ["subgraph", "type", "operation"])
LATENCY = Histogram("ticketflow_graphql_operation_seconds",
                    "Time to execute a GraphQL operation (after parsing)",
                    ["subgraph", "type", "operation"], buckets=_FAST)
HOLDS = Counter("ticketflow_holds_total", "Holds made (seats, best available, standing)",
                ["kind"])
CONFLICTS = Counter("ticketflow_hold_conflicts_total",
                    "Holds refused because the seats or places were taken", ["kind"])
SEATS_SOLD = Counter("ticketflow_seats_sold_total",
                     "Seats and standing places sold (bookings confirmed)")
SAGA = Histogram("ticketflow_booking_saga_seconds",
                 "From checkout to the booking's outcome (confirmed, expired, not confirmed)",
                 ["outcome"], buckets=_SLOW)
OUTBOX_BACKLOG = Gauge("ticketflow_outbox_backlog", "Outbox rows not yet published",
                       ["subgraph"], multiprocess_mode="max")
OUTBOX_PUBLISHED = Counter("ticketflow_outbox_published_total", "Outbox events published",
                           ["subgraph"])
OUTBOX_DELAY = Histogram("ticketflow_outbox_publish_delay_seconds",
                         "From an event's commit to its publication", ["subgraph"],
                         buckets=_FAST)
PRUNED = Counter("ticketflow_retention_pruned_total",
                 "Rows the retention pruner deleted, by subgraph and kernel table "
                 "(outbox, processed_events, idempotency_keys)", ["subgraph", "table"])
CONSUMED = Counter("ticketflow_events_consumed_total", "Events applied by a consumer",
                   ["stream", "consumer"])
CONSUMER_LAG = Gauge("ticketflow_consumer_lag_seconds",
                     "Age of the last event a consumer applied (how far behind it runs)",
                     ["stream", "consumer"], multiprocess_mode="max")
LIVE = Gauge("ticketflow_live_subscribers", "Live seat-map subscribers, by show",
             ["show_id"], multiprocess_mode="livesum")


def _describe(context: Any) -> tuple[str, str]:
    """The operation's type and root field names (``mutation``, ``holdSeats``): bounded by
    the schema, unlike the operation name a client chooses."""
    document = context.graphql_document
    wanted = context.operation_name
    for definition in getattr(document, "definitions", ()):
        operation = getattr(definition, "operation", None)
        if operation is None or (wanted is not None and (
                definition.name is None or definition.name.value != wanted)):
            continue
        names = sorted({s.name.value for s in definition.selection_set.selections
                        if hasattr(s, "name")})
        return operation.value, ",".join(names) or "unknown"
    return "unknown", "unknown"


# (id(document), operation name, subgraph) -> (document, "mutation holdSeats", counter,
# histogram): the children bound once per parsed document (kernel/graphql.py keeps the
# documents clients repeat), which is most of the cost; holding the document keeps its
# id from being reused while the entry lives. A subscription gets no children (``None``):
# it is not counted here, and a bound child would show as a series of its own.
_bound: dict[tuple[int, str | None, str], tuple[Any, str, Any, Any]] = {}
_BOUND_MAX = 512


def _children(context: Any, subgraph: str) -> tuple[Any, str, Any, Any]:
    document = context.graphql_document
    key = (id(document), context.operation_name, subgraph)
    hit = _bound.get(key)
    if hit is not None and hit[0] is document:
        return hit
    kind, fields = _describe(context)
    entry: tuple[Any, str, Any, Any] = (document, f"{kind} {fields}", None, None)
    if kind != "subscription":
        entry = (document, entry[1], REQUESTS.labels(subgraph, kind, fields),
                 LATENCY.labels(subgraph, kind, fields))
    if len(_bound) >= _BOUND_MAX:
        _bound.clear()
    _bound[key] = entry
    return entry


class OperationMetrics(SchemaExtension):
    """Counts and times each query and mutation (a subscription lasts as long as its
    client: ``ticketflow_live_subscribers`` counts those)."""

    def on_execute(self) -> Iterator[None]:
        start = time.perf_counter()
        yield
        context = self.execution_context
        service = getattr(context.context, "service", None)
        name = getattr(getattr(service, "spec", None), "name", None)
        _document, what, count, latency = _children(context, name or "unknown")
        if count is None:  # a subscription
            return
        described = operation.get()
        if described is not None:
            described.append(what)
        count.inc()
        latency.observe(time.perf_counter() - start)


def exposition() -> bytes:
    """The text this process (or, in multiprocess mode, every worker) answers at /metrics."""
    if os.environ.get(MULTIPROC_VAR):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()


async def metrics_endpoint(_request: Request) -> Response:
    """``GET /metrics`` in Prometheus' text format."""
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)


_live: dict[str, int] = {}


def subscriber_joined(show_id: str) -> None:
    """A live subscriber of ``show_id`` started."""
    _live[show_id] = _live.get(show_id, 0) + 1
    LIVE.labels(show_id).inc()


def subscriber_left(show_id: str) -> None:
    """A live subscriber of ``show_id`` ended; a show nobody watches leaves the series."""
    left = _live.get(show_id, 0) - 1
    LIVE.labels(show_id).dec()
    if left > 0:
        _live[show_id] = left
        return
    _live.pop(show_id, None)
    if not os.environ.get(MULTIPROC_VAR):
        LIVE.remove(show_id)


HOLD_KINDS = ("seats", "best_available", "general_admission")
_held = {kind: (HOLDS.labels(kind), CONFLICTS.labels(kind)) for kind in HOLD_KINDS}


def hold_answered(kind: str, refused: bool) -> None:
    """A hold of ``kind`` was made, or refused because what it asked for was taken."""
    made, conflict = _held[kind]
    (conflict if refused else made).inc()


def booking_settled(uow: UnitOfWork, outcome: str, checked_out: datetime,
                    sold: int = 0) -> None:
    """Once ``uow`` commits: a booking checked out at ``checked_out`` reached ``outcome``
    (``confirmed``, ``expired``, ``not_confirmed``), selling ``sold`` seats and places."""

    async def count() -> None:
        seconds = (datetime.now(checked_out.tzinfo) - checked_out).total_seconds()
        SAGA.labels(outcome).observe(max(0.0, seconds))
        if sold:
            SEATS_SOLD.inc(sold)

    uow.after_commit(count)
