"""The kernel's input rule on every subgraph (issue 21, "Faults and bad input").

A string argument or input field with a NUL, another control character or too many
characters is BAD_USER_INPUT naming its path, and nothing is stored; before the rule a NUL
reached PostgreSQL and came back INTERNAL. An id that cannot be one of ours is answered as
an unknown id is (null, NOT_FOUND, or the field's own refusal), never INTERNAL. Every test
runs in both modes, with the same expectations.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from subgraphs.auth.models import User as UserRow
from subgraphs.booking.models import TABLES as BOOKING_TABLES
from subgraphs.booking.models import Hold, HoldAdmission
from subgraphs.kernel.db import Database
from subgraphs.payment.models import TABLES as PAYMENT_TABLES
from subgraphs.payment.models import Payment
from subgraphs.venue.models import TABLES as VENUE_TABLES
from subgraphs.venue.models import Hall, PriceTier, Show, Stop, Venue
from tests.flows import SEAT_AVAILABILITY, Actors, ShowOnSale
from tests.harness import GraphQL, Stack, error_codes, eventually
from tests.integration.seating import small_map
from tests.integration.support import REGISTER, count, counts, refusal, unique_email
from tests.integration.test_general_admission import HOLD_GA, standing_show
from tests.integration.test_live import first_message
from tests.payments import START, pending_booking

NUL, BELL, TAB = "a\x00b", "a\x07b", "a\tb"
LONG = "x" * 257
BAD = [NUL, BELL, TAB, LONG]
BAD_IDS = [NUL, TAB, LONG]

CREATE_VENUE = """mutation($i: CreateVenueInput!, $key: String) {
  createVenue(input: $i, idempotencyKey: $key) { id } }"""
CREATE_SHOW = """mutation($i: CreateShowInput!, $key: String) {
  createShow(input: $i, idempotencyKey: $key) { id } }"""
CREATE_HALL = """mutation($venue: ID!, $map: JSON!) {
  createHall(venueId: $venue, seatMap: $map) { id } }"""
SHOW = "query($id: ID!) { show(id: $id) { id } }"
HOLD_KEYED = """mutation($show: ID!, $seats: [ID!]!, $key: String) {
  holdSeats(showId: $show, seatIds: $seats, idempotencyKey: $key) { __typename } }"""
ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Show { id } } }"""
BOOKING_ENTITIES = ENTITIES.replace("on Show", "on Booking")
SET_ROLE = "mutation($id: ID!) { setUserRole(userId: $id, role: ORGANIZER) { id } }"


def bad_input(body: dict[str, Any], field: str) -> None:
    """The response is one BAD_USER_INPUT naming ``field``, with no data."""
    assert refusal(body) == ("BAD_USER_INPUT", field), body
    assert not any(body.get("data") or {}), body


async def venue_rows(db: Database) -> dict[str, int]:
    return await counts(db, Venue, Hall, Show, PriceTier, Stop, VENUE_TABLES.outbox,
                        VENUE_TABLES.idempotency)


async def booking_rows(db: Database) -> dict[str, int]:
    return await counts(db, Hold, HoldAdmission, BOOKING_TABLES.idempotency)


# --- BAD_USER_INPUT naming the field, nothing stored ------------------------------------


@pytest.mark.parametrize("bad", BAD)
async def test_venue_name_and_idempotency_key(stack: Stack, actors: Actors,
                                              dbs: dict[str, Database], bad: str) -> None:
    venue, token = stack.client("venue"), actors.organizer.token
    before = await venue_rows(dbs["venue"])
    roxy = {"name": "Roxy", "timeZone": "UTC"}
    bad_input(await venue.run(CREATE_VENUE, {"i": {**roxy, "name": f"Roxy {bad}"}}, token),
              "input.name")
    bad_input(await venue.run(CREATE_VENUE, {"i": roxy, "key": bad}, token),
              "idempotencyKey")
    assert await venue_rows(dbs["venue"]) == before


