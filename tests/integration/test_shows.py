"""Shows: drafts in a hall without overlaps, price tiers and journeys, publishing through the
outbox to booking's inventory, cancelling, who may do what, and the public listing."""

from __future__ import annotations

import base64
import itertools
import uuid
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from subgraphs.booking.models import BookableShow, ShowSeat
from subgraphs.booking.models import Booking as BookingRow
from subgraphs.kernel import uow as uow_module
from subgraphs.kernel.db import Database
from subgraphs.venue.models import TABLES, PriceTier, Seat, Show, Stop
from tests.flows import CHECKOUT, HOLD, Actors, User
from tests.harness import GraphQL, Stack, error_codes, eventually
from tests.integration.seating import (
    CANCEL_SHOW,
    CREATE_SHOW,
    PUBLISH_SHOW,
    SHOW,
    Venues,
    at,
    events,
    sample,
    show_input,
    small_map,
)
from tests.integration.support import counts, only_error, refusal
from tests.integration.test_batching import statements_of

CINEMA_PRICES = {"STANDARD": 1250, "PREMIUM": 1650, "WHEELCHAIR": 900}
TRAIN_STOPS = ["Hamburg", "Hannover", "Kassel", "Frankfurt", "Munich"]
LIST = """query($filter: ShowFilter, $first: Int! = 20, $after: String) {
  shows(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id title startsAt } } nodes { id }
    pageInfo { hasNextPage endCursor } } }"""


@pytest.fixture
def venues(stack: Stack) -> Venues:
    return Venues(stack.client("venue"))


def tiers(prices: dict[str, int]) -> list[dict[str, Any]]:
    return [{"category": c, "amount": a} for c, a in prices.items()]


def priced(prices: dict[str, int], **changes: Any) -> dict[str, Any]:
    """createShow changes giving ``priceTiers`` in EUR instead of the one-price shortcut."""
    return {"price": None, "currency": "EUR", "priceTiers": tiers(prices), **changes}


async def stored(db: Database) -> dict[str, int]:
    """Everything a show request could write."""
    return await counts(db, Show, PriceTier, Stop, TABLES.outbox)


async def status(db: Database, show_id: str) -> str | None:
    async with db.reader() as session:
        return await session.scalar(select(Show.status).where(Show.id == show_id))


async def bookable(db: Database, show_id: str) -> BookableShow | None:
    async with db.reader() as session:
        return await session.get(BookableShow, show_id)


