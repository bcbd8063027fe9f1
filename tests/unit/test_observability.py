"""Logs in both formats with request and trace ids, the access line, when tracing turns on,
and the trace context events carry (docs/observability.md)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import strawberry
from graphql import ExecutionResult
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import REGISTRY
from sqlalchemy import MetaData

from subgraphs.kernel import tracing
from subgraphs.kernel.db import Database
from subgraphs.kernel.events import Event, SeatsHeld
from subgraphs.kernel.logs import LogFormat, RequestIds, configure_logging
from subgraphs.kernel.metrics import OperationMetrics
from subgraphs.kernel.tables import kernel_tables
from subgraphs.kernel.uow import UnitOfWork


@strawberry.type
class Query:
    ping: str = "pong"


@strawberry.type
class Mutation:
    @strawberry.mutation
    def hold_seats(self) -> str:
        return "held"


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncIterator[int]:
        yield 1


SCHEMA = strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription,
                           extensions=[OperationMetrics])


async def graphql_app(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
    """A stand-in subgraph: runs one mutation through the real metrics extension."""
    result = await SCHEMA.execute("mutation Mine { holdSeats }")
    assert result.errors is None
    await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b"{}"})  # type: ignore[operator]


class Stderr:
    """What the test logged to stderr (through the handler ``configure_logging`` made)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    def getvalue(self) -> str:
        return self._capsys.readouterr().err


@pytest.fixture
def stderr(capsys: pytest.CaptureFixture[str]) -> Iterator[Stderr]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield Stderr(capsys)
    root.handlers[:] = handlers
    root.setLevel(level)


async def request(access_log: bool, rid: str = "rid-1") -> None:
    app = RequestIds(graphql_app, service="booking", access_log=access_log)  # type: ignore[arg-type]
    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "method": "POST", "path": "/graphql",
             "headers": [(b"x-request-id", rid.encode())]}
    await app(scope, receive, send)  # type: ignore[arg-type]
    assert sent[0]["status"] == 200


def configure(fmt: LogFormat) -> None:
    configure_logging("INFO", fmt)


async def test_text_logs_one_human_line_per_request(stderr: Stderr) -> None:
    configure("text")
    await request(access_log=True)
    [line] = stderr.getvalue().splitlines()
    assert " INFO  ticketflow.access  booking POST /graphql mutation holdSeats 200 " in line
    assert line.endswith(" ms  [request_id=rid-1]")


async def test_json_logs_one_object_per_request(stderr: Stderr) -> None:
    configure("json")
    await request(access_log=True, rid="rid-2")
    [line] = stderr.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["level"] == "INFO" and entry["logger"] == "ticketflow.access"
    assert entry["request_id"] == "rid-2"
    assert "trace_id" not in entry  # tracing is off
    http = entry["http"]
    assert (http["service"], http["method"], http["path"], http["status"], http["operation"]) \
        == ("booking", "POST", "/graphql", 200, "mutation holdSeats")
    assert http["duration_ms"] >= 0


async def test_no_access_line_unless_asked(stderr: Stderr) -> None:
    configure("text")
    await request(access_log=False)
    assert stderr.getvalue() == ""


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_logs_carry_the_trace_id_when_tracing_is_on(
        fmt: LogFormat, stderr: Stderr, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(fmt)
    monkeypatch.setattr(tracing, "ENABLED", True)
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("request") as span:
        logging.getLogger("ticketflow.test").info("inside")
        trace_id = format(span.get_span_context().trace_id, "032x")
    logging.getLogger("ticketflow.test").info("outside")
    inside, outside = stderr.getvalue().splitlines()
    if fmt == "json":
        assert json.loads(inside)["trace_id"] == trace_id
        assert "trace_id" not in json.loads(outside)
    else:
        assert inside.endswith(f"  [trace_id={trace_id}]")
        assert "trace_id" not in outside


async def test_operations_are_counted_by_root_fields() -> None:
    labels = {"subgraph": "unknown", "type": "mutation", "operation": "holdSeats"}
    pings = {**labels, "type": "query", "operation": "ping"}

    def count(which: dict[str, str]) -> float:
        return REGISTRY.get_sample_value("ticketflow_graphql_operations_total", which) or 0

    before, pinged = count(labels), count(pings)
    await SCHEMA.execute("mutation Anything { holdSeats }")
    await SCHEMA.execute("query { ping }")
    assert count(labels) == before + 1
    assert count(pings) == pinged + 1


async def test_subscriptions_are_not_counted_nor_timed() -> None:
    ticks = await SCHEMA.subscribe("subscription { ticks }")
    assert not isinstance(ticks, ExecutionResult)
    assert [r.data async for r in ticks] == [{"ticks": 1}]
    names = {s.labels.get("type") for m in REGISTRY.collect()
             if m.name.startswith("ticketflow_graphql_operation") for s in m.samples}
    assert "subscription" not in names


@pytest.mark.parametrize(("env", "on"), [
    ({}, False),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
    ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, False),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, False),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": " "}, False),
])
def test_tracing_is_on_only_when_an_endpoint_is_set(env: dict[str, str], on: bool) -> None:
    assert tracing.configured(env) is on


def test_events_carry_the_trace_only_when_there_is_one() -> None:
    plain = Event(type="SeatsHeld", source="booking", payload={"n": 1})
    assert "trace" not in json.loads(plain.to_json())
    assert Event.from_json(plain.to_json()) == plain
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    traced = Event(type="SeatsHeld", source="booking", payload={}, trace=parent)
    assert Event.from_json(traced.to_json()).trace == parent
    assert tracing.traceparent() is None  # tracing is off in this process


async def test_a_typed_event_carries_the_producers_trace_through_its_outbox_json(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tracing, "ENABLED", True)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'booking.db'}")  # emit never connects
    uow = UnitOfWork(db, kernel_tables(MetaData()), "booking")
    held = SeatsHeld(hold_id="h", show_id="s", user_id="u", seat_ids=["a"], legs=[0, 1],
                     expires_at="2026-12-06T12:00:00+00:00")
    tracer = TracerProvider().get_tracer("test")
    try:
        with tracer.start_as_current_span("holdSeats") as span:
            emitted = uow.emit(held)
            context = span.get_span_context()
        outside = uow.emit(held)
    finally:
        await db.dispose()
    parent = f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"
    carried = Event.from_json(emitted.to_json())
    assert carried.trace == parent
    assert SeatsHeld.read(carried) == held
    assert "trace" not in json.loads(outside.to_json())
    assert SeatsHeld.read(Event.from_json(outside.to_json())) == held
