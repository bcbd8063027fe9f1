"""The venue subgraph against its real database: validation, authorization, the outbox."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from subgraphs.kernel.db import Database
from subgraphs.venue.models import TABLES, Hall, PriceTier, Seat, Section, Show, Stop, Venue
from tests.flows import CREATE_SHOW, CREATE_VENUE, PUBLISH_SHOW, Actors
from tests.harness import Stack, error_codes
from tests.integration.support import count, counts, refusal

ROWS = [{"label": "A", "seats": 3}, {"label": "B", "seats": 2}]
SHOWS = "query($first: Int!) { shows(first: $first) { nodes { id } } }"
VENUES = "query($first: Int!) { venues(first: $first) { id } }"


def venue_input(**changes: Any) -> dict[str, Any]:
    return {"i": {"name": f"Hall {uuid.uuid4().hex[:6]}", "timeZone": "Europe/Berlin",
                  "rows": ROWS, **changes}}


def show_input(venue_id: str, **changes: Any) -> dict[str, Any]:
    return {"i": {"venueId": venue_id, "title": "Opening Night",
                  "startsAt": "2030-05-01T19:00:00+00:00",
                  "price": {"amount": 2500, "currency": "EUR"}, **changes}}


async def stored(db: Database) -> dict[str, int]:
    """Everything a venue or show request could write."""
    return await counts(db, Venue, Hall, Section, Seat, Show, PriceTier, Stop, TABLES.outbox)


@pytest.fixture
async def venue_id(stack: Stack, actors: Actors) -> str:
    body = await stack.client("venue").data(CREATE_VENUE, venue_input(), actors.organizer.token)
    return str(body["createVenue"]["id"])


async def test_create_venue_lays_out_one_seat_per_position(stack: Stack, actors: Actors) -> None:
    body = await stack.client("venue").data(CREATE_VENUE, venue_input(), actors.organizer.token)
    labels = [s["label"] for s in body["createVenue"]["seats"]]
    assert labels == ["A1", "A2", "A3", "B1", "B2"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"rows": []}, "input.rows"),
    ({"rows": [{"label": "A", "seats": 2}, {"label": "A", "seats": 3}]}, "input.rows[1].label"),
    ({"rows": [{"label": "A", "seats": 2}, {"label": " A ", "seats": 3}]},
     "input.rows[1].label"),
    ({"rows": [{"label": "", "seats": 2}]}, "input.rows[0].label"),
    ({"rows": [{"label": "A", "seats": 0}]}, "input.rows[0].seats"),
    ({"rows": [{"label": "A", "seats": 2}, {"label": "B", "seats": 1001}]},
     "input.rows[1].seats"),
    ({"rows": [{"label": "A", "seats": -1}]}, "input.rows[0].seats"),
    ({"name": ""}, "input.name"),
    ({"name": "   "}, "input.name"),
    ({"name": "x" * 201}, "input.name"),
    ({"timeZone": ""}, "input.timeZone"),
    ({"timeZone": "   "}, "input.timeZone"),
    ({"timeZone": "Europe/Atlantis"}, "input.timeZone"),
    ({"timeZone": "europe/berlin"}, "input.timeZone"),
    ({"timeZone": "CEST"}, "input.timeZone"),
    ({"timeZone": "+02:00"}, "input.timeZone"),
    ({"timeZone": "../../etc/passwd"}, "input.timeZone"),
    ({"timeZone": "localtime"}, "input.timeZone"),
    ({"timeZone": "Factory"}, "input.timeZone"),
], ids=["no rows", "duplicate label", "duplicate label after trim", "empty label", "0 seats",
        "1001 seats", "negative seats", "empty name", "blank name", "long name",
        "empty zone", "blank zone", "unknown zone", "zone in lower case", "abbreviation",
        "offset", "path", "the server's zone", "placeholder zone"])
async def test_invalid_venue_is_refused_naming_the_field_and_stores_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database], changes: dict[str, Any],
        field: str) -> None:
    before = await stored(dbs["venue"])
    body = await stack.client("venue").run(CREATE_VENUE, venue_input(**changes),
                                           actors.organizer.token)
    assert refusal(body) == ("BAD_USER_INPUT", field)
    assert body["data"] is None
    assert await stored(dbs["venue"]) == before


async def test_a_venue_without_a_time_zone_is_refused_and_stores_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    before = await stored(dbs["venue"])
    missing = venue_input()
    del missing["i"]["timeZone"]
    body = await stack.client("venue").run(CREATE_VENUE, missing, actors.organizer.token)
    assert refusal(body)[0] == "BAD_USER_INPUT"
    assert "timeZone" in body["errors"][0]["message"]
    null = await stack.client("venue").run(CREATE_VENUE, venue_input(timeZone=None),
                                           actors.organizer.token)
    assert refusal(null) == ("BAD_USER_INPUT", "i.timeZone")
    assert await stored(dbs["venue"]) == before


async def test_an_anonymous_caller_learns_nothing_about_a_bad_time_zone(
        stack: Stack, dbs: dict[str, Database]) -> None:
    before = await stored(dbs["venue"])
    body = await stack.client("venue").run(CREATE_VENUE, venue_input(timeZone="Mars/Olympus"))
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert await stored(dbs["venue"]) == before


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/Argentina/Buenos_Aires", "UTC",
                                  "Asia/Kathmandu"])
async def test_a_venue_keeps_its_time_zone_and_shows_read_at_its_offset(
        stack: Stack, actors: Actors, dbs: dict[str, Database], zone: str) -> None:
    venue = stack.client("venue")
    body = await venue.data(CREATE_VENUE, venue_input(timeZone=zone), actors.organizer.token)
    venue_id = body["createVenue"]["id"]
    assert await count(dbs["venue"], Venue, Venue.id == venue_id, Venue.time_zone == zone) == 1
    show = (await venue.data(CREATE_SHOW, show_input(
        venue_id, startsAt="2031-07-01T18:00:00+00:00"), actors.organizer.token))["createShow"]
    read = await venue.data("""query($id: ID!) { show(id: $id) {
      startsAt localStartsAt venue { timeZone } } }""", {"id": show["id"]},
                            actors.organizer.token)
    expected = {"Europe/Berlin": "2031-07-01T20:00:00+02:00",
                "America/Argentina/Buenos_Aires": "2031-07-01T15:00:00-03:00",
                "UTC": "2031-07-01T18:00:00+00:00",
                "Asia/Kathmandu": "2031-07-01T23:45:00+05:45"}[zone]
    assert read["show"] == {"startsAt": "2031-07-01T18:00:00+00:00",
                            "localStartsAt": expected, "venue": {"timeZone": zone}}


async def test_a_row_of_a_thousand_seats_is_allowed(stack: Stack, actors: Actors) -> None:
    body = await stack.client("venue").data(
        CREATE_VENUE, venue_input(rows=[{"label": "Z", "seats": 1000}]), actors.organizer.token)
    assert len(body["createVenue"]["seats"]) == 1000


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": ""}, "input.title"),
    ({"endsAt": "2030-05-01T19:00:00+00:00"}, "input.endsAt"),
    ({"endsAt": "2030-05-01T18:59:59+00:00"}, "input.endsAt"),
    ({"startsAt": "2030-05-01T19:00:00"}, "input.startsAt"),
    ({"price": {"amount": -1, "currency": "EUR"}}, "input.price.amount"),
    ({"price": {"amount": 100, "currency": "eur"}}, "input.price.currency"),
    ({"price": {"amount": 100, "currency": "EURO"}}, "input.price.currency"),
    ({"price": {"amount": 100, "currency": ""}}, "input.price.currency"),
    ({"price": {"amount": 100, "currency": "ABC"}}, "input.price.currency"),
    ({"price": {"amount": 100, "currency": "DEM"}}, "input.price.currency"),
    ({"price": {"amount": 100, "currency": "XXX"}}, "input.price.currency"),
    ({"price": {"amount": 100, "currency": "XAU"}}, "input.price.currency"),
    ({"price": {"amount": 100, "currency": "USN"}}, "input.price.currency"),
    ({"price": None, "currency": "ZZZ", "priceTiers": [{"category": "STANDARD", "amount": 1}]},
     "input.currency"),
], ids=["empty title", "ends at start", "ends before start", "no time zone", "negative price",
        "lower-case currency", "four-letter currency", "no currency", "not ISO 4217",
        "withdrawn (Deutsche Mark)", "no currency code (XXX)", "gold", "fund code",
        "tiers in a code not ISO 4217"])
async def test_invalid_show_is_refused_naming_the_field_and_stores_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database], venue_id: str,
        changes: dict[str, Any], field: str) -> None:
    before = await stored(dbs["venue"])
    body = await stack.client("venue").run(CREATE_SHOW, show_input(venue_id, **changes),
                                           actors.organizer.token)
    assert refusal(body) == ("BAD_USER_INPUT", field)
    assert body["data"] is None
    assert await stored(dbs["venue"]) == before


async def test_a_show_in_an_unknown_venue_is_not_found_and_stores_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    before = await stored(dbs["venue"])
    body = await stack.client("venue").run(CREATE_SHOW, show_input(str(uuid.uuid4())),
                                           actors.organizer.token)
    assert refusal(body) == ("NOT_FOUND", "input.venueId")
    assert await stored(dbs["venue"]) == before


@pytest.mark.parametrize("query", [SHOWS, VENUES], ids=["shows", "venues"])
@pytest.mark.parametrize("first", [0, -1, 101])
async def test_page_size_out_of_range_is_refused(stack: Stack, query: str, first: int) -> None:
    body = await stack.client("venue").run(query, {"first": first})
    assert refusal(body) == ("BAD_USER_INPUT", "first")


@pytest.mark.parametrize("first", [1, 100])
async def test_page_size_at_the_limits_is_served(stack: Stack, venue_id: str, first: int) -> None:
    body = await stack.client("venue").data(VENUES, {"first": first})
    assert 1 <= len(body["venues"]) <= first


@pytest.mark.parametrize(("who", "code"), [
    (None, "UNAUTHENTICATED"), ("customer", "FORBIDDEN"),
])
async def test_create_venue_refuses_callers_who_are_not_organizers(
        stack: Stack, actors: Actors, dbs: dict[str, Database], who: str | None,
        code: str) -> None:
    before = await stored(dbs["venue"])
    token = getattr(actors, who).token if who else None
    body = await stack.client("venue").run(CREATE_VENUE, venue_input(), token)
    assert error_codes(body) == [code]
    assert await stored(dbs["venue"]) == before


@pytest.mark.parametrize("who", ["organizer", "admin"])
async def test_organizers_and_admins_create_venues_they_own(
        stack: Stack, actors: Actors, dbs: dict[str, Database], who: str) -> None:
    body = await stack.client("venue").data(CREATE_VENUE, venue_input(), getattr(actors, who).token)
    venue = body["createVenue"]
    assert await count(dbs["venue"], Venue, Venue.id == venue["id"],
                       Venue.owner_id == getattr(actors, who).id) == 1
    halls = select(Hall.id).where(Hall.venue_id == venue["id"])
    assert await count(dbs["venue"], Seat, Seat.hall_id.in_(halls)) == 5


@pytest.mark.parametrize(("who", "code"), [
    (None, "UNAUTHENTICATED"), ("customer", "FORBIDDEN"), ("other_organizer", "FORBIDDEN"),
])
async def test_create_show_refuses_everyone_but_the_venue_owner_and_admins(
        stack: Stack, actors: Actors, dbs: dict[str, Database], venue_id: str, who: str | None,
        code: str) -> None:
    before = await stored(dbs["venue"])
    token = getattr(actors, who).token if who else None
    body = await stack.client("venue").run(CREATE_SHOW, show_input(venue_id), token)
    assert error_codes(body) == [code]
    assert await stored(dbs["venue"]) == before


@pytest.mark.parametrize("who", ["organizer", "admin"])
async def test_the_venue_owner_and_admins_create_draft_shows(
        stack: Stack, actors: Actors, dbs: dict[str, Database], venue_id: str, who: str) -> None:
    body = await stack.client("venue").data(CREATE_SHOW, show_input(venue_id),
                                            getattr(actors, who).token)
    show = body["createShow"]
    assert (show["status"], show["price"]) == ("DRAFT", {"amount": 2500, "currency": "EUR"})
    assert await count(dbs["venue"], Show, Show.id == show["id"], Show.venue_id == venue_id) == 1


@pytest.mark.parametrize("currency", ["KWD", "BHD", "OMR", "JOD", "TND", "JPY", "EUR"])
async def test_shows_are_priced_in_three_zero_and_two_decimal_currencies(
        stack: Stack, actors: Actors, venue_id: str, currency: str) -> None:
    body = await stack.client("venue").data(CREATE_SHOW, show_input(
        venue_id, price={"amount": 12345, "currency": currency}), actors.organizer.token)
    assert body["createShow"]["price"] == {"amount": 12345, "currency": currency}


async def published_events(db: Database, show_id: str) -> list[dict[str, Any]]:
    """The ``ShowPublished`` events of one show in the venue outbox."""
    outbox = TABLES.outbox
    async with db.reader() as session:
        rows = (await session.execute(
            outbox.select().where(outbox.c.type == "ShowPublished"))).all()
    return [e for e in (json.loads(r.body) for r in rows) if e["payload"]["show_id"] == show_id]


async def stored_status(db: Database, show_id: str) -> str | None:
    async with db.reader() as session:
        return await session.scalar(select(Show.status).where(Show.id == show_id))


async def test_show_published_is_in_the_outbox_with_the_status_when_publish_show_returns(
        stack: Stack, actors: Actors, dbs: dict[str, Database], venue_id: str) -> None:
    venue = stack.client("venue")
    body = await venue.data(CREATE_SHOW, show_input(venue_id), actors.organizer.token)
    show_id = body["createShow"]["id"]
    draft = (await stored_status(dbs["venue"], show_id),
             await published_events(dbs["venue"], show_id))
    await venue.data(PUBLISH_SHOW, {"id": show_id}, actors.organizer.token)
    events = await published_events(dbs["venue"], show_id)
    assert draft == ("DRAFT", [])
    assert await stored_status(dbs["venue"], show_id) == "ON_SALE"
    assert len(events) == 1
    payload = events[0]["payload"]
    assert (payload["venue_id"], payload["organizer_id"]) == (venue_id, actors.organizer.id)
    assert payload["time_zone"] == "Europe/Berlin"  # the venue's: booking's notices name it
    assert [s["label"] for s in payload["seats"]] == ["A1", "A2", "A3", "B1", "B2"]


SET_ZONE = """mutation($v: ID!, $z: String!) { setVenueTimeZone(venueId: $v, timeZone: $z) {
  id timeZone } }"""


async def zone_events(db: Database, venue_id: str) -> list[dict[str, Any]]:
    """The ``VenueTimeZoneChanged`` payloads of one venue in the venue outbox."""
    outbox = TABLES.outbox
    async with db.reader() as session:
        rows = (await session.execute(
            outbox.select().where(outbox.c.type == "VenueTimeZoneChanged"))).all()
    return [p for p in (json.loads(r.body)["payload"] for r in rows)
            if p["venue_id"] == venue_id]


@pytest.mark.parametrize(("zone", "field"), [
    ("", "timeZone"), ("Mars/Olympus", "timeZone"), ("CEST", "timeZone"),
    ("localtime", "timeZone")], ids=["empty", "unknown", "abbreviation", "server's zone"])
async def test_a_bad_zone_for_a_venue_is_refused_and_changes_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database], venue_id: str, zone: str,
        field: str) -> None:
    before = (await stored(dbs["venue"]), await zone_events(dbs["venue"], venue_id))
    body = await stack.client("venue").run(SET_ZONE, {"v": venue_id, "z": zone},
                                           actors.organizer.token)
    assert refusal(body) == ("BAD_USER_INPUT", field)
    assert (await stored(dbs["venue"]), await zone_events(dbs["venue"], venue_id)) == before
    assert await count(dbs["venue"], Venue, Venue.id == venue_id,
                       Venue.time_zone == "Europe/Berlin") == 1


async def test_the_zone_of_an_unknown_venue_is_not_found(
        stack: Stack, actors: Actors) -> None:
    body = await stack.client("venue").run(SET_ZONE, {"v": str(uuid.uuid4()), "z": "UTC"},
                                           actors.organizer.token)
    assert refusal(body) == ("NOT_FOUND", "venueId")


@pytest.mark.parametrize(("who", "code"), [
    (None, "UNAUTHENTICATED"), ("customer", "FORBIDDEN"), ("other_organizer", "FORBIDDEN"),
])
async def test_only_the_owner_and_admins_set_a_venues_zone(
        stack: Stack, actors: Actors, dbs: dict[str, Database], venue_id: str, who: str | None,
        code: str) -> None:
    token = getattr(actors, who).token if who else None
    body = await stack.client("venue").run(SET_ZONE, {"v": venue_id, "z": "Asia/Tokyo"}, token)
    assert error_codes(body) == [code]
    assert await count(dbs["venue"], Venue, Venue.id == venue_id,
                       Venue.time_zone == "Europe/Berlin") == 1
    assert await zone_events(dbs["venue"], venue_id) == []


@pytest.mark.parametrize("who", ["organizer", "admin"])
async def test_the_owner_and_admins_set_a_venues_zone_and_booking_is_told_once(
        stack: Stack, actors: Actors, dbs: dict[str, Database], venue_id: str,
        who: str) -> None:
    token = getattr(actors, who).token
    body = await stack.client("venue").data(SET_ZONE, {"v": venue_id, "z": "Asia/Tokyo"}, token)
    assert body["setVenueTimeZone"] == {"id": venue_id, "timeZone": "Asia/Tokyo"}
    again = await stack.client("venue").data(SET_ZONE, {"v": venue_id, "z": "Asia/Tokyo"},
                                             token)
    assert again["setVenueTimeZone"]["timeZone"] == "Asia/Tokyo"
    assert await zone_events(dbs["venue"], venue_id) == [
        {"venue_id": venue_id, "time_zone": "Asia/Tokyo"}]  # the same zone again: no event
    assert await count(dbs["venue"], Venue, Venue.id == venue_id,
                       Venue.time_zone == "Asia/Tokyo") == 1


VENUE_SHOWS = """query($id: ID!, $status: ShowStatus, $first: Int!, $after: String) {
  venue(id: $id) { shows(status: $status, first: $first, after: $after) {
    nodes { id status } pageInfo { hasNextPage endCursor } } } }"""


@pytest.fixture
async def shows_of_every_status(stack: Stack, actors: Actors, venue_id: str) -> dict[str, str]:
    """A draft, a show on sale and a cancelled show of the organizer's venue, a day apart
    (in that order): status -> id."""
    venue, token = stack.client("venue"), actors.organizer.token
    made = {}
    for day, status in enumerate(("DRAFT", "ON_SALE", "CANCELLED"), 1):
        body = await venue.data(CREATE_SHOW, show_input(
            venue_id, startsAt=f"2030-05-{day:02d}T19:00:00+00:00"), token)
        made[status] = body["createShow"]["id"]
    await venue.data(PUBLISH_SHOW, {"id": made["ON_SALE"]}, token)
    await venue.data("mutation($id: ID!) { cancelShow(id: $id) { status } }",
                     {"id": made["CANCELLED"]}, token)
    return made


async def venue_shows(stack: Stack, venue_id: str, token: str | None, status: str | None = None,
                      first: int = 20, after: str | None = None) -> dict[str, Any]:
    return await stack.client("venue").run(VENUE_SHOWS, {
        "id": venue_id, "status": status, "first": first, "after": after}, token)


def listed(body: dict[str, Any]) -> list[tuple[str, str]]:
    assert "errors" not in body, body
    return [(s["id"], s["status"]) for s in body["data"]["venue"]["shows"]["nodes"]]


@pytest.mark.parametrize("who", ["organizer", "admin"])
async def test_a_venues_owner_and_admins_list_its_shows_of_every_status(
        stack: Stack, actors: Actors, venue_id: str, shows_of_every_status: dict[str, str],
        who: str) -> None:
    token, made = getattr(actors, who).token, shows_of_every_status
    every = [(made[s], s) for s in ("DRAFT", "ON_SALE", "CANCELLED")]  # soonest first
    assert listed(await venue_shows(stack, venue_id, token)) == every
    for status in ("DRAFT", "ON_SALE", "CANCELLED"):
        assert listed(await venue_shows(stack, venue_id, token, status)) == [
            (made[status], status)]
    assert listed(await venue_shows(stack, venue_id, token, "CLOSED")) == []
    # A page at a time: two, then the third after the first page's cursor.
    page = await venue_shows(stack, venue_id, token, first=2)
    assert listed(page) == every[:2]
    info = page["data"]["venue"]["shows"]["pageInfo"]
    assert info["hasNextPage"] is True
    rest = await venue_shows(stack, venue_id, token, first=2, after=info["endCursor"])
    assert listed(rest) == every[2:]
    assert rest["data"]["venue"]["shows"]["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize("who", [None, "customer", "other_organizer"])
async def test_anyone_else_lists_a_venues_shows_on_sale_only(
        stack: Stack, actors: Actors, venue_id: str, shows_of_every_status: dict[str, str],
        who: str | None) -> None:
    token, made = getattr(actors, who).token if who else None, shows_of_every_status
    assert listed(await venue_shows(stack, venue_id, token)) == [(made["ON_SALE"], "ON_SALE")]
    assert listed(await venue_shows(stack, venue_id, token, "ON_SALE")) == [
        (made["ON_SALE"], "ON_SALE")]
    for status in ("DRAFT", "CANCELLED", "CLOSED"):
        assert listed(await venue_shows(stack, venue_id, token, status)) == []


@pytest.mark.parametrize(("first", "after", "field"), [
    (0, None, "first"), (101, None, "first"), (-1, None, "first"),
    (20, "not-a-cursor", "after"), (20, "MjAzMC0wNS0wMXxzaG93", "after"),
], ids=["first 0", "first 101", "first -1", "garbage cursor", "cursor without a zone"])
@pytest.mark.parametrize("who", [None, "organizer"])
async def test_a_bad_page_of_a_venues_shows_is_refused_naming_the_argument(
        stack: Stack, actors: Actors, venue_id: str, first: int, after: str | None, field: str,
        who: str | None) -> None:
    token = getattr(actors, who).token if who else None
    body = await venue_shows(stack, venue_id, token, "DRAFT", first=first, after=after)
    assert refusal(body) == ("BAD_USER_INPUT", field)
