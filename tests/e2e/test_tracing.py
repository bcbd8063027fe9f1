"""One hold, traced: the router's span, booking's server span under it and booking's
PostgreSQL statements under that, all in one trace, exported over OTLP/HTTP to a receiver
of the test's own (tests/otlp.py); the event the hold wrote is consumed by payment in a
trace of its own whose span links back to the hold's; booking's JSON access line carries
the trace id, and so does the router's access line for it (docs/observability.md).

Real processes: the uvicorn subgraphs (PostgreSQL and Redis, one process per subgraph) and
the real router, with OTEL_EXPORTER_OTLP_ENDPOINT pointing at the receiver.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.conftest import own_processes
from tests.flows import make_actors, seat_ids, show_on_sale
from tests.harness import GraphQL, Processes, Stack, eventually
from tests.otlp import Receiver, Span

# PostgreSQL only (a process per subgraph, so each exports as itself): it runs in the
# half of the suite that holds the postgres end-to-end tests (see tests/conftest.py).
pytestmark = pytest.mark.mode("postgres")

HOLD = """mutation TracedHold($show: ID!, $seats: [ID!]!) {
  holdSeats(showId: $show, seatIds: $seats) { __typename ... on SeatHold { id } } }"""
SERVER, CONSUMER = 2, 5  # opentelemetry.proto.trace.v1.Span.SpanKind


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver().running() as running:
        yield running


@pytest.fixture(scope="module")
async def traced(receiver: Receiver, tmp_path_factory: pytest.TempPathFactory
                 ) -> AsyncIterator[tuple[Stack, Processes]]:
    environ = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
               # export every 100 ms, not every 5 s: the test waits for spans, not a timer
               "OTEL_BSP_SCHEDULE_DELAY": "100"}
    async with own_processes("postgres", tmp_path_factory, "traced", environ,
                             log_format="json", access_log="true") as running:
        yield running


def in_trace(spans: list[Span], trace_id: str) -> list[Span]:
    return [s for s in spans if s.trace_id == trace_id]


async def test_a_hold_is_one_trace_from_router_to_postgres_and_its_event_links_back(
        traced: tuple[Stack, Processes], receiver: Receiver) -> None:
    stack, procs = traced
    actors = await make_actors(stack, lambda _service: stack.router_url)
    router = GraphQL(stack.router_url)
    show = await show_on_sale(router, router, actors.organizer, via_router=True)
    held = await router.data(HOLD, {"show": show.id, "seats": seat_ids(show, 0)},
                             actors.customer.token)
    assert held["holdSeats"]["__typename"] == "SeatHold", held

    async def router_span() -> Span | None:
        return next((s for s in receiver.spans() if s.service == "ticketflow-router"
                     and s.attributes.get("graphql.operation.name") == "TracedHold"), None)

    operation = await eventually(router_span)
    trace_id = operation.trace_id

    async def booking_reached_postgres() -> tuple[Span, Span] | None:
        spans = in_trace(receiver.spans(), trace_id)
        server = next((s for s in spans if s.service == "ticketflow-booking"
                       and s.kind == SERVER), None)
        sql = next((s for s in spans if s.service == "ticketflow-booking"
                    and s.attributes.get("db.system") == "postgresql"
                    and "UPDATE" in str(s.attributes.get("db.statement", ""))), None)
        parents = {s.span_id for s in spans if s.service == "ticketflow-router"}
        # booking's server span continues a span of the router's (the traceparent it sent)
        return (server, sql) if server and sql and server.parent_span_id in parents else None

    server, _sql = await eventually(booking_reached_postgres)
    spans = in_trace(receiver.spans(), trace_id)
    by_id = {s.span_id: s for s in spans}
    assert by_id[server.parent_span_id].service == "ticketflow-router"
    assert server.attributes.get("ticketflow.subgraph") == "booking"

    def ancestors(span: Span) -> list[Span]:
        chain = []
        while span.parent_span_id in by_id:
            span = by_id[span.parent_span_id]
            chain.append(span)
        return chain

    # every booking statement of the hold hangs under booking's server span
    statements = [s for s in spans if s.attributes.get("db.system") == "postgresql"]
    assert statements and all(server in ancestors(s) for s in statements)
    booking_ids = {s.span_id for s in spans if s.service == "ticketflow-booking"}

    async def consumed() -> Span | None:
        return next((s for s in receiver.spans() if s.service == "ticketflow-payment"
                     and s.kind == CONSUMER and "SeatsHeld" in s.name
                     and any(link.trace_id == trace_id for link in s.links)), None)

    consumer = await eventually(consumed)
    assert consumer.trace_id != trace_id  # a trace of its own, linked
    assert consumer.attributes["messaging.destination.name"] == "booking"
    assert any(link.span_id in booking_ids for link in consumer.links if
               link.trace_id == trace_id)

    lines = [json.loads(line) for line in procs.log("booking").splitlines()
             if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "ticketflow.access"
              and line.get("http", {}).get("operation") == "mutation holdSeats"]
    assert [line["trace_id"] for line in access] == [trace_id]

    # so does the router's: its access line for the hold names the trace and the router's
    # span it was written in (the HTTP request's)
    routed = [json.loads(line) for line in procs.log("router").splitlines()
              if line.startswith("{")]
    hold_lines = [line for line in routed if line.get("logger") == "ticketflow.access"
                  and line.get("http", {}).get("operation") == "mutation TracedHold"]
    assert [(line["trace_id"], line["http"]["service"]) for line in hold_lines] == [
        (trace_id, "router")], hold_lines

    async def router_span_of_line() -> Span | None:
        return next((s for s in in_trace(receiver.spans(), trace_id)
                     if s.service == "ticketflow-router"
                     and s.span_id == hold_lines[0]["span_id"]), None)

    await eventually(router_span_of_line)
    # lines about no request (start-up) carry no trace id
    listening = [line for line in routed if line["msg"].startswith("Listening on")]
    assert listening and all("trace_id" not in line for line in listening)

    # background loops (relay polls, stream reads) start no traces: every trace a subgraph
    # starts is a request's or an event's
    roots = {(s.name, s.kind) for s in receiver.spans()
             if s.service.startswith("ticketflow-") and s.service != "ticketflow-router"
             and not s.parent_span_id}
    assert roots and all(kind in (SERVER, CONSUMER) for _name, kind in roots), roots
    # the router's probes (the harness waited on /readiness) start no trace either
    probes = [s for s in receiver.spans() if s.service == "ticketflow-router"
              and "/readiness" in str(s.attributes.get("http.url", ""))]
    assert probes == []
    assert any("/graphql" in str(s.attributes.get("http.url", "")) for s in receiver.spans()
               if s.service == "ticketflow-router")
