"""GET /metrics on every subgraph and on the router: the named series are there, and they
move when a customer holds seats, collides with another hold, watches the show and pays
(docs/observability.md)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.flows import Actors, seat_ids, show_on_sale
from tests.harness import (
    PYTHON,
    GraphQL,
    Processes,
    Stack,
    Subscription,
    destroy,
    eventually,
    http,
    migrate_all,
    settings_from,
    wait_http,
)
from tests.harness import (
    test_env as deployment_env,
)
from tests.payments import CHECKOUT, pay, wait_booking

# Named, so the router's series carry it (operationName).
HOLD = """mutation ObserveHold($show: ID!, $seats: [ID!]!) {
  holdSeats(showId: $show, seatIds: $seats) {
    __typename ... on SeatHold { id } ... on SeatsUnavailable { seatIds } } }"""
WATCH = "subscription($show: ID!) { seatAvailability(showId: $show) { kind version } }"

SUBGRAPHS = ("auth", "venue", "booking", "payment", "notification")
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(url: str) -> Samples:
    """Every sample of a /metrics page: (name, labels) -> value (the parser names every
    counter's sample ``<name>_total``, as the router's prom-client counters lack it)."""
    response = await http().get(url)
    assert response.status_code == 200, response.text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(response.text)
            for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels`` (0 when none)."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def present(samples: Samples, name: str, **labels: str) -> bool:
    wanted = set(labels.items())
    return any(n == name and wanted <= ls for (n, ls) in samples)


def metrics_url(stack: Stack, service: str) -> str:
    return stack.url(service).removesuffix("/graphql") + "/metrics"


def router_metrics(stack: Stack) -> str:
    return stack.router_url.removesuffix("/graphql") + "/metrics"


async def test_metrics_move_after_a_hold(e2e: tuple[Stack, object], e2e_actors: Actors) -> None:
    stack, _ = e2e
    router = GraphQL(stack.router_url)
    show = await show_on_sale(router, router, e2e_actors.organizer, via_router=True)
    seats = seat_ids(show, 0, 1)
    before = {s: await scrape(metrics_url(stack, s)) for s in SUBGRAPHS}
    router_before = await scrape(router_metrics(stack))

    async with Subscription(stack.router_url, WATCH, {"show": show.id}) as watcher:
        assert (await watcher.next())["data"]["seatAvailability"]["kind"] == "SNAPSHOT"

        async def watched() -> bool:
            booking = await scrape(metrics_url(stack, "booking"))
            return value(booking, "ticketflow_live_subscribers", show_id=show.id) == 1

        await eventually(watched)
        held = await router.data(HOLD, {"show": show.id, "seats": seats},
                                 e2e_actors.customer.token)
        assert held["holdSeats"]["__typename"] == "SeatHold", held
        refused = await router.data(HOLD, {"show": show.id, "seats": seats[1:]},
                                    e2e_actors.other_customer.token)
        assert refused["holdSeats"]["__typename"] == "SeatsUnavailable", refused

    out = await router.data(CHECKOUT, {"hold": held["holdSeats"]["id"], "key": uuid.uuid4().hex},
                            e2e_actors.customer.token)
    booking_id = out["checkout"]["id"]
    paid = await pay(router, e2e_actors.customer, booking_id)
    assert paid["__typename"] == "Payment", paid
    await wait_booking(router, e2e_actors.customer, booking_id, "CONFIRMED")

    async def moved(service: str, check: Callable[[Samples, Samples], bool]) -> None:
        async def done() -> bool:
            return check(before[service], await scrape(metrics_url(stack, service)))

        await eventually(done)

    def grew(name: str, by: float = 1, **labels: str) -> Callable[[Samples, Samples], bool]:
        return lambda old, new: value(new, name, **labels) >= value(old, name, **labels) + by

    holds = {"subgraph": "booking", "type": "mutation", "operation": "holdSeats"}
    await moved("booking", grew("ticketflow_graphql_operations_total", 2, **holds))
    await moved("booking", grew("ticketflow_graphql_operation_seconds_count", 2, **holds))
    await moved("booking", grew("ticketflow_holds_total", kind="seats"))
    await moved("booking", grew("ticketflow_hold_conflicts_total", kind="seats"))
    await moved("booking", grew("ticketflow_seats_sold_total", 2))
    await moved("booking", grew("ticketflow_booking_saga_seconds_count", outcome="confirmed"))
    await moved("booking", grew("ticketflow_outbox_published_total", 3, subgraph="booking"))
    await moved("payment", grew("ticketflow_events_consumed_total", stream="booking",
                                consumer="payment"))
    await moved("booking", grew("ticketflow_events_consumed_total", stream="payment",
                                consumer="booking"))
    # the watcher left: the show's series went with it
    await moved("booking", lambda _old, new: not present(
        new, "ticketflow_live_subscribers", show_id=show.id))

    for service in SUBGRAPHS:
        now = await scrape(metrics_url(stack, service))
        assert present(now, "ticketflow_outbox_backlog", subgraph=service), service
    lag = await scrape(metrics_url(stack, "payment"))
    assert present(lag, "ticketflow_consumer_lag_seconds", stream="booking", consumer="payment")

    router_after = await scrape(router_metrics(stack))
    named = {"operationName": "ObserveHold", "operationType": "mutation"}
    for name in ("graphql_envelop_request_duration_count", "graphql_envelop_request_total"):
        assert value(router_after, name, **named) >= value(router_before, name, **named) + 2, name
    booking_calls = "graphql_gateway_subgraph_execute_duration_count"
    assert (value(router_after, booking_calls, subgraphName="booking")
            >= value(router_before, booking_calls, subgraphName="booking") + 2)


@pytest.mark.mode("postgres")
async def test_worker_processes_answer_for_each_other(tmp_path: Path) -> None:
    """``serve booking --processes 2``: whichever worker a scrape reaches counts every
    worker's requests (prometheus_client's multiprocess mode, docs/observability.md)."""
    env = deployment_env("postgres", tmp_path / "data")
    settings = settings_from(env)
    await migrate_all(settings)
    procs = Processes(tmp_path)
    base = f"http://127.0.0.1:{settings.port_of('booking')}"
    try:
        procs.start("booking", [PYTHON, "-m", "subgraphs.cli", "serve", "booking",
                                "--processes", "2"], env)
        await wait_http(f"{base}/readyz", procs=procs)
        labels = {"subgraph": "booking", "type": "query", "operation": "__typename"}
        # a connection each, at once: the workers take them as they come
        async with httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=0)) as fresh:
            answers = await asyncio.gather(*(
                fresh.post(f"{base}/graphql", json={"query": "{ __typename }"})
                for _ in range(30)))
            assert all(a.status_code == 200 for a in answers)
            for _ in range(6):
                page = list(text_string_to_metric_families(
                    (await fresh.get(f"{base}/metrics")).text))
                counted = sum(s.value for family in page for s in family.samples
                              if s.name == "ticketflow_graphql_operations_total"
                              and labels.items() <= s.labels.items())
                assert counted == 30
                # the page is the workers' files added up, not the answering process's own
                # registry (which alone has process_* series): one worker taking all 30
                # requests cannot pass for it
                assert not [f.name for f in page if f.name.startswith("process_")]
    finally:
        procs.stop_all()
        await destroy(settings)