async def on_sale(venues: Venues, owner: User, dbs: dict[str, Database],
                  document: dict[str, Any] | None = None, prices: dict[str, int] | None = None,
                  **changes: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A hall and a show in it, published and sold by booking: ``(hall, show)``."""
    hall = await venues.hall(owner, document)
    show_changes = priced(prices, **changes) if prices is not None else changes
    show = await venues.show(owner, hall["id"], at(19), **show_changes)
    await venues.publish(owner, show["id"])
    await eventually(lambda: bookable(dbs["booking"], show["id"]))
    return hall, show


# --- creating: overlaps ------------------------------------------------------------------


async def test_an_overlapping_show_in_the_same_hall_is_a_conflict_and_stores_nothing(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await venues.hall(actors.organizer)
    first = await venues.show(actors.organizer, hall["id"], at(19), endsAt=at(21))
    before = await stored(dbs["venue"])
    body = await stack.client("venue").run(
        CREATE_SHOW, {"i": show_input(hall["id"], at(20), endsAt=at(22))}, actors.organizer.token)
    assert refusal(body) == ("CONFLICT", "input.startsAt")
    assert only_error(body)["extensions"]["showId"] == first["id"]
    assert await stored(dbs["venue"]) == before


async def test_a_show_inside_another_is_a_conflict(
        stack: Stack, venues: Venues, actors: Actors) -> None:
    hall = await venues.hall(actors.organizer)
    await venues.show(actors.organizer, hall["id"], at(10), endsAt=at(20))
    body = await stack.client("venue").run(
        CREATE_SHOW, {"i": show_input(hall["id"], at(12), endsAt=at(13))}, actors.organizer.token)
    assert error_codes(body) == ["CONFLICT"]


async def test_times_are_compared_as_instants_whatever_their_offset(
        stack: Stack, venues: Venues, actors: Actors) -> None:
    hall = await venues.hall(actors.organizer)
    await venues.show(actors.organizer, hall["id"], at(19), endsAt=at(21))
    # 21:30 in UTC+2 is 19:30 UTC: inside the first show.
    body = await stack.client("venue").run(
        CREATE_SHOW, {"i": show_input(hall["id"], at(21, offset="+02:00"))},
        actors.organizer.token)
    assert error_codes(body) == ["CONFLICT"]


async def test_a_start_with_an_offset_is_stored_and_returned_in_utc(
        venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await venues.hall(actors.organizer)
    show = await venues.show(actors.organizer, hall["id"], at(21, offset="+02:00"))
    async with dbs["venue"].reader() as session:
        row = await session.get(Show, show["id"])
    assert row is not None
    assert row.starts_at.isoformat() == at(19)
    assert show["startsAt"] == at(19)


async def test_shows_that_touch_end_to_start_do_not_overlap(
        venues: Venues, actors: Actors) -> None:
    hall = await venues.hall(actors.organizer)
    middle = await venues.show(actors.organizer, hall["id"], at(19), endsAt=at(21))
    after = await venues.show(actors.organizer, hall["id"], at(21), endsAt=at(23))
    before = await venues.show(actors.organizer, hall["id"], at(17), endsAt=at(19))
    assert len({middle["id"], after["id"], before["id"]}) == 3


async def test_a_cancelled_show_does_not_block_its_time(
        stack: Stack, venues: Venues, actors: Actors) -> None:
    hall = await venues.hall(actors.organizer)
    first = await venues.show(actors.organizer, hall["id"], at(19))
    await stack.client("venue").data(CANCEL_SHOW, {"id": first["id"]}, actors.organizer.token)
    again = await venues.show(actors.organizer, hall["id"], at(19))
    assert again["status"] == "DRAFT"


async def test_shows_in_different_halls_of_a_venue_may_share_a_time(
        venues: Venues, actors: Actors) -> None:
    one = await venues.hall(actors.organizer, small_map("One"))
    two = await venues.hall(actors.organizer, small_map("Two"), venue_id=one["venueId"])
    first = await venues.show(actors.organizer, one["id"], at(19))
    second = await venues.show(actors.organizer, two["id"], at(19))
    assert (first["hallId"], second["hallId"]) == (one["id"], two["id"])


# --- creating: prices, journeys and other input -----------------------------------------


async def test_price_tiers_are_kept_per_category(venues: Venues, actors: Actors) -> None:
    hall = await venues.hall(actors.organizer, sample("cinema"))
    show = await venues.show(actors.organizer, hall["id"], at(19), **priced(CINEMA_PRICES))
    assert {t["category"]: t["price"] for t in show["priceTiers"]} == {
        c: {"amount": a, "currency": "EUR"} for c, a in CINEMA_PRICES.items()}


async def test_the_one_price_shortcut_prices_every_category_of_the_hall(
        venues: Venues, actors: Actors) -> None:
    hall = await venues.hall(actors.organizer, small_map(categories=("STANDARD", "PREMIUM"),
                                                         standing=50))
    show = await venues.show(actors.organizer, hall["id"], at(19),
                             price={"amount": 700, "currency": "GBP"})
    assert sorted((t["category"], t["price"]["amount"], t["price"]["currency"])
                  for t in show["priceTiers"]) == [
        ("PREMIUM", 700, "GBP"), ("STANDARD", 700, "GBP"), ("STANDING", 700, "GBP")]


async def test_a_journey_has_a_leg_between_each_pair_of_consecutive_stops(
        venues: Venues, actors: Actors) -> None:
    hall = await venues.hall(actors.organizer, sample("train"))
    show = await venues.show(actors.organizer, hall["id"], at(6), endsAt=at(12), kind="TRAIN",
                             stops=[{"name": n} for n in TRAIN_STOPS])
    assert [s["name"] for s in show["stops"]] == TRAIN_STOPS
    assert [(leg["index"], leg["from"], leg["to"]) for leg in show["legs"]] == [
        (i, a, b) for i, (a, b) in enumerate(itertools.pairwise(TRAIN_STOPS))]


async def test_a_show_without_stops_has_no_legs(venues: Venues, actors: Actors) -> None:
    hall = await venues.hall(actors.organizer)
    show = await venues.show(actors.organizer, hall["id"], at(19))
    assert (show["stops"], show["legs"]) == ([], [])


BAD_SHOWS: list[tuple[str, dict[str, Any], str]] = [
    ("category the hall does not use", priced({"STANDARD": 100, "BALCONY": 100}),
     "input.priceTiers"),
    ("category priced twice", {"price": None, "currency": "EUR", "priceTiers": [
        {"category": "STANDARD", "amount": 100}, {"category": "STANDARD", "amount": 200}]},
     "input.priceTiers[1].category"),
    ("negative tier", priced({"STANDARD": -1}), "input.priceTiers"),
    ("negative price", {"price": {"amount": -1, "currency": "EUR"}}, "input.price.amount"),
    ("tiers without currency", priced({"STANDARD": 100}, currency=None), "input.currency"),
    ("lower-case currency", priced({"STANDARD": 100}, currency="eur"), "input.currency"),
    ("currency of four letters", priced({"STANDARD": 100}, currency="EURO"), "input.currency"),
    ("price currency not ISO", {"price": {"amount": 100, "currency": "E1R"}},
     "input.price.currency"),
    ("price and tiers", priced({"STANDARD": 100}, price={"amount": 1, "currency": "EUR"}),
     "input.priceTiers"),
    ("neither price nor tiers", {"price": None}, "input.priceTiers"),
    ("one stop", {"stops": [{"name": "Hamburg"}]}, "input.stops"),
    ("blank stop name", {"stops": [{"name": "Hamburg"}, {"name": " "}]}, "input.stops[1].name"),
    ("stop time without a zone",
     {"stops": [{"name": "Hamburg", "departsAt": "2032-03-01T19:00:00"}, {"name": "Kassel"}]},
     "input.stops[0].departsAt"),
    ("blank title", {"title": "  "}, "input.title"),
    ("start without a zone", {"startsAt": "2032-03-01T19:00:00"}, "input.startsAt"),
    ("end before start", {"endsAt": at(18)}, "input.endsAt"),
]


@pytest.mark.parametrize(("changes", "field"), [(c, f) for _, c, f in BAD_SHOWS],
                         ids=[name for name, _, _ in BAD_SHOWS])
async def test_bad_show_input_names_the_field_and_stores_nothing(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database],
        changes: dict[str, Any], field: str) -> None:
    hall = await venues.hall(actors.organizer)
    before = await stored(dbs["venue"])
    body = await stack.client("venue").run(
        CREATE_SHOW, {"i": show_input(hall["id"], at(19), **changes)}, actors.organizer.token)
    assert refusal(body) == ("BAD_USER_INPUT", field)
    assert await stored(dbs["venue"]) == before


async def test_without_a_hall_id_a_venue_of_several_halls_is_refused(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    one = await venues.hall(actors.organizer, small_map("One"))
    await venues.hall(actors.organizer, small_map("Two"), venue_id=one["venueId"])
    before = await stored(dbs["venue"])
    body = await stack.client("venue").run(
        CREATE_SHOW, {"i": show_input(one["id"], at(19), hallId=None, venueId=one["venueId"])},
        actors.organizer.token)
    assert refusal(body) == ("BAD_USER_INPUT", "input.hallId")
    assert await stored(dbs["venue"]) == before


# --- publishing -------------------------------------------------------------------------


async def test_publishing_with_an_unpriced_category_names_it_and_changes_nothing(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await venues.hall(actors.organizer, sample("cinema"))
    show = await venues.show(actors.organizer, hall["id"], at(19),
                             **priced({"STANDARD": 1250}))
    before = await stored(dbs["venue"])
    body = await stack.client("venue").run(PUBLISH_SHOW, {"id": show["id"]},
                                           actors.organizer.token)
    assert refusal(body) == ("BAD_USER_INPUT", "showId")
    assert only_error(body)["extensions"]["categories"] == ["PREMIUM", "WHEELCHAIR"]
    assert await status(dbs["venue"], show["id"]) == "DRAFT"
    assert await stored(dbs["venue"]) == before


async def test_a_blocked_seats_category_needs_no_price(
        venues: Venues, actors: Actors) -> None:
    document = small_map(categories=("STANDARD", "BOX"))
    document["sections"][0]["rows"][1]["blocked"] = [1, 2]
    hall = await venues.hall(actors.organizer, document)
    show = await venues.show(actors.organizer, hall["id"], at(19), **priced({"STANDARD": 10}))
    assert (await venues.publish(actors.organizer, show["id"]))["status"] == "ON_SALE"


async def test_publishing_writes_the_status_and_one_show_published_event_together(
        venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await venues.hall(actors.organizer)
    show = await venues.show(actors.organizer, hall["id"], at(19))
    draft = (await status(dbs["venue"], show["id"]),
             await events(dbs["venue"], "ShowPublished", show["id"]))
    published = await venues.publish(actors.organizer, show["id"])
    assert draft == ("DRAFT", [])
    assert published["status"] == "ON_SALE"
    assert await status(dbs["venue"], show["id"]) == "ON_SALE"
    assert len(await events(dbs["venue"], "ShowPublished", show["id"])) == 1


async def test_when_the_event_cannot_be_written_the_show_stays_a_draft(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database],
        monkeypatch: pytest.MonkeyPatch) -> None:
    hall = await venues.hall(actors.organizer)
    show = await venues.show(actors.organizer, hall["id"], at(19))
    real = uow_module.insert

    def insert(table: Any) -> Any:
        # The services run in this process: the venue outbox refuses this one write.
        if table is TABLES.outbox:
            raise RuntimeError("outbox unavailable")
        return real(table)

    monkeypatch.setattr(uow_module, "insert", insert)
    body = await stack.client("venue").run(PUBLISH_SHOW, {"id": show["id"]},
                                           actors.organizer.token)
    monkeypatch.undo()
    assert error_codes(body) == ["INTERNAL"]
    assert await status(dbs["venue"], show["id"]) == "DRAFT"
    assert await events(dbs["venue"], "ShowPublished", show["id"]) == []


async def test_show_published_carries_the_seats_for_sale_with_their_prices(
        venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await venues.hall(actors.organizer, sample("cinema"))
    show = await venues.show(actors.organizer, hall["id"], at(19), **priced(CINEMA_PRICES))
    await venues.publish(actors.organizer, show["id"])
    (payload,) = await events(dbs["venue"], "ShowPublished", show["id"])
    async with dbs["venue"].reader() as session:
        seats = (await session.execute(select(Seat.id, Seat.label, Seat.category).where(
            Seat.hall_id == hall["id"], Seat.blocked.is_(False)).order_by(Seat.position))).all()
    assert "C7" not in {s["label"] for s in payload["seats"]}  # blocked in the sample
    assert [(s["id"], s["label"], s["category"], s["price"]) for s in payload["seats"]] == [
        (s.id, s.label, s.category, CINEMA_PRICES[s.category]) for s in seats]
    assert (payload["prices"], payload["currency"]) == (CINEMA_PRICES, "EUR")


async def test_show_published_carries_standing_sections_with_capacity_and_price(
        venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    prices = {"STANDING": 4500, "PREMIUM": 9900, "STANDARD": 6900, "ECONOMY": 3900}
    hall = await venues.hall(actors.organizer, sample("arena"))
    show = await venues.show(actors.organizer, hall["id"], at(19), **priced(prices))
    await venues.publish(actors.organizer, show["id"])
    (payload,) = await events(dbs["venue"], "ShowPublished", show["id"])
    floor = next(s for s in hall["sections"] if s["key"] == "floor")
    assert [(g["id"], g["key"], g["capacity"], g["category"], g["price"])
            for g in payload["general_admission"]] == [
        (floor["id"], "floor", 3000, "STANDING", 4500)]


async def test_show_published_carries_the_legs_of_a_journey(
        venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await venues.hall(actors.organizer, sample("train"))
    show = await venues.show(actors.organizer, hall["id"], at(6), endsAt=at(12), kind="TRAIN",
                             stops=[{"name": n} for n in TRAIN_STOPS])
    await venues.publish(actors.organizer, show["id"])
    (payload,) = await events(dbs["venue"], "ShowPublished", show["id"])
    assert [(leg["from"], leg["to"]) for leg in payload["legs"]] == list(
        itertools.pairwise(TRAIN_STOPS))


async def test_publishing_twice_keeps_one_event(
        venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await venues.hall(actors.organizer)
    show = await venues.show(actors.organizer, hall["id"], at(19))
    await venues.publish(actors.organizer, show["id"])
    again = await venues.publish(actors.organizer, show["id"])
    assert again["status"] == "ON_SALE"
    assert len(await events(dbs["venue"], "ShowPublished", show["id"])) == 1


async def test_a_cancelled_show_cannot_be_published(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await venues.hall(actors.organizer)
    show = await venues.show(actors.organizer, hall["id"], at(19))
    await stack.client("venue").data(CANCEL_SHOW, {"id": show["id"]}, actors.organizer.token)
    body = await stack.client("venue").run(PUBLISH_SHOW, {"id": show["id"]},
                                           actors.organizer.token)
    assert refusal(body) == ("CONFLICT", "showId")
    assert await events(dbs["venue"], "ShowPublished", show["id"]) == []


async def test_booking_prices_each_seat_by_its_category(
        venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall, show = await on_sale(venues, actors.organizer, dbs, sample("cinema"), CINEMA_PRICES)
    async with dbs["venue"].reader() as session:
        categories = dict((await session.execute(select(Seat.id, Seat.category).where(
            Seat.hall_id == hall["id"], Seat.blocked.is_(False)))).all())
    async with dbs["booking"].reader() as session:
        prices = dict((await session.execute(select(ShowSeat.seat_id, ShowSeat.price_amount)
                                             .where(ShowSeat.show_id == show["id"]))).all())
    assert prices == {seat: CINEMA_PRICES[c] for seat, c in categories.items()}


async def test_a_booking_costs_the_sum_of_its_seats_category_prices(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall, show = await on_sale(venues, actors.organizer, dbs, sample("cinema"), CINEMA_PRICES)
    async with dbs["venue"].reader() as session:
        chosen = {label: (seat, category) for label, seat, category in (await session.execute(
            select(Seat.label, Seat.id, Seat.category).where(
                Seat.hall_id == hall["id"], Seat.label.in_(["A1", "A2", "K1"])))).all()}
    assert sorted(c for _, c in chosen.values()) == ["PREMIUM", "STANDARD", "WHEELCHAIR"]
    booking = stack.client("booking")
    hold = await booking.data(HOLD, {"show": show["id"], "seats": [
        s for s, _ in chosen.values()]}, actors.customer.token)
    done = await booking.data(CHECKOUT, {"hold": hold["holdSeats"]["id"],
                                         "key": uuid.uuid4().hex}, actors.customer.token)
    assert done["checkout"]["total"] == {
        "amount": sum(CINEMA_PRICES[c] for _, c in chosen.values()), "currency": "EUR"}


# --- cancelling -------------------------------------------------------------------------


async def test_cancelling_a_show_on_sale_writes_show_cancelled(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    _, show = await on_sale(venues, actors.organizer, dbs)
    body = await stack.client("venue").data(CANCEL_SHOW, {"id": show["id"]},
                                            actors.organizer.token)
    assert body["cancelShow"]["status"] == "CANCELLED"
    assert await status(dbs["venue"], show["id"]) == "CANCELLED"
    assert len(await events(dbs["venue"], "ShowCancelled", show["id"])) == 1


async def test_booking_refuses_holds_once_a_show_is_cancelled(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall, show = await on_sale(venues, actors.organizer, dbs)
    async with dbs["venue"].reader() as session:
        seat = await session.scalar(select(Seat.id).where(Seat.hall_id == hall["id"]).limit(1))
    await stack.client("venue").data(CANCEL_SHOW, {"id": show["id"]}, actors.organizer.token)

    async def cancelled() -> bool:
        found = await bookable(dbs["booking"], show["id"])
        return found is not None and found.status == "CANCELLED"

    await eventually(cancelled)
    body = await stack.client("booking").run(HOLD, {"show": show["id"], "seats": [seat]},
                                             actors.customer.token)
    assert refusal(body) == ("BAD_USER_INPUT", "showId")
    assert "not on sale" in only_error(body)["message"]


async def test_cancelling_a_show_reads_its_time_zone_once_whatever_its_bookings(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall, show = await on_sale(venues, actors.organizer, dbs)
    async with dbs["venue"].reader() as session:
        seats = list(await session.scalars(select(Seat.id).where(Seat.hall_id == hall["id"])
                                           .limit(3)))
    booking = stack.client("booking")
    made = []
    for seat in seats:  # a booking each, each of its own hold
        hold = await booking.data(HOLD, {"show": show["id"], "seats": [seat]},
                                  actors.customer.token)
        made.append((await booking.data(CHECKOUT, {"hold": hold["holdSeats"]["id"],
                                                   "key": uuid.uuid4().hex},
                                        actors.customer.token))["checkout"])
    assert len(made) >= 2, made  # one read per booking would read it more than once
    zone_reads: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.split()[:5] == ["SELECT", "shows.title,", "shows.starts_at,",
                                     "shows.time_zone", "FROM"]:
            zone_reads.append(statement)  # booking's notice (booking.shows.notice)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        await stack.client("venue").data(CANCEL_SHOW, {"id": show["id"]},
                                          actors.organizer.token)

        async def cancelled() -> bool:
            found = await bookable(dbs["booking"], show["id"])
            return found is not None and found.status == "CANCELLED"

        await eventually(cancelled)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    async with dbs["booking"].reader() as session:
        states = list(await session.scalars(select(BookingRow.status).where(
            BookingRow.show_id == show["id"])))
    assert states == ["CANCELLED"] * len(made), made
    assert len(zone_reads) == 1, zone_reads  # one notice for the show, not one per booking


async def test_cancelling_a_draft_writes_no_event(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await venues.hall(actors.organizer)
    show = await venues.show(actors.organizer, hall["id"], at(19))
    before = await counts(dbs["venue"], TABLES.outbox)
    body = await stack.client("venue").data(CANCEL_SHOW, {"id": show["id"]},
                                            actors.organizer.token)
    assert body["cancelShow"]["status"] == "CANCELLED"
    assert await counts(dbs["venue"], TABLES.outbox) == before


# --- who may do what --------------------------------------------------------------------


OPERATIONS = ["createShow", "publishShow", "cancelShow"]


async def attempt(stack: Stack, venues: Venues, owner: User, operation: str,
                  token: str | None) -> tuple[dict[str, Any], str]:
    """Run ``operation`` on a fresh hall/draft of ``owner`` with ``token``: (body, show id)."""
    hall = await venues.hall(owner)
    client = stack.client("venue")
    if operation == "createShow":
        body = await client.run(CREATE_SHOW, {"i": show_input(hall["id"], at(19))}, token)
        return body, ((body.get("data") or {}).get("createShow") or {}).get("id", "")
    show = await venues.show(owner, hall["id"], at(19))
    query = PUBLISH_SHOW if operation == "publishShow" else CANCEL_SHOW
    return await client.run(query, {"id": show["id"]}, token), show["id"]


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize(("who", "code"), [
    (None, "UNAUTHENTICATED"), ("customer", "FORBIDDEN"), ("other_organizer", "FORBIDDEN"),
])
async def test_only_the_owner_and_admins_manage_shows(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database], operation: str,
        who: str | None, code: str) -> None:
    before = await counts(dbs["venue"], Show, TABLES.outbox)
    body, show_id = await attempt(stack, venues, actors.organizer, operation,
                                  getattr(actors, who).token if who else None)
    assert error_codes(body) == [code]
    drafts = 0 if operation == "createShow" else 1
    assert await counts(dbs["venue"], Show, TABLES.outbox) == {
        "shows": before["shows"] + drafts, "outbox": before["outbox"]}
    if show_id:
        assert await status(dbs["venue"], show_id) == "DRAFT"


@pytest.mark.parametrize(("operation", "result"), [
    ("createShow", "DRAFT"), ("publishShow", "ON_SALE"), ("cancelShow", "CANCELLED")])
@pytest.mark.parametrize("who", ["organizer", "admin"])
async def test_the_owner_and_admins_manage_shows(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database], operation: str,
        result: str, who: str) -> None:
    body, show_id = await attempt(stack, venues, actors.organizer, operation,
                                  getattr(actors, who).token)
    assert "errors" not in body, body
    assert await status(dbs["venue"], show_id) == result


async def test_an_anonymous_caller_is_unauthenticated_whatever_the_input(
        stack: Stack, venues: Venues, actors: Actors) -> None:
    hall = await venues.hall(actors.organizer)
    twice = [{"category": "STANDARD", "amount": 1}, {"category": "STANDARD", "amount": 2}]
    body = await stack.client("venue").run(CREATE_SHOW, {"i": show_input(
        hall["id"], at(19), price=None, currency="EUR", priceTiers=twice)})
    assert error_codes(body) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize(("query", "variables", "field"), [
    (CREATE_SHOW, {"i": show_input(str(uuid.uuid4()), at(19))}, "input.hallId"),
    (CREATE_SHOW, {"i": show_input("", at(19), hallId=None, venueId=str(uuid.uuid4()))},
     "input.venueId"),
    (PUBLISH_SHOW, {"id": str(uuid.uuid4())}, "showId"),
    (CANCEL_SHOW, {"id": str(uuid.uuid4())}, "showId"),
], ids=["unknown hall", "unknown venue", "publish unknown show", "cancel unknown show"])
async def test_unknown_halls_venues_and_shows_are_not_found(
        stack: Stack, actors: Actors, dbs: dict[str, Database], query: str,
        variables: dict[str, Any], field: str) -> None:
    before = await stored(dbs["venue"])
    body = await stack.client("venue").run(query, variables, actors.organizer.token)
    assert refusal(body) == ("NOT_FOUND", field)
    assert await stored(dbs["venue"]) == before


# --- who sees drafts --------------------------------------------------------------------


@pytest.mark.parametrize(("who", "sees"), [
    (None, False), ("customer", False), ("other_organizer", False), ("organizer", True),
    ("admin", True),
])
async def test_a_draft_is_seen_only_by_its_owner_and_admins(
        stack: Stack, venues: Venues, actors: Actors, who: str | None, sees: bool) -> None:
    hall = await venues.hall(actors.organizer)
    show = await venues.show(actors.organizer, hall["id"], at(19))
    body = await stack.client("venue").data(SHOW, {"id": show["id"]},
                                            getattr(actors, who).token if who else None)
    assert body["show"] == ({"id": show["id"], "status": "DRAFT"} if sees else None)


@pytest.mark.parametrize("who", [None, "organizer"])
async def test_drafts_are_not_listed(
        stack: Stack, venues: Venues, actors: Actors, who: str | None) -> None:
    hall = await venues.hall(actors.organizer)
    selling = await venues.show(actors.organizer, hall["id"], at(19))
    await venues.publish(actors.organizer, selling["id"])
    draft = await venues.show(actors.organizer, hall["id"], at(22))
    body = await stack.client("venue").data(LIST, {"filter": {"venueId": hall["venueId"]}},
                                            getattr(actors, who).token if who else None)
    assert draft["status"] == "DRAFT"
    assert [n["id"] for n in body["shows"]["nodes"]] == [selling["id"]]


# --- the listing ------------------------------------------------------------------------


async def listed(client: GraphQL, flt: dict[str, Any], first: int = 100) -> list[str]:
    body = await client.data(LIST, {"filter": flt, "first": first})
    return [n["id"] for n in body["shows"]["nodes"]]


async def published(venues: Venues, owner: User, hall_id: str, starts_at: str,
                    **changes: Any) -> str:
    show = await venues.show(owner, hall_id, starts_at, **changes)
    await venues.publish(owner, show["id"])
    return str(show["id"])


async def test_the_kind_filter_keeps_shows_of_that_kind(
        stack: Stack, venues: Venues, actors: Actors) -> None:
    hall = await venues.hall(actors.organizer)
    movie = await published(venues, actors.organizer, hall["id"], at(10), kind="MOVIE")
    await published(venues, actors.organizer, hall["id"], at(13), kind="CONCERT")
    await published(venues, actors.organizer, hall["id"], at(16), kind="OTHER")
    assert await listed(stack.client("venue"), {"venueId": hall["venueId"],
                                                "kind": "MOVIE"}) == [movie]


async def test_the_venue_filter_keeps_that_venues_shows(
        stack: Stack, venues: Venues, actors: Actors) -> None:
    mine = await venues.hall(actors.organizer)
    theirs = await venues.hall(actors.other_organizer)
    a = await published(venues, actors.organizer, mine["id"], at(10))
    b = await published(venues, actors.organizer, mine["id"], at(13))
    await published(venues, actors.other_organizer, theirs["id"], at(10))
    assert await listed(stack.client("venue"), {"venueId": mine["venueId"]}) == [a, b]


async def test_from_is_inclusive_and_to_exclusive(
        stack: Stack, venues: Venues, actors: Actors) -> None:
    hall = await venues.hall(actors.organizer)
    ids = [await published(venues, actors.organizer, hall["id"], at(h)) for h in (8, 11, 14)]
    client = stack.client("venue")
    venue = hall["venueId"]
    assert await listed(client, {"venueId": venue, "from": at(11)}) == ids[1:]
    assert await listed(client, {"venueId": venue, "to": at(14)}) == ids[:2]
    assert await listed(client, {"venueId": venue, "from": at(9), "to": at(12)}) == ids[1:2]


async def test_from_and_to_compare_instants_whatever_their_offset(
        stack: Stack, venues: Venues, actors: Actors) -> None:
    hall = await venues.hall(actors.organizer)
    show = await published(venues, actors.organizer, hall["id"], at(19))
    client = stack.client("venue")
    venue = hall["venueId"]
    # 20:00 in UTC+1 is the show's start (19:00 UTC); 20:30 in UTC+1 is after it.
    assert await listed(client, {"venueId": venue, "from": at(20, offset="+01:00")}) == [show]
    assert await listed(client, {"venueId": venue,
                                 "from": "2032-03-01T20:30:00+01:00"}) == []


async def test_the_text_filter_finds_part_of_the_title_ignoring_case(
        stack: Stack, venues: Venues, actors: Actors) -> None:
    token = uuid.uuid4().hex[:10]
    hall = await venues.hall(actors.organizer)
    hit = await published(venues, actors.organizer, hall["id"], at(10),
                          title=f"The {token.upper()} Tour")
    await published(venues, actors.organizer, hall["id"], at(13), title="Something else")
    assert await listed(stack.client("venue"), {"text": token.lower()}) == [hit]


@pytest.mark.parametrize("pattern", ["%", "_"])
async def test_the_text_filter_takes_like_wildcards_literally(
        stack: Stack, venues: Venues, actors: Actors, pattern: str) -> None:
    token = uuid.uuid4().hex[:10]
    hall = await venues.hall(actors.organizer)
    literal = await published(venues, actors.organizer, hall["id"], at(10),
                              title=f"{token} 100{pattern} live")
    await published(venues, actors.organizer, hall["id"], at(13), title=f"{token} 1000 live")
    assert await listed(stack.client("venue"), {"text": f"{token} 100{pattern}"}) == [literal]


async def test_pages_walk_every_show_once_in_start_then_id_order(
        stack: Stack, venues: Venues, actors: Actors) -> None:
    # Two halls, so several shows share a start and only their ids order them.
    one = await venues.hall(actors.organizer, small_map("One"))
    two = await venues.hall(actors.organizer, small_map("Two"), venue_id=one["venueId"])
    made = []
    for hour in (9, 12, 15, 18):
        for hall in (one, two):
            made.append((at(hour), await published(venues, actors.organizer, hall["id"],
                                                   at(hour))))
    client = stack.client("venue")
    seen: list[tuple[str, str]] = []
    after = None
    for _ in range(len(made)):
        body = await client.data(LIST, {"filter": {"venueId": one["venueId"]}, "first": 3,
                                        "after": after})
        page = body["shows"]
        seen += [(e["node"]["startsAt"], e["node"]["id"]) for e in page["edges"]]
        assert page["pageInfo"]["endCursor"] == (page["edges"][-1]["cursor"]
                                                 if page["edges"] else None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(made)


async def test_a_page_ends_with_has_next_page_false_when_nothing_follows(
        stack: Stack, venues: Venues, actors: Actors) -> None:
    hall = await venues.hall(actors.organizer)
    ids = [await published(venues, actors.organizer, hall["id"], at(h)) for h in (8, 11)]
    client = stack.client("venue")
    first = await client.data(LIST, {"filter": {"venueId": hall["venueId"]}, "first": 1})
    rest = await client.data(LIST, {"filter": {"venueId": hall["venueId"]}, "first": 1,
                                    "after": first["shows"]["pageInfo"]["endCursor"]})
    assert [n["id"] for n in first["shows"]["nodes"]] == ids[:1]
    assert first["shows"]["pageInfo"]["hasNextPage"] is True
    assert [n["id"] for n in rest["shows"]["nodes"]] == ids[1:]
    assert rest["shows"]["pageInfo"]["hasNextPage"] is False


def cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode()


@pytest.mark.parametrize("after", [
    "not a cursor", cursor("no separator"), cursor("yesterday|x"),
    cursor("2032-03-01T19:00:00|x"), base64.urlsafe_b64encode(b"\xff\xfe|").decode(),
], ids=["not base64", "no separator", "not a time", "time without zone", "not text"])
async def test_a_bad_cursor_is_refused(stack: Stack, after: str) -> None:
    body = await stack.client("venue").run(LIST, {"after": after})
    assert refusal(body) == ("BAD_USER_INPUT", "after")


@pytest.mark.parametrize("bound", ["from", "to"])
async def test_a_time_filter_without_a_zone_is_refused(stack: Stack, bound: str) -> None:
    body = await stack.client("venue").run(LIST, {"filter": {bound: "2032-03-01T19:00:00"}})
    assert refusal(body) == ("BAD_USER_INPUT", f"filter.{bound}")


@pytest.mark.parametrize("first", [0, 101])
async def test_a_page_size_out_of_range_is_refused_with_a_filter(
        stack: Stack, first: int) -> None:
    body = await stack.client("venue").run(LIST, {"filter": {"kind": "MOVIE"}, "first": first})
    assert refusal(body) == ("BAD_USER_INPUT", "first")


# --- no N+1 -----------------------------------------------------------------------------


NESTED = """query($filter: ShowFilter) { shows(filter: $filter, first: 50) { nodes {
  venue { name } hall { name sections { key } } priceTiers { category } } } }"""


async def statements(stack: Stack, token: str) -> tuple[int, int]:
    """SQL statements and shows of one listing of the shows titled with ``token``."""
    rid = f"shows-{uuid.uuid4().hex}"
    client = GraphQL(stack.url("venue"), headers={"x-request-id": rid})
    with statements_of(rid) as seen:
        body = await client.data(NESTED, {"filter": {"text": token}})
    return len(seen), len(body["shows"]["nodes"])


async def titled(venues: Venues, owner: User, token: str, n: int) -> None:
    """``n`` shows on sale titled with ``token``, each in a hall (and venue) of its own."""
    for i in range(n):
        hall = await venues.hall(owner, small_map(categories=("STANDARD", "PREMIUM"),
                                                  standing=10))
        await published(venues, owner, hall["id"], at(19), title=f"{token} {i}")


async def test_listing_shows_with_venue_hall_and_tiers_costs_the_same_for_5_or_50(
        stack: Stack, venues: Venues, actors: Actors) -> None:
    few, many = f"few{uuid.uuid4().hex[:8]}", f"many{uuid.uuid4().hex[:8]}"
    await titled(venues, actors.organizer, few, 5)
    await titled(venues, actors.organizer, many, 50)
    (five, listed_five), (fifty, listed_fifty) = (await statements(stack, few),
                                                  await statements(stack, many))
    assert (listed_five, listed_fifty) == (5, 50)
    assert five >= 1
    assert fifty == five
