"""Through the real router and real uvicorn processes, in both modes."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from subgraphs.kernel.settings import SERVICES
from tests.flows import CHECKOUT, HOLD, SEAT_AVAILABILITY, Actors, show_on_sale
from tests.harness import GraphQL, Processes, Stack, Subscription, error_codes, eventually

SPANNING = """query($show: ID!) {
  show(id: $show) {
    title
    venue { name }
    availability { total available held sold }
  }
  me {
    id
    bookings { id status total { amount currency } payment { status amount { amount } } }
  }
}"""



async def test_one_query_spans_all_four_subgraphs(
    e2e: tuple[Stack, Processes], e2e_actors: Actors
) -> None:
    stack, _ = e2e
    router = GraphQL(stack.router_url)
    show = await show_on_sale(router, router, e2e_actors.organizer, price=900, via_router=True)
    buyer = e2e_actors.customer
    held = await router.data(HOLD, {"show": show.id, "seats": [show.seats[0]["id"]]}, buyer.token)
    booked = await router.data(CHECKOUT, {"hold": held["holdSeats"]["id"], "key": "e2e-1"},
                               buyer.token)
    booking_id = booked["checkout"]["id"]

    async def with_payment() -> dict | None:
        data = await router.data(SPANNING, {"show": show.id}, buyer.token)
        mine = [b for b in data["me"]["bookings"] if b["id"] == booking_id]
        return data if mine and mine[0]["payment"] else None

    data = await eventually(with_payment)
    assert data["show"]["title"] == "Test Show"                      # venue
    assert data["show"]["venue"]["name"].startswith("Hall ")         # venue
    assert data["show"]["availability"] == {"total": 10, "available": 9, "held": 1,
                                            "sold": 0}               # booking
    assert data["me"]["id"] == buyer.id                              # auth
    mine = next(b for b in data["me"]["bookings"] if b["id"] == booking_id)
    assert mine["status"] == "PENDING_PAYMENT"                       # booking
    assert mine["total"] == {"amount": 900, "currency": "EUR"}
    assert mine["payment"] == {"status": "REQUIRES_PAYMENT", "amount": {"amount": 900}}  # payment


async def test_subscription_through_router_sees_another_clients_hold(
    e2e: tuple[Stack, Processes], e2e_actors: Actors
) -> None:
    stack, _ = e2e
    router = GraphQL(stack.router_url)
    show = await show_on_sale(router, router, e2e_actors.organizer, via_router=True)
    async with Subscription(stack.router_url, SEAT_AVAILABILITY, {"show": show.id}) as watch:
        first = (await watch.next())["data"]["seatAvailability"]
        assert first["kind"] == "SNAPSHOT"
        assert len(first["seats"]) == 10
        assert {s["state"] for s in first["seats"]} == {"AVAILABLE"}
        taken = [show.seats[3]["id"], show.seats[4]["id"]]
        result = await router.data(HOLD, {"show": show.id, "seats": taken},
                                   e2e_actors.other_customer.token)
        assert result["holdSeats"]["__typename"] == "SeatHold"
        delta = (await watch.next())["data"]["seatAvailability"]
    assert delta["kind"] == "DELTA"
    assert delta["version"] == first["version"] + 1
    assert sorted(s["seatId"] for s in delta["seats"]) == sorted(taken)
    assert {s["state"] for s in delta["seats"]} == {"HELD"}
    assert delta["availability"]["held"] == first["availability"]["held"] + 2


async def test_two_watchers_see_the_same_changes_in_version_order(
    e2e: tuple[Stack, Processes], e2e_actors: Actors
) -> None:
    stack, _ = e2e
    router = GraphQL(stack.router_url)
    show = await show_on_sale(router, router, e2e_actors.organizer, via_router=True)
    async with Subscription(stack.router_url, SEAT_AVAILABILITY, {"show": show.id}) as a, \
            Subscription(stack.router_url, SEAT_AVAILABILITY, {"show": show.id}) as b:
        snap_a, snap_b = (await a.next()), (await b.next())
        for seat in show.seats[:3]:
            await router.data(HOLD, {"show": show.id, "seats": [seat["id"]]},
                              e2e_actors.customer.token)
        start = snap_a["data"]["seatAvailability"]["version"]
        seen_a = await _deltas_until(a, start + 3)
        seen_b = await _deltas_until(b, start + 3)
    assert snap_b["data"]["seatAvailability"]["version"] == start
    # Changes close together may go as one delta (fromVersion < version - 1): what each
    # watcher sees must still cover every version once, in order, and be the same.
    assert seen_a == seen_b
    covered = [v for low, high in seen_a for v in range(low + 1, high + 1)]
    assert covered == [start + 1, start + 2, start + 3]


async def _deltas_until(watch: Subscription, last: int) -> list[tuple[int, int]]:
    """(fromVersion, version) of each delta up to and including version ``last``."""
    seen: list[tuple[int, int]] = []
    while not seen or seen[-1][1] < last:
        event = (await watch.next())["data"]["seatAvailability"]
        assert event["kind"] == "DELTA"
        seen.append((event["fromVersion"], event["version"]))
    return seen


async def test_bad_requests_get_codes_and_spec_statuses(e2e: tuple[Stack, Processes]) -> None:
    stack, _ = e2e
    url = stack.router_url
    modern = {"accept": "application/graphql-response+json"}
    async with httpx.AsyncClient(timeout=30) as client:
        parse = await client.post(url, json={"query": "{ shows { "}, headers=modern)
        unknown = await client.post(url, json={"query": "{ nope }"}, headers=modern)
        unknown_json = await client.post(url, json={"query": "{ nope }"},
                                         headers={"accept": "application/json"})
        bad_json = await client.post(url, content=b"{not json",
                                     headers={"content-type": "application/json", **modern})
        no_query = await client.get(url, headers=modern)
    assert (parse.status_code, error_codes(parse.json())) == (400, ["GRAPHQL_PARSE_FAILED"])
    assert (unknown.status_code, error_codes(unknown.json())) == (
        400, ["GRAPHQL_VALIDATION_FAILED"])
    # application/json keeps 200 for a well-formed request, as the spec says.
    assert (unknown_json.status_code, error_codes(unknown_json.json())) == (
        200, ["GRAPHQL_VALIDATION_FAILED"])
    assert bad_json.status_code == 400
    assert error_codes(bad_json.json()) == ["BAD_REQUEST"]
    assert no_query.status_code == 400
    for response in (parse, unknown, bad_json, no_query):
        assert "Traceback" not in response.text and "File \"" not in response.text


@pytest.mark.parametrize(("query", "field", "code"), [
    ("{ ticketKeys notificationDeliveries(first: 1) { id } }", "notificationDeliveries",
     "UNAUTHENTICATED"),
    ("{ a: venues { id } b: venues(first: -1) { id } }", "b", "BAD_USER_INPUT"),
    ("{ me { id } mySessions { id } }", "mySessions", "UNAUTHENTICATED"),
], ids=["refused-after-public", "bad-after-good", "nullable-first"])
async def test_a_refused_root_field_keeps_its_code_beside_others_of_its_subgraph(
    e2e: tuple[Stack, Processes], query: str, field: str, code: str
) -> None:
    # Found by tests/e2e/test_fuzz_graph.py: the gateway sent the root fields of one subgraph
    # as one request; the subgraph rightly answered `data: null` (a non-null field refused),
    # the gateway took that null for the first field's value too and answered INTERNAL
    # ("Cannot return null for non-nullable field") without the subgraph's own error.
    stack, _ = e2e
    body = await GraphQL(stack.router_url).run(query)
    assert body["data"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [([field], code)]


async def test_unknown_show_and_garbled_token_are_refused_without_writes(
    e2e: tuple[Stack, Processes], e2e_actors: Actors
) -> None:
    stack, _ = e2e
    router = GraphQL(stack.router_url)
    show = await show_on_sale(router, router, e2e_actors.organizer, via_router=True)
    missing = await router.run(HOLD, {"show": "no-such-show", "seats": ["x"]},
                               e2e_actors.customer.token)
    assert error_codes(missing) == ["NOT_FOUND"]
    garbled = await router.run(HOLD, {"show": show.id, "seats": [show.seats[0]["id"]]},
                               "not-a-jwt")
    assert error_codes(garbled) == ["UNAUTHENTICATED"]
    wrong_seat = await router.run(HOLD, {"show": show.id, "seats": ["not-a-seat"]},
                                  e2e_actors.customer.token)
    assert error_codes(wrong_seat) == ["BAD_USER_INPUT"]
    anonymous = await router.run(HOLD, {"show": show.id, "seats": [show.seats[0]["id"]]})
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]
    after = await router.data("query($id: ID!) { show(id: $id) { availability { held } } }",
                              {"id": show.id})
    assert after["show"]["availability"]["held"] == 0


async def test_graphiql_and_health_endpoints(e2e: tuple[Stack, Processes]) -> None:
    stack, _ = e2e
    async with httpx.AsyncClient(timeout=10) as client:
        page = await client.get(stack.router_url, headers={"accept": "text/html"})
        health = await asyncio.gather(*(
            client.get(stack.url(name).replace("/graphql", path))
            for name in SERVICES for path in ("/healthz", "/readyz")
        ))
    assert page.status_code == 200
    assert "<title>TicketFlow</title>" in page.text
    # Hive Gateway's IDE (Hive Laboratory, self-contained: no CDN), with our examples.
    assert "HiveLaboratory.renderLaboratory" in page.text
    assert "TicketFlow: getting started" in page.text
    assert "query Tonight" in page.text
    assert [r.status_code for r in health] == [200] * 2 * len(SERVICES)
