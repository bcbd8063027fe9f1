"""Show series: many shows from one schedule in the venue's wall clock (across daylight-saving
changes), made in one transaction or not at all, idempotent, published and cancelled as
single shows are (booking's inventory and bookings follow), grouped and filtered by series,
and who may do what."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from subgraphs.booking.models import BookableShow
from subgraphs.booking.models import Booking as BookingRow
from subgraphs.kernel.db import Database
from subgraphs.venue.models import TABLES, PriceTier, Seat, Show, ShowSeries
from tests.flows import CHECKOUT, HOLD, Actors, User
from tests.harness import GraphQL, Stack, error_codes, eventually
from tests.integration.seating import CANCEL_SHOW, CREATE_VENUE, Venues, show_input
from tests.integration.support import counts, only_error, refusal

SERIES_FIELDS = """id title kind weekdays times from until exceptions durationMinutes
  venueId hallId count"""
CREATE = f"""mutation($i: CreateShowSeriesInput!, $key: String) {{
  createShowSeries(input: $i, idempotencyKey: $key) {{ {SERIES_FIELDS} }} }}"""
PUBLISH = "mutation($id: ID!) { publishShowSeries(id: $id) { id count(status: ON_SALE) } }"
CANCEL = """mutation($id: ID!, $from: Date) { cancelShowSeries(id: $id, from: $from) {
  id count(status: CANCELLED) } }"""
RENAME = """mutation($id: ID!, $title: String!) {
  updateShowSeries(id: $id, title: $title) { id title } }"""
SERIES = """query($id: ID!, $status: ShowStatus) { showSeries(id: $id) { id title count
  shows(status: $status, first: 100) { nodes { id title status startsAt localStartsAt
    series { id } } pageInfo { hasNextPage } } } }"""
LIST = """query($filter: ShowFilter) { shows(filter: $filter, first: 100) {
  nodes { id series { id title } } } }"""
VENUE_SERIES = "query($id: ID!) { venue(id: $id) { series { id title count } } }"
CREATE_SHOW = "mutation($i: CreateShowInput!) { createShow(input: $i) { id } }"


@pytest.fixture
def venues(stack: Stack) -> Venues:
    return Venues(stack.client("venue"))


async def hall_in(venues: Venues, owner: User, zone: str = "Europe/Berlin") -> dict[str, Any]:
    """A small hall in a new venue of ``owner`` in ``zone``."""
    body = await venues.client.data(CREATE_VENUE, {"i": {
        "name": f"Cinema {uuid.uuid4().hex[:8]}", "timeZone": zone}}, owner.token)
    return await venues.hall(owner, venue_id=body["createVenue"]["id"])


def series_input(hall_id: str, **changes: Any) -> dict[str, Any]:
    """Three weeks around Berlin's spring change (Sunday 2032-03-28): Mondays and Saturdays
    at 14:00, 17:00 and 20:00 but Monday 2032-03-22."""
    return {"hallId": hall_id, "title": "The Film", "kind": "MOVIE",
            "price": {"amount": 1100, "currency": "EUR"}, "durationMinutes": 150,
            "weekdays": ["MON", "SAT"], "times": ["20:00", "14:00", "17:00"],
            "from": "2032-03-15", "until": "2032-04-04", "exceptions": ["2032-03-22"],
            **changes}


async def stored(db: Database) -> dict[str, int]:
    """Everything a series request could write."""
    return await counts(db, ShowSeries, Show, PriceTier, TABLES.outbox,
                        TABLES.idempotency)


async def shows_of(db: Database, series_id: str) -> list[Show]:
    async with db.reader() as session:
        return list(await session.scalars(select(Show).where(Show.series_id == series_id)
                                          .order_by(Show.starts_at)))


async def create(client: GraphQL, owner: User, hall_id: str, key: str | None = None,
                 **changes: Any) -> dict[str, Any]:
    body = await client.data(CREATE, {"i": series_input(hall_id, **changes), "key": key},
                             owner.token)
    return body["createShowSeries"]  # type: ignore[no-any-return]


# --- the schedule ------------------------------------------------------------------------


async def test_a_series_makes_a_show_per_date_and_time_at_the_venues_wall_clock_across_dst(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await hall_in(venues, actors.organizer)
    series = await create(stack.client("venue"), actors.organizer, hall["id"])
    assert series["weekdays"] == ["MON", "SAT"]
    assert series["times"] == ["14:00", "17:00", "20:00"]
    assert (series["from"], series["until"], series["exceptions"]) == (
        "2032-03-15", "2032-04-04", ["2032-03-22"])
    assert series["count"] == 15
    # Winter time (+01:00) until Sunday 28 March, summer time (+02:00) after it.
    expected = [f"{day}T{hour - offset:02d}:00:00+00:00"
                for day, offset in [("2032-03-15", 1), ("2032-03-20", 1), ("2032-03-27", 1),
                                    ("2032-03-29", 2), ("2032-04-03", 2)]
                for hour in (14, 17, 20)]
    rows = await shows_of(dbs["venue"], series["id"])
    assert [r.starts_at.isoformat() for r in rows] == expected
    assert all((r.ends_at - r.starts_at).total_seconds() == 150 * 60 for r in rows)
    assert {(r.status, r.title, r.kind, r.hall_id) for r in rows} == {
        ("DRAFT", "The Film", "MOVIE", hall["id"])}
    body = await stack.client("venue").data(SERIES, {"id": series["id"]},
                                            actors.organizer.token)
    listed = body["showSeries"]["shows"]["nodes"]
    assert [s["startsAt"] for s in listed] == expected
    assert [s["localStartsAt"][11:] for s in listed] == (
        ["14:00:00+01:00", "17:00:00+01:00", "20:00:00+01:00"] * 3
        + ["14:00:00+02:00", "17:00:00+02:00", "20:00:00+02:00"] * 2)
    assert {s["series"]["id"] for s in listed} == {series["id"]}
    async with dbs["venue"].reader() as session:
        priced = set(await session.scalars(select(PriceTier.amount).where(
            PriceTier.show_id.in_([r.id for r in rows]))))
    assert priced == {1100}


async def test_a_time_the_clocks_skip_refuses_the_series_naming_the_date(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await hall_in(venues, actors.organizer)
    before = await stored(dbs["venue"])
    body = await stack.client("venue").run(CREATE, {"i": series_input(
        hall["id"], weekdays=["SUN"], times=["11:00", "02:30"], durationMinutes=30,
        exceptions=[])}, actors.organizer.token)
    assert refusal(body) == ("BAD_USER_INPUT", "input.times[1]")
    assert only_error(body)["extensions"]["date"] == "2032-03-28"
    assert await stored(dbs["venue"]) == before
    # Skipping that date makes the same rule valid.
    series = await create(stack.client("venue"), actors.organizer, hall["id"],
                          weekdays=["SUN"], times=["02:30"], durationMinutes=30,
                          exceptions=["2032-03-28"])
    rows = await shows_of(dbs["venue"], series["id"])
    assert [r.starts_at.isoformat() for r in rows] == [
        "2032-03-21T01:30:00+00:00", "2032-04-04T00:30:00+00:00"]


async def test_a_time_that_happens_twice_is_its_first_occurrence(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await hall_in(venues, actors.organizer)
    # Sunday 2032-10-31: 02:30 happens at +02:00 (00:30 UTC), then again at +01:00.
    series = await create(stack.client("venue"), actors.organizer, hall["id"],
                          weekdays=["SUN"], times=["02:30", "20:00"], durationMinutes=30,
                          exceptions=[], **{"from": "2032-10-30", "until": "2032-11-01"})
    rows = await shows_of(dbs["venue"], series["id"])
    assert [r.starts_at.isoformat() for r in rows] == [
        "2032-10-31T00:30:00+00:00", "2032-10-31T19:00:00+00:00"]


async def test_a_retry_with_the_key_returns_the_same_series_and_creates_nothing(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await hall_in(venues, actors.organizer)
    key = uuid.uuid4().hex
    client = stack.client("venue")
    first = await create(client, actors.organizer, hall["id"], key=key)
    before = await stored(dbs["venue"])
    again = await create(client, actors.organizer, hall["id"], key=key)
    assert again == first
    assert await stored(dbs["venue"]) == before
    # The key with other arguments is a client bug.
    body = await client.run(CREATE, {"i": series_input(hall["id"], title="Other"), "key": key},
                            actors.organizer.token)
    assert refusal(body) == ("CONFLICT", "idempotencyKey")
    assert await stored(dbs["venue"]) == before


async def test_a_clash_with_a_show_of_the_hall_refuses_the_whole_series_naming_it(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await hall_in(venues, actors.organizer)
    client = stack.client("venue")
    # 19:30 to 20:30 on Saturday 27 March, Berlin (+01:00): the 17:00 show ends 19:30,
    # so the 20:00 show of that day is the first to clash.
    taken = (await client.data(CREATE_SHOW, {"i": show_input(
        hall["id"], "2032-03-27T19:30:00+01:00", endsAt="2032-03-27T20:30:00+01:00")},
        actors.organizer.token))["createShow"]
    before = await stored(dbs["venue"])
    body = await client.run(CREATE, {"i": series_input(hall["id"])}, actors.organizer.token)
    assert refusal(body) == ("CONFLICT", "input.times")
    extensions = only_error(body)["extensions"]
    assert extensions["showId"] == taken["id"]
    assert extensions["startsAt"] == "2032-03-27T19:00:00+00:00"
    assert await stored(dbs["venue"]) == before


async def test_shows_of_one_series_may_not_overlap_each_other(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await hall_in(venues, actors.organizer)
    before = await stored(dbs["venue"])
    body = await stack.client("venue").run(CREATE, {"i": series_input(
        hall["id"], times=["14:00", "15:00"], durationMinutes=90)}, actors.organizer.token)
    assert refusal(body) == ("CONFLICT", "input.times")
    assert only_error(body)["extensions"]["startsAt"] == "2032-03-15T14:00:00+00:00"
    assert await stored(dbs["venue"]) == before


async def test_a_cancelled_show_does_not_block_a_series(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await hall_in(venues, actors.organizer)
    client = stack.client("venue")
    taken = (await client.data(CREATE_SHOW, {"i": show_input(
        hall["id"], "2032-03-15T14:00:00+01:00")}, actors.organizer.token))["createShow"]
    await client.data(CANCEL_SHOW, {"id": taken["id"]}, actors.organizer.token)
    series = await create(client, actors.organizer, hall["id"])
    assert series["count"] == 15


@pytest.mark.parametrize(("changes", "field"), [
    ({"weekdays": []}, "input.weekdays"),
    ({"weekdays": ["MON", "MON"]}, "input.weekdays[1]"),
    ({"times": []}, "input.times"),
    ({"times": ["14:00", "25:00"]}, "input.times[1]"),
    ({"times": ["2pm"]}, "input.times[0]"),
    ({"times": ["14:00", "14:00"]}, "input.times[1]"),
    ({"until": "2032-03-14"}, "input.until"),
    ({"until": "2033-03-16"}, "input.until"),
    ({"exceptions": ["2032-05-01"]}, "input.exceptions[0]"),
    ({"durationMinutes": 0}, "input.durationMinutes"),
    ({"weekdays": ["TUE"], "exceptions": [], "from": "2032-03-15", "until": "2032-03-15"},
     "input.weekdays"),
    # Every day at six times for 12 weeks: 504 shows, more than 500.
    ({"weekdays": ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"],
      "times": ["10:00", "12:00", "14:00", "16:00", "18:00", "20:00"], "durationMinutes": 100,
      "exceptions": [], "until": "2032-06-06"}, "input.until"),
    ({"title": " "}, "input.title"),
    ({"price": {"amount": -1, "currency": "EUR"}}, "input.price.amount"),
    ({"price": {"amount": 100, "currency": "EUX"}}, "input.price.currency"),
    ({"price": None, "currency": "EUR",
      "priceTiers": [{"category": "GOLD", "amount": 1}]}, "input.priceTiers"),
], ids=["no weekdays", "weekday twice", "no times", "25:00", "2pm", "time twice",
        "until before from", "over a year", "exception outside", "zero minutes",
        "no date matches", "too many shows", "blank title", "negative price", "bad currency",
        "unknown category"])
async def test_bad_series_input_names_the_field_and_stores_nothing(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database],
        changes: dict[str, Any], field: str) -> None:
    hall = await hall_in(venues, actors.organizer)
    before = await stored(dbs["venue"])
    body = await stack.client("venue").run(CREATE, {"i": series_input(hall["id"], **changes)},
                                           actors.organizer.token)
    assert refusal(body) == ("BAD_USER_INPUT", field)
    assert await stored(dbs["venue"]) == before


async def test_a_date_that_is_not_a_date_is_bad_user_input(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await hall_in(venues, actors.organizer)
    before = await stored(dbs["venue"])
    body = await stack.client("venue").run(CREATE, {"i": series_input(
        hall["id"], until="2032-02-30")}, actors.organizer.token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert await stored(dbs["venue"]) == before


# --- publishing and cancelling -----------------------------------------------------------


async def bookable(db: Database, show_id: str) -> BookableShow | None:
    async with db.reader() as session:
        return await session.get(BookableShow, show_id)


async def all_bookable(dbs: dict[str, Database], show_ids: list[str]) -> bool:
    return all([await bookable(dbs["booking"], s) is not None for s in show_ids])


async def test_publishing_a_series_puts_each_show_on_sale_with_its_own_inventory(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await hall_in(venues, actors.organizer)
    series = await create(stack.client("venue"), actors.organizer, hall["id"],
                          weekdays=["MON"], times=["14:00", "20:00"])
    body = await stack.client("venue").data(PUBLISH, {"id": series["id"]},
                                            actors.organizer.token)
    assert body["publishShowSeries"]["count"] == 4  # 15 and 29 March, twice each
    rows = await shows_of(dbs["venue"], series["id"])
    assert {r.status for r in rows} == {"ON_SALE"}
    ids = [r.id for r in rows]
    await eventually(lambda: all_bookable(dbs, ids))
    for row in rows:
        found = await bookable(dbs["booking"], row.id)
        assert found is not None and found.status == "ON_SALE"
    async with dbs["venue"].reader() as session:
        published = list((await session.execute(select(TABLES.outbox.c.body).where(
            TABLES.outbox.c.type == "ShowPublished"))).scalars())
    assert sum(any(i in b for b in published) for i in ids) == 4  # one event per show
    # Publishing again changes nothing.
    before = await counts(dbs["venue"], TABLES.outbox)
    await stack.client("venue").data(PUBLISH, {"id": series["id"]}, actors.organizer.token)
    assert await counts(dbs["venue"], TABLES.outbox) == before


async def test_a_series_can_be_created_on_sale(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await hall_in(venues, actors.organizer)
    series = await create(stack.client("venue"), actors.organizer, hall["id"],
                          weekdays=["SAT"], times=["20:00"], publish=True)
    ids = [r.id for r in await shows_of(dbs["venue"], series["id"])]
    assert len(ids) == 3
    await eventually(lambda: all_bookable(dbs, ids))
    # Anyone sees a series once its shows are on sale.
    body = await stack.client("venue").data(SERIES, {"id": series["id"]})
    assert body["showSeries"]["count"] == 3


async def book(stack: Stack, customer: User, show_id: str, seat_id: str) -> str:
    booking = stack.client("booking")
    hold = await booking.data(HOLD, {"show": show_id, "seats": [seat_id]}, customer.token)
    made = await booking.data(CHECKOUT, {"hold": hold["holdSeats"]["id"],
                                         "key": uuid.uuid4().hex}, customer.token)
    return str(made["checkout"]["id"])


async def booking_status(db: Database, booking_id: str) -> str | None:
    async with db.reader() as session:
        return await session.scalar(select(BookingRow.status).where(
            BookingRow.id == booking_id))


async def test_cancelling_one_date_or_the_rest_cancels_their_bookings_as_cancel_show_does(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await hall_in(venues, actors.organizer)
    client = stack.client("venue")
    series = await create(client, actors.organizer, hall["id"], weekdays=["SAT"],
                          times=["20:00"], publish=True)  # 20 March, 27 March, 3 April
    shows = [r.id for r in await shows_of(dbs["venue"], series["id"])]
    await eventually(lambda: all_bookable(dbs, shows))
    async with dbs["venue"].reader() as session:
        seat = await session.scalar(select(Seat.id).where(Seat.hall_id == hall["id"]).limit(1))
    assert seat is not None
    bookings = [await book(stack, actors.customer, s, seat) for s in shows]

    async def states() -> list[str | None]:
        return [await booking_status(dbs["booking"], b) for b in bookings]

    assert "CANCELLED" not in await states()
    # One date: cancelShow, as for a single show.
    await client.data(CANCEL_SHOW, {"id": shows[0]}, actors.organizer.token)
    await eventually(lambda: _is(states, lambda s: s[0] == "CANCELLED"))
    assert "CANCELLED" not in (await states())[1:]
    # From 27 March on: the rest of the series.
    body = await client.data(CANCEL, {"id": series["id"], "from": "2032-03-27"},
                             actors.organizer.token)
    assert body["cancelShowSeries"]["count"] == 3
    await eventually(lambda: _is(states, lambda s: s == ["CANCELLED"] * 3))
    assert {r.status for r in await shows_of(dbs["venue"], series["id"])} == {"CANCELLED"}
    # Each show announced its cancellation once.
    async with dbs["venue"].reader() as session:
        cancelled = list((await session.execute(select(TABLES.outbox.c.body).where(
            TABLES.outbox.c.type == "ShowCancelled"))).scalars())
    assert [sum(s in b for b in cancelled) for s in shows] == [1, 1, 1]


async def _is(read: Any, test: Any) -> bool:
    return bool(test(await read()))


async def test_cancelling_from_a_date_keeps_the_earlier_shows(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await hall_in(venues, actors.organizer)
    series = await create(stack.client("venue"), actors.organizer, hall["id"])
    await stack.client("venue").data(CANCEL, {"id": series["id"], "from": "2032-03-29"},
                                     actors.organizer.token)
    rows = await shows_of(dbs["venue"], series["id"])
    assert [r.status for r in rows] == ["DRAFT"] * 9 + ["CANCELLED"] * 6
    async with dbs["venue"].reader() as session:
        cancelled = list((await session.execute(select(TABLES.outbox.c.body).where(
            TABLES.outbox.c.type == "ShowCancelled"))).scalars())
    assert not any(r.id in b for r in rows for b in cancelled)


async def test_renaming_a_series_renames_its_drafts_not_its_shows_on_sale(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await hall_in(venues, actors.organizer)
    client = stack.client("venue")
    series = await create(client, actors.organizer, hall["id"], weekdays=["SAT"],
                          times=["20:00"])
    rows = await shows_of(dbs["venue"], series["id"])
    await venues.publish(actors.organizer, rows[0].id)
    body = await client.data(RENAME, {"id": series["id"], "title": " New Cut "},
                             actors.organizer.token)
    assert body["updateShowSeries"]["title"] == "New Cut"
    assert [r.title for r in await shows_of(dbs["venue"], series["id"])] == [
        "The Film", "New Cut", "New Cut"]
    body = await client.run(RENAME, {"id": series["id"], "title": ""}, actors.organizer.token)
    assert refusal(body) == ("BAD_USER_INPUT", "title")


# --- grouping ----------------------------------------------------------------------------


async def test_shows_group_and_filter_by_series(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await hall_in(venues, actors.organizer)
    client = stack.client("venue")
    single = (await client.data(CREATE_SHOW, {"i": show_input(
        hall["id"], "2032-03-16T20:00:00+01:00")}, actors.organizer.token))["createShow"]
    await venues.publish(actors.organizer, single["id"])
    one = await create(client, actors.organizer, hall["id"], weekdays=["MON"],
                       times=["20:00"], publish=True)
    other = await create(client, actors.organizer, hall["id"], title="Other Film",
                         weekdays=["SAT"], times=["20:00"])
    body = await client.data(LIST, {"filter": {"seriesId": one["id"]}})
    listed = body["shows"]["nodes"]
    assert [s["id"] for s in listed] == [r.id for r in await shows_of(dbs["venue"], one["id"])]
    assert {s["series"]["id"] for s in listed} == {one["id"]}
    body = await client.data(LIST, {"filter": {"venueId": hall["venueId"]}})
    assert {s["id"]: s["series"] for s in body["shows"]["nodes"]}[single["id"]] is None
    # The owner sees both series of the venue; anyone else the one on sale.
    owned = await client.data(VENUE_SERIES, {"id": hall["venueId"]}, actors.organizer.token)
    assert [(s["id"], s["count"]) for s in owned["venue"]["series"]] == [
        (one["id"], 2), (other["id"], 3)]  # Mondays 15 and 29 March (22 is an exception)
    public = await client.data(VENUE_SERIES, {"id": hall["venueId"]}, actors.customer.token)
    assert [(s["id"], s["count"]) for s in public["venue"]["series"]] == [(one["id"], 2)]
    body = await client.data(SERIES, {"id": other["id"]}, actors.customer.token)
    assert body["showSeries"] is None
    body = await client.data(SERIES, {"id": other["id"], "status": "DRAFT"},
                             actors.admin.token)
    assert len(body["showSeries"]["shows"]["nodes"]) == 3


# --- who may do what ---------------------------------------------------------------------


OPERATIONS = ["createShowSeries", "publishShowSeries", "cancelShowSeries", "updateShowSeries"]


async def attempt(stack: Stack, venues: Venues, owner: User, operation: str,
                  token: str | None) -> tuple[dict[str, Any], str]:
    """Run ``operation`` on a fresh hall/series of ``owner`` with ``token``: (body, series)."""
    hall = await hall_in(venues, owner)
    client = stack.client("venue")
    if operation == "createShowSeries":
        body = await client.run(CREATE, {"i": series_input(hall["id"])}, token)
        return body, ((body.get("data") or {}).get("createShowSeries") or {}).get("id", "")
    series = await create(client, owner, hall["id"])
    query, variables = {
        "publishShowSeries": (PUBLISH, {}),
        "cancelShowSeries": (CANCEL, {}),
        "updateShowSeries": (RENAME, {"title": "Renamed"}),
    }[operation]
    return await client.run(query, {"id": series["id"], **variables}, token), series["id"]


async def statuses(db: Database, series_id: str) -> set[str]:
    return {r.status for r in await shows_of(db, series_id)}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize(("who", "code"), [
    (None, "UNAUTHENTICATED"), ("customer", "FORBIDDEN"), ("other_organizer", "FORBIDDEN"),
])
async def test_only_the_owner_and_admins_manage_series(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database], operation: str,
        who: str | None, code: str) -> None:
    before = await counts(dbs["venue"], ShowSeries, TABLES.outbox)
    body, series_id = await attempt(stack, venues, actors.organizer, operation,
                                    getattr(actors, who).token if who else None)
    assert error_codes(body) == [code]
    made = 0 if operation == "createShowSeries" else 1
    assert await counts(dbs["venue"], ShowSeries, TABLES.outbox) == {
        "show_series": before["show_series"] + made, "outbox": before["outbox"]}
    if made:
        assert await statuses(dbs["venue"], series_id) == {"DRAFT"}
        assert {r.title for r in await shows_of(dbs["venue"], series_id)} == {"The Film"}


@pytest.mark.parametrize(("operation", "result"), [
    ("createShowSeries", "DRAFT"), ("publishShowSeries", "ON_SALE"),
    ("cancelShowSeries", "CANCELLED"), ("updateShowSeries", "DRAFT")])
@pytest.mark.parametrize("who", ["organizer", "admin"])
async def test_the_owner_and_admins_manage_series(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database], operation: str,
        result: str, who: str) -> None:
    body, series_id = await attempt(stack, venues, actors.organizer, operation,
                                    getattr(actors, who).token)
    assert "errors" not in body, body
    assert await statuses(dbs["venue"], series_id) == {result}
    if operation == "updateShowSeries":
        assert {r.title for r in await shows_of(dbs["venue"], series_id)} == {"Renamed"}


async def test_an_anonymous_caller_is_unauthenticated_whatever_the_input(
        stack: Stack, venues: Venues, actors: Actors) -> None:
    hall = await hall_in(venues, actors.organizer)
    body = await stack.client("venue").run(CREATE, {"i": series_input(
        hall["id"], weekdays=[], times=["99:99"])})
    assert error_codes(body) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("query", [PUBLISH, CANCEL, RENAME])
async def test_an_unknown_series_is_not_found(
        stack: Stack, actors: Actors, dbs: dict[str, Database], query: str) -> None:
    before = await stored(dbs["venue"])
    variables = {"id": str(uuid.uuid4()), **({"title": "T"} if query == RENAME else {})}
    body = await stack.client("venue").run(query, variables, actors.organizer.token)
    assert refusal(body) == ("NOT_FOUND", "id")
    assert await stored(dbs["venue"]) == before


async def test_an_unknown_hall_is_not_found(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    body = await stack.client("venue").run(CREATE, {"i": series_input(str(uuid.uuid4()))},
                                           actors.organizer.token)
    assert refusal(body) == ("NOT_FOUND", "input.hallId")
