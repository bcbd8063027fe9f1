"""OpenTelemetry traces of a subgraph process, exported over OTLP/HTTP.

Off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is
set: then :func:`setup` installs a tracer provider with a batching OTLP exporter and the
instrumentations of Redis and httpx, :func:`instrument_app` FastAPI's (the router's
``traceparent`` continues here), and :func:`trace_engine` SQLAlchemy's for each database.
When it is off nothing of the SDK is imported, and the hooks on the request path cost one
test of :data:`ENABLED`.

Events carry the trace of the transaction that wrote them (``Event.trace``, a W3C
``traceparent``); the consumer that applies them works in a trace of its own whose span
links back to each producer (:func:`consuming`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy.ext.asyncio import AsyncEngine

ENABLED = False


class Traced(Protocol):
    """What a consumer span reads of an event (:class:`subgraphs.kernel.events.Event`; not
    imported: the kernel's database module, which events build on, imports this one)."""

    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def trace(self) -> str | None: ...

# Endpoints that never get a span: probes and scrapes, several a second.
EXCLUDED_URLS = "healthz,readyz,metrics"


def configured(env: Mapping[str, str] = os.environ) -> bool:
    """Whether the standard OpenTelemetry variables ask for traces."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if env.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none":
        return False
    return bool(env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
                or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip())


def setup(service_name: str) -> bool:
    """Install tracing for this process once, if :func:`configured`; whether it is on.
    ``OTEL_SERVICE_NAME`` wins over ``service_name``."""
    global ENABLED
    if ENABLED or not configured():
        return ENABLED
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    named = {} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: service_name}
    # OTEL_TRACES_SAMPLER, when set, decides; otherwise _requests_and_events().
    sampler = None if os.environ.get("OTEL_TRACES_SAMPLER") else _requests_and_events()
    provider = TracerProvider(resource=Resource.create(named), sampler=sampler)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    RedisInstrumentor().instrument()
    HTTPXClientInstrumentor().instrument()
    ENABLED = True
    return True


def _requests_and_events() -> Any:
    """Traces start at a request (a server span) or an event being applied (a consumer
    span); the statements and Redis calls of background loops (the relay's polls, stream
    reads, the sweeper), which would start a trace each every fraction of a second, are
    not recorded. A span with a parent follows its parent's decision."""
    from opentelemetry.sdk.trace.sampling import (
        ALWAYS_OFF,
        ALWAYS_ON,
        ParentBased,
        Sampler,
        SamplingResult,
    )
    from opentelemetry.trace import SpanKind

    class Roots(Sampler):
        def should_sample(self, parent_context: Any, trace_id: int, name: str,
                          kind: Any = None, attributes: Any = None, links: Any = None,
                          trace_state: Any = None) -> SamplingResult:
            keep = kind in (SpanKind.SERVER, SpanKind.CONSUMER)
            return (ALWAYS_ON if keep else ALWAYS_OFF).should_sample(
                parent_context, trace_id, name, kind, attributes, links, trace_state)

        def get_description(self) -> str:
            return "TicketFlowRoots"

    return ParentBased(root=Roots())


def shutdown() -> None:
    """Send the spans still buffered (at the end of the process)."""
    if ENABLED:
        from opentelemetry import trace

        provider: Any = trace.get_tracer_provider()
        provider.shutdown()


def instrument_app(app: FastAPI, subgraph: str) -> None:
    """A server span per HTTP request (and WebSocket connection) of ``app``, continuing
    the caller's trace and naming the subgraph (``ticketflow.subgraph``: embedded, one
    process serves them all); no spans per WebSocket message."""
    if ENABLED:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        def name_it(span: Any, _scope: dict[str, Any]) -> None:
            if span is not None and span.is_recording():
                span.set_attribute("ticketflow.subgraph", subgraph)

        FastAPIInstrumentor.instrument_app(app, excluded_urls=EXCLUDED_URLS,
                                           exclude_spans=["receive", "send"],
                                           server_request_hook=name_it)


def trace_engine(engine: AsyncEngine) -> None:
    """A client span per SQL statement ``engine`` runs (``db.system`` names the server)."""
    if ENABLED:
        from opentelemetry import metrics, trace
        from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer

        tracer = trace.get_tracer("opentelemetry.instrumentation.sqlalchemy")
        usage = metrics.get_meter("ticketflow").create_up_down_counter(
            "db.client.connections.usage")
        EngineTracer(tracer, engine.sync_engine, usage)


def traceparent() -> str | None:
    """The current span as a W3C ``traceparent`` (``None`` when tracing is off)."""
    if not ENABLED:
        return None
    from opentelemetry.propagate import inject

    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier.get("traceparent")


def trace_id() -> str | None:
    """The current trace id in hex, for the logs (``None`` when off or outside a span)."""
    if not ENABLED:
        return None
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


@contextlib.contextmanager
def consuming(stream: str, consumer: str, events: Sequence[Traced]) -> Iterator[None]:
    """A consumer span around applying ``events``, linked to each event's producer."""
    if not ENABLED:
        yield
        return
    from opentelemetry import trace
    from opentelemetry.propagate import extract

    links = []
    for event in events:
        if event.trace:
            producer = trace.get_current_span(extract({"traceparent": event.trace}))
            links.append(trace.Link(producer.get_span_context(),
                                    {"ticketflow.event.id": event.id}))
    types = ",".join(sorted({e.type for e in events}))
    tracer = trace.get_tracer("ticketflow.events")
    with tracer.start_as_current_span(
            f"consume {types}", kind=trace.SpanKind.CONSUMER, links=links,
            context=trace.set_span_in_context(trace.INVALID_SPAN),
            attributes={"messaging.destination.name": stream,
                        "messaging.consumer.group.name": consumer,
                        "messaging.batch.message_count": len(events),
                        "ticketflow.event.types": types}):
        yield