@pytest.mark.parametrize("bad", BAD)
async def test_nested_input_fields_of_venues_and_shows(stack: Stack, actors: Actors,
                                                       dbs: dict[str, Database],
                                                       show: ShowOnSale, bad: str) -> None:
    venue, token = stack.client("venue"), actors.organizer.token
    before = await venue_rows(dbs["venue"])
    rows = [{"label": "A", "seats": 3}, {"label": bad, "seats": 3}]
    roxy = {"name": "Roxy", "timeZone": "UTC", "rows": rows}
    bad_input(await venue.run(CREATE_VENUE, {"i": roxy}, token),
              "input.rows[1].label")
    show_input = {"venueId": show.venue_id, "title": "Hamlet",
                  "startsAt": "2033-01-01T19:00:00+00:00", "currency": "EUR",
                  "priceTiers": [{"category": "STANDARD", "amount": 100}]}
    bad_input(await venue.run(CREATE_SHOW, {"i": {**show_input, "title": bad}}, token),
              "input.title")
    tiers = [{"category": bad, "amount": 100}]
    bad_input(await venue.run(CREATE_SHOW, {"i": {**show_input, "priceTiers": tiers}}, token),
              "input.priceTiers[0].category")
    stops = [{"name": "Hamburg"}, {"name": bad}]
    bad_input(await venue.run(CREATE_SHOW, {"i": {**show_input, "stops": stops}}, token),
              "input.stops[1].name")
    seat_map = small_map(name=bad)
    bad_input(await venue.run(CREATE_HALL, {"venue": show.venue_id, "map": seat_map}, token),
              "seatMap.name")
    assert await venue_rows(dbs["venue"]) == before


@pytest.mark.parametrize("bad", BAD_IDS)
async def test_an_id_with_a_bad_character_is_refused_by_name(stack: Stack, bad: str) -> None:
    bad_input(await stack.client("venue").run(SHOW, {"id": bad}), "id")
    bad_input(await stack.client("venue").run(ENTITIES, {"r": [
        {"__typename": "Show", "id": bad}]}), "representations[0].id")


async def test_a_nul_written_in_the_document_is_refused_too(stack: Stack) -> None:
    # The issue's own example: the literal escape, not a variable.
    bad_input(await stack.client("venue").run('{ show(id: "a\\u0000b") { id } }'), "id")


@pytest.mark.parametrize("bad", BAD)
async def test_hold_ids_and_key(stack: Stack, actors: Actors, dbs: dict[str, Database],
                                show: ShowOnSale, bad: str) -> None:
    booking, token = stack.client("booking"), actors.customer.token
    seat = show.seats[0]["id"]
    before = await booking_rows(dbs["booking"])
    if bad != LONG:  # an over-long id is a case of its own, below
        bad_input(await booking.run(HOLD_KEYED, {"show": bad, "seats": [seat]}, token),
                  "showId")
        bad_input(await booking.run(HOLD_KEYED, {"show": show.id, "seats": [seat, bad]}, token),
                  "seatIds[1]")
    bad_input(await booking.run(HOLD_KEYED, {"show": show.id, "seats": [seat], "key": bad},
                                token), "idempotencyKey")
    assert await booking_rows(dbs["booking"]) == before
    # The seat is still free: the refused holds took nothing.
    held = await booking.data(HOLD_KEYED, {"show": show.id, "seats": [seat]}, token)
    assert held["holdSeats"]["__typename"] == "SeatHold"


@pytest.mark.parametrize("bad", BAD)
async def test_payment_booking_id_and_key(stack: Stack, actors: Actors,
                                          dbs: dict[str, Database], show: ShowOnSale,
                                          bad: str) -> None:
    who = actors.customer
    booking = await pending_booking(stack.client("booking"), who, show.id,
                                    [show.seats[1]["id"]])
    payment = stack.client("payment")

    async def awaiting() -> bool:  # payment makes its row when it hears of the booking
        return await count(dbs["payment"], Payment, Payment.booking_id == booking["id"]) == 1

    await eventually(awaiting)
    before = await counts(dbs["payment"], Payment, PAYMENT_TABLES.idempotency)
    bad_input(await payment.run(START, {"booking": booking["id"], "key": bad}, who.token),
              "idempotencyKey")
    if bad != LONG:
        bad_input(await payment.run(START, {"booking": bad}, who.token), "bookingId")
    representations = [{"__typename": "Booking", "id": bad}]
    bad_input(await payment.run(BOOKING_ENTITIES, {"r": representations}, who.token),
              "representations[0].id")
    assert await counts(dbs["payment"], Payment, PAYMENT_TABLES.idempotency) == before
    started = await payment.data(START, {"booking": booking["id"], "key": uuid.uuid4().hex},
                                 who.token)
    assert started["startPayment"]["id"]


