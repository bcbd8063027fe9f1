"""Halls: seat maps imported from the documented format, stable seat ids, the compact map,
validation naming the exact path with nothing stored, and who may add a hall."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from subgraphs.kernel.db import Database
from subgraphs.venue.models import TABLES, Hall, Seat, Section
from subgraphs.venue.seatmap import parse, seat_id
from tests.flows import Actors
from tests.harness import Stack, error_codes
from tests.integration.seating import (
    CREATE_HALL,
    FORMAT,
    SAMPLE_NAMES,
    Place,
    Venues,
    at,
    places,
    sample,
    small_map,
    stored_places,
)
from tests.integration.support import count, counts, refusal

HALL_MAPS = "query($id: ID!) { venue(id: $id) { halls { id seatMap } } }"
SHOW_MAP = "query($id: ID!) { show(id: $id) { seatMap } }"


@pytest.fixture
def venues(stack: Stack) -> Venues:
    return Venues(stack.client("venue"))


async def stored(db: Database) -> dict[str, int]:
    """Everything a createHall request could write."""
    return await counts(db, Hall, Section, Seat, TABLES.outbox)


async def hall_map(stack: Stack, venue_id: str, hall_id: str) -> dict[str, Any]:
    body = await stack.client("venue").data(HALL_MAPS, {"id": venue_id})
    (found,) = [h["seatMap"] for h in body["venue"]["halls"] if h["id"] == hall_id]
    return found  # type: ignore[no-any-return]


def decode(seat_map: dict[str, Any]) -> list[Place]:
    """The seats of a compact map, one ``Place`` per index of its parallel arrays."""
    cols = seat_map["seats"]
    sections = seat_map["sections"]
    categories = seat_map["categories"]
    return [Place(sections[cols["section"][i]]["key"], cols["row"][i], 0, cols["label"][i],
                  cols["x"][i], cols["y"][i], categories[cols["category"][i]],
                  bool(cols["flags"][i] & 1), bool(cols["flags"][i] & 2))
            for i in range(len(cols["id"]))]


def without_numbers(seats: list[Place]) -> list[Place]:
    # The compact map has no seat numbers: compare everything else.
    return [replace(s, number=0) for s in seats]


# --- importing --------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLE_NAMES)
async def test_a_sample_is_stored_seat_for_seat_in_document_order(
        venues: Venues, actors: Actors, dbs: dict[str, Database], name: str) -> None:
    document = sample(name)
    hall = await venues.hall(actors.organizer, document)
    assert await stored_places(dbs["venue"], hall["id"]) == places(document)


@pytest.mark.parametrize("name", SAMPLE_NAMES)
async def test_a_sample_keeps_its_sections_and_standing_capacities(
        venues: Venues, actors: Actors, name: str) -> None:
    document = sample(name)
    hall = await venues.hall(actors.organizer, document)
    expected = [(s["key"], s["name"], s.get("generalAdmission", {}).get("capacity"),
                 "generalAdmission" in s) for s in document["sections"]]
    assert [(s["key"], s["name"], s["capacity"], s["generalAdmission"])
            for s in hall["sections"]] == expected


async def test_the_arena_floor_is_standing_room_without_seats(
        venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await venues.hall(actors.organizer, sample("arena"))
    floor = next(s for s in hall["sections"] if s["key"] == "floor")
    assert (floor["generalAdmission"], floor["capacity"], floor["category"]) == (
        True, 3000, "STANDING")
    assert await count(dbs["venue"], Seat, Seat.section_id == floor["id"]) == 0


@pytest.mark.parametrize(("name", "label", "category", "accessible", "blocked"), [
    ("cinema", "A1", "WHEELCHAIR", True, False),
    ("cinema", "A2", "STANDARD", False, False),
    ("cinema", "C7", "STANDARD", False, True),
    ("cinema", "L14", "PREMIUM", False, False),
    ("arena", "LN-1-1", "PREMIUM", False, False),
    ("train", "C1-1A", "FIRST_CLASS", False, False),
])
async def test_sample_seats_have_the_labels_and_flags_the_document_gives(
        venues: Venues, actors: Actors, dbs: dict[str, Database], name: str, label: str,
        category: str, accessible: bool, blocked: bool) -> None:
    hall = await venues.hall(actors.organizer, sample(name))
    async with dbs["venue"].reader() as session:
        seat = await session.scalar(select(Seat).where(Seat.hall_id == hall["id"],
                                                       Seat.label == label))
    assert seat is not None
    assert (seat.category, seat.accessible, seat.blocked) == (category, accessible, blocked)


@pytest.mark.parametrize("name", SAMPLE_NAMES)
async def test_seat_ids_are_derived_from_the_hall_and_the_seats_place(
        venues: Venues, actors: Actors, dbs: dict[str, Database], name: str) -> None:
    hall = await venues.hall(actors.organizer, sample(name))
    async with dbs["venue"].reader() as session:
        rows = (await session.execute(
            select(Seat.id, Section.key, Seat.row_label, Seat.number)
            .join(Section, Section.id == Seat.section_id)
            .where(Seat.hall_id == hall["id"]))).all()
    assert rows
    assert [r.id for r in rows] == [seat_id(hall["id"], r.key, r.row_label, r.number)
                                    for r in rows]


async def test_the_same_map_in_another_hall_gets_other_seat_ids(
        venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    first = await venues.hall(actors.organizer, sample("cinema"))
    second = await venues.hall(actors.organizer, sample("cinema"))
    ids = []
    for hall in (first, second):
        async with dbs["venue"].reader() as session:
            ids.append(set(await session.scalars(select(Seat.id).where(
                Seat.hall_id == hall["id"]))))
    assert len(ids[0]) == len(ids[1]) == len(places(sample("cinema")))
    assert not ids[0] & ids[1]


@pytest.mark.parametrize("name", SAMPLE_NAMES)
async def test_the_compact_map_has_one_entry_per_seat_in_every_column(
        stack: Stack, venues: Venues, actors: Actors, name: str) -> None:
    hall = await venues.hall(actors.organizer, sample(name))
    seat_map = await hall_map(stack, hall["venueId"], hall["id"])
    lengths = {column: len(values) for column, values in seat_map["seats"].items()}
    assert set(lengths) == {"id", "label", "row", "x", "y", "category", "section", "flags"}
    assert set(lengths.values()) == {len(places(sample(name)))}


@pytest.mark.parametrize("name", SAMPLE_NAMES)
async def test_the_compact_map_decodes_to_the_stored_seats(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database],
        name: str) -> None:
    hall = await venues.hall(actors.organizer, sample(name))
    seat_map = await hall_map(stack, hall["venueId"], hall["id"])
    async with dbs["venue"].reader() as session:
        ids = list(await session.scalars(select(Seat.id).where(Seat.hall_id == hall["id"])
                                         .order_by(Seat.position)))
    assert seat_map["seats"]["id"] == ids
    assert decode(seat_map) == without_numbers(await stored_places(dbs["venue"], hall["id"]))


async def test_a_shows_seat_map_is_its_halls_map(
        stack: Stack, venues: Venues, actors: Actors) -> None:
    hall = await venues.hall(actors.organizer, sample("arena"))
    show = await venues.show(actors.organizer, hall["id"], at(19))
    body = await stack.client("venue").data(SHOW_MAP, {"id": show["id"]},
                                            actors.organizer.token)
    assert body["show"]["seatMap"] == await hall_map(stack, hall["venueId"], hall["id"])


def stadium(sections: int = 50, rows: int = 20, seats: int = 50) -> dict[str, Any]:
    """``sections * rows * seats`` seats in ``count`` rows, every one at its own place."""
    return {"format": FORMAT, "name": "Stadium", "kind": "STAGE", "sections": [
        {"key": f"s{s}", "rows": [
            {"label": f"{s}-{r}-", "y": (s * rows + r) * 10, "count": seats, "x": 0, "dx": 10}
            for r in range(rows)]}
        for s in range(sections)]}


async def test_a_fifty_thousand_seat_map_loads_in_one_call(
        venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await venues.hall(actors.organizer, stadium())
    assert len(hall["sections"]) == 50
    assert await count(dbs["venue"], Seat, Seat.hall_id == hall["id"]) == 50_000


# --- refusals ---------------------------------------------------------------------------


def base_map() -> dict[str, Any]:
    """A valid map each bad case below breaks in one place."""
    return {"format": FORMAT, "name": "Base", "sections": [
        {"key": "stalls", "rows": [
            {"label": "A", "y": 0, "seats": [{"number": 1, "x": 0}, {"number": 2, "x": 10}]},
            {"label": "B", "y": 10, "count": 3},
        ]},
        {"key": "floor", "generalAdmission": {"capacity": 100}},
    ]}


def breaking(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    document = copy.deepcopy(base_map())
    change(document)
    return document


def stalls(d: dict[str, Any]) -> dict[str, Any]:
    return d["sections"][0]  # type: ignore[no-any-return]


def row(d: dict[str, Any], i: int) -> dict[str, Any]:
    return stalls(d)["rows"][i]  # type: ignore[no-any-return]


BAD_MAPS: list[tuple[str, Callable[[dict[str, Any]], object], str]] = [
    ("other format", lambda d: d.update(format="ticketflow.seatmap/v2"), "seatMap.format"),
    ("no format", lambda d: d.pop("format"), "seatMap.format"),
    ("no name", lambda d: d.pop("name"), "seatMap.name"),
    ("blank name", lambda d: d.update(name="  "), "seatMap.name"),
    ("unknown kind", lambda d: d.update(kind="STADIUM"), "seatMap.kind"),
    ("no sections", lambda d: d.update(sections=[]), "seatMap.sections"),
    ("sections missing", lambda d: d.pop("sections"), "seatMap.sections"),
    ("section key with a space", lambda d: stalls(d).update(key="the stalls"),
     "seatMap.sections[0].key"),
    ("rows and generalAdmission",
     lambda d: d["sections"][1].update(rows=[{"label": "Z", "y": 90, "count": 1}]),
     "seatMap.sections[1]"),
    ("neither rows nor generalAdmission", lambda d: d["sections"][1].pop("generalAdmission"),
     "seatMap.sections[1]"),
    ("capacity 0", lambda d: d["sections"][1]["generalAdmission"].update(capacity=0),
     "seatMap.sections[1].generalAdmission.capacity"),
    ("capacity -5", lambda d: d["sections"][1]["generalAdmission"].update(capacity=-5),
     "seatMap.sections[1].generalAdmission.capacity"),
    ("no rows", lambda d: stalls(d).update(rows=[]), "seatMap.sections[0].rows"),
    ("seats: []", lambda d: row(d, 0).update(seats=[]), "seatMap.sections[0].rows[0].seats"),
    ("count: 0", lambda d: row(d, 1).update(count=0), "seatMap.sections[0].rows[1].count"),
    ("seats and count", lambda d: row(d, 0).update(count=2), "seatMap.sections[0].rows[0]"),
    ("seat without x", lambda d: row(d, 0)["seats"][1].pop("x"),
     "seatMap.sections[0].rows[0].seats[1].x"),
    ("duplicate seat number", lambda d: row(d, 0)["seats"][1].update(number=1, label="A1b"),
     "seatMap.sections[0].rows[0].seats[1].number"),
    ("duplicate row label", lambda d: row(d, 1).update(label="A"),
     "seatMap.sections[0].rows[1].label"),
    ("duplicate section key", lambda d: d["sections"][1].update(key="stalls"),
     "seatMap.sections[1].key"),
    ("duplicate seat label in the hall",
     lambda d: d["sections"].append({"key": "balcony", "rows": [
         {"label": "X", "y": 50, "seats": [{"number": 1, "x": 0, "label": "A2"}]}]}),
     "seatMap.sections[2].rows[0].seats[0].label"),
    ("duplicate seat label made by a counted row",
     lambda d: d["sections"].append({"key": "balcony", "rows": [
         {"label": "A", "y": 50, "count": 2}]}),
     "seatMap.sections[2].rows[0].label"),
    ("two seats at one place", lambda d: row(d, 0)["seats"][1].update(x=0),
     "seatMap.sections[0].rows[0].seats[1].x"),
    ("a seat at another section's place",
     lambda d: d["sections"].append({"key": "balcony", "rows": [
         {"label": "X", "y": 10, "seats": [{"number": 1, "x": 20}]}]}),
     "seatMap.sections[2].rows[0].seats[0].x"),
    ("a counted row over another row", lambda d: row(d, 1).update(y=0, x=5, dx=5),
     "seatMap.sections[0].rows[1].x"),
    ("blocked number not in the row", lambda d: row(d, 1).update(blocked=[7]),
     "seatMap.sections[0].rows[1].blocked"),
    ("accessible number not in the row", lambda d: row(d, 1).update(accessible=[0]),
     "seatMap.sections[0].rows[1].accessible"),
    ("lower-case row category", lambda d: row(d, 1).update(category="premium"),
     "seatMap.sections[0].rows[1].category"),
    ("seat category with a space", lambda d: row(d, 0)["seats"][0].update(category="VIP BOX"),
     "seatMap.sections[0].rows[0].seats[0].category"),
    ("standing category not a word",
     lambda d: d["sections"][1]["generalAdmission"].update(category="Standing!"),
     "seatMap.sections[1].generalAdmission.category"),
    ("over 100,000 seats", lambda d: stalls(d).update(rows=[
        {"label": f"R{i}", "y": 100 + i * 10, "count": 1000} for i in range(101)]),
     "seatMap.sections"),
]


@pytest.mark.parametrize(("change", "field"), [(c, f) for _, c, f in BAD_MAPS],
                         ids=[name for name, _, _ in BAD_MAPS])
async def test_a_bad_seat_map_names_the_exact_path_and_stores_nothing(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database],
        change: Callable[[dict[str, Any]], object], field: str) -> None:
    venue_id = await venues.venue(actors.organizer)
    before = await stored(dbs["venue"])
    body = await stack.client("venue").run(
        CREATE_HALL, {"venue": venue_id, "map": breaking(change)}, actors.organizer.token)
    assert refusal(body) == ("BAD_USER_INPUT", field)
    assert await stored(dbs["venue"]) == before


def test_the_base_map_of_the_bad_cases_is_valid() -> None:
    # Each bad case differs from it in one place only: it must itself be a valid map.
    assert parse(base_map()).seat_count == 5


async def test_a_map_that_is_not_an_object_is_refused(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    venue_id = await venues.venue(actors.organizer)
    before = await stored(dbs["venue"])
    body = await stack.client("venue").run(CREATE_HALL, {"venue": venue_id, "map": [base_map()]},
                                           actors.organizer.token)
    assert refusal(body) == ("BAD_USER_INPUT", "seatMap")
    assert await stored(dbs["venue"]) == before


async def test_a_second_hall_of_the_same_name_is_a_conflict_and_stores_nothing(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await venues.hall(actors.organizer, small_map("Screen 1"))
    before = await stored(dbs["venue"])
    body = await stack.client("venue").run(
        CREATE_HALL, {"venue": hall["venueId"], "map": small_map("Screen 1", ("PREMIUM",))},
        actors.organizer.token)
    assert refusal(body) == ("CONFLICT", "seatMap.name")
    assert await stored(dbs["venue"]) == before


async def test_the_same_hall_name_in_another_venue_is_fine(
        venues: Venues, actors: Actors) -> None:
    first = await venues.hall(actors.organizer, small_map("Screen 1"))
    second = await venues.hall(actors.organizer, small_map("Screen 1"))
    assert first["venueId"] != second["venueId"]
    assert second["name"] == "Screen 1"


# --- who may add a hall -----------------------------------------------------------------


@pytest.mark.parametrize(("who", "code"), [
    (None, "UNAUTHENTICATED"), ("customer", "FORBIDDEN"), ("other_organizer", "FORBIDDEN"),
])
async def test_only_the_venue_owner_and_admins_add_halls(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database], who: str | None,
        code: str) -> None:
    venue_id = await venues.venue(actors.organizer)
    before = await stored(dbs["venue"])
    token = getattr(actors, who).token if who else None
    body = await stack.client("venue").run(CREATE_HALL, {"venue": venue_id, "map": small_map()},
                                           token)
    assert error_codes(body) == [code]
    assert await stored(dbs["venue"]) == before


@pytest.mark.parametrize("who", ["organizer", "admin"])
async def test_the_venue_owner_and_admins_add_a_hall_to_the_venue(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database],
        who: str) -> None:
    venue_id = await venues.venue(actors.organizer)
    body = await stack.client("venue").data(
        CREATE_HALL, {"venue": venue_id, "map": small_map()}, getattr(actors, who).token)
    assert await count(dbs["venue"], Hall, Hall.id == body["createHall"]["id"],
                       Hall.venue_id == venue_id) == 1


async def test_a_hall_for_an_unknown_venue_is_not_found_and_stores_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    before = await stored(dbs["venue"])
    body = await stack.client("venue").run(
        CREATE_HALL, {"venue": str(uuid.uuid4()), "map": small_map()}, actors.organizer.token)
    assert refusal(body) == ("NOT_FOUND", "venueId")
    assert await stored(dbs["venue"]) == before