@pytest.mark.parametrize("bad", BAD)
async def test_registration_fields(stack: Stack, dbs: dict[str, Database], bad: str) -> None:
    auth = GraphQL(stack.url("auth"))
    before = await counts(dbs["auth"], UserRow)
    good = {"email": unique_email(), "password": "correct horse battery", "name": "Ann"}
    bad_input(await auth.run(REGISTER, {"i": {**good, "name": bad}}), "input.name")
    if bad != LONG:  # an e-mail address may have 320 characters
        bad_input(await auth.run(REGISTER, {"i": {**good, "email": f"ann{bad}@example.com"}}),
                  "input.email")
    assert await counts(dbs["auth"], UserRow) == before


@pytest.mark.parametrize("bad", BAD_IDS)
async def test_set_user_role_id(stack: Stack, actors: Actors, bad: str) -> None:
    body = await stack.client("auth").run(SET_ROLE, {"id": bad}, actors.admin.token)
    bad_input(body, "userId")


async def test_a_subscription_with_a_nul_is_refused_by_name(stack: Stack) -> None:
    message = await first_message(stack.url("booking"), SEAT_AVAILABILITY, {"show": NUL})
    assert message["type"] == "next", message
    [error] = message["payload"]["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (
        "BAD_USER_INPUT", "showId")


# --- ids that cannot be ours answer as unknown ids ----------------------------------------

MALFORMED = ["not-an-id", str(uuid.uuid4()).upper(), "x" * 37, "y" * 256]

# (service, who, query, variables with $id); each answered as for an unknown, well-formed id.
UNKNOWN_ID_CASES: list[tuple[str, str | None, str, dict[str, Any] | None]] = [
    ("venue", None, SHOW, {}),
    ("venue", None, "query($id: ID!) { venue(id: $id) { id } }", {}),
    ("venue", "organizer", "mutation($id: ID!) { publishShow(id: $id) { id } }", {}),
    ("venue", None, ENTITIES, None),
    ("booking", "customer", "query($id: ID!) { booking(id: $id) { id } }", {}),
    ("booking", "customer", "query($id: ID!) { hold(id: $id) { id } }", {}),
    ("booking", "customer", "mutation($id: ID!) { cancelBooking(bookingId: $id) { id } }", {}),
    ("booking", "customer", """mutation($id: ID!) { checkout(holdId: $id, idempotencyKey: "k")
       { __typename } }""", {}),
    ("payment", "customer", "query($id: ID!) { payment(id: $id) { id } }", {}),
    ("payment", "customer", "mutation($id: ID!) { startPayment(bookingId: $id) { id } }", {}),
    ("auth", "admin", SET_ROLE, {}),
    ("notification", "admin", "mutation($id: ID!) { retryNotification(id: $id) { id } }", {}),
]


def answer(body: dict[str, Any]) -> tuple[Any, list[tuple[Any, Any]]]:
    """What a client can tell apart: the data, and each error's code and field."""
    errors = [((e.get("extensions") or {}).get("code"), (e.get("extensions") or {}).get("field"))
              for e in body.get("errors") or []]
    return body.get("data"), errors


@pytest.mark.parametrize("case", range(len(UNKNOWN_ID_CASES)))
async def test_a_malformed_id_answers_like_an_unknown_one(stack: Stack, actors: Actors,
                                                          case: int) -> None:
    service, who, query, extra = UNKNOWN_ID_CASES[case]
    client = stack.client(service)
    token = getattr(actors, who).token if who else None

    def variables(value: str) -> dict[str, Any]:
        if extra is None:  # an entity representation
            return {"r": [{"__typename": "Show", "id": value}]}
        return {"id": value, **extra}

    unknown = answer(await client.run(query, variables(str(uuid.uuid4())), token))
    assert "INTERNAL" not in str(unknown)
    for value in MALFORMED:
        body = await client.run(query, variables(value), token)
        assert "INTERNAL" not in error_codes(body), (value, body)
        assert answer(body) == unknown, (value, body)


async def test_a_malformed_standing_section_is_an_unknown_one_and_stores_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    # PostgreSQL refused a section id over 36 characters when the hold's line was written.
    standing = await standing_show(stack, actors.organizer, capacity=10)
    booking, token = stack.client("booking"), actors.customer.token

    async def hold(section: str) -> dict[str, Any]:
        return await booking.run(HOLD_GA, {"show": standing.show_id, "section": section,
                                           "n": 1}, token)

    before = await booking_rows(dbs["booking"])
    unknown = answer(await hold(str(uuid.uuid4())))
    assert unknown == (None, [("BAD_USER_INPUT", "sectionId")])
    for value in MALFORMED:
        assert answer(await hold(value)) == unknown, value
    assert await booking_rows(dbs["booking"]) == before
    held = await hold(standing.section_id)
    assert held["data"]["holdGeneralAdmission"]["__typename"] == "SeatHold", held


# --- variables their types refuse (found by tests/e2e/test_fuzz_graph.py) ---------------

SHOWS_FROM = "query($from: DateTime) { shows(filter: {from: $from}) { nodes { id } } }"
SHOWS_FILTER = "query($f: ShowFilter) { shows(filter: $f) { nodes { id } } }"


@pytest.mark.parametrize("moment", ["", "now", "2030-02-30T19:00:00+00:00", "x" * 300],
                         ids=["empty", "a-word", "no-such-day", "long"])
async def test_a_date_time_it_cannot_read_is_refused_by_name(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale,
        moment: str) -> None:
    # The DateTime scalar refuses a variable's value when execution coerces the variables:
    # that refusal came back INTERNAL (and the router turns literals into variables). The
    # field is the variable and the place in its value, as graphql-core's message says.
    venue, token = stack.client("venue"), actors.organizer.token
    before = await venue_rows(dbs["venue"])
    bad_input(await venue.run(SHOWS_FROM, {"from": moment}), "from")
    bad_input(await venue.run(SHOWS_FILTER, {"f": {"to": moment}}), "f.to")
    show_input = {"venueId": show.venue_id, "title": "Hamlet", "startsAt": moment,
                  "price": {"amount": 100, "currency": "EUR"}}
    bad_input(await venue.run(CREATE_SHOW, {"i": show_input}, token), "i.startsAt")
    stops = [{"name": "Hamburg"}, {"name": "Berlin", "departsAt": moment}]
    bad_input(await venue.run(CREATE_SHOW, {"i": {**show_input, "startsAt":
                                                  "2033-01-01T19:00:00+00:00",
                                                  "stops": stops}}, token),
              "i.stops[1].departsAt")
    assert await venue_rows(dbs["venue"]) == before


@pytest.mark.parametrize(("service", "query", "variables", "field"), [
    ("venue", "query($n: Int!) { shows(first: $n) { nodes { id } } }", {"n": "ten"}, "n"),
    ("venue", "query($n: Int!) { shows(first: $n) { nodes { id } } }", {"n": 2**40}, "n"),
    ("venue", "query($n: Int!) { shows(first: $n) { nodes { id } } }", {}, "n"),
    ("notification", "query($s: DeliveryStatus) { notificationDeliveries(status: $s) { id } }",
     {"s": "LOST"}, "s"),
    ("booking", "mutation($s: ID!, $q: Int!) { holdBestAvailable(showId: $s, quantity: $q) {"
     " __typename } }", {"s": str(uuid.uuid4()), "q": 1.5}, "q"),
], ids=["text-for-int", "int-too-big", "int-left-out", "no-such-enum-value", "float-for-int"])
async def test_a_variable_its_type_refuses_is_bad_user_input(
        stack: Stack, actors: Actors, service: str, query: str, variables: dict[str, Any],
        field: str) -> None:
    # A subgraph answered every such request INTERNAL: graphql-core 3.3 gives the error an
    # original error of its own, which read as an unexpected exception. The router checks
    # built-in types itself; a client reaching a subgraph directly does not pass by it.
    body = await stack.client(service).run(query, variables, actors.admin.token)
    bad_input(body, field)
    assert body["errors"][0]["message"].startswith(f"Variable '${field}'"), body
