"""The three sample venues load from the repository's files, each with a show on sale that
a client can find and draw through the router."""

from __future__ import annotations

import itertools
import json

import pytest

from subgraphs.seed import DEMO_SHOWS, SAMPLES, Demo, SampleShow, seed_demo
from subgraphs.venue import seatmap
from tests.harness import GraphQL, Processes, Stack, eventually

SHOW = """query($id: ID!) { show(id: $id) {
  title kind status hall { name kind sections { key capacity generalAdmission } }
  priceTiers { category price { amount currency } } legs { index from to }
  seatMap availability { total available } } }"""
FIND = """query($f: ShowFilter) { shows(filter: $f, first: 10) { nodes { id title } } }"""


@pytest.fixture(scope="module")
async def demo(e2e: tuple[Stack, Processes]) -> Demo:
    stack, _ = e2e
    # Loaded here, or found already loaded by another module (the examples' test).
    loaded = await seed_demo(stack.settings)
    titles = [title for _, title in loaded.shows]
    assert all(titles.count(sample.title) == 1 for sample in DEMO_SHOWS), titles
    return loaded


@pytest.mark.parametrize("sample", DEMO_SHOWS, ids=lambda s: s.seat_map)
async def test_each_sample_has_a_show_on_sale_a_client_can_draw(
        e2e: tuple[Stack, Processes], demo: Demo, sample: SampleShow) -> None:
    stack, _ = e2e
    router = GraphQL(stack.router_url)
    show_id = next(i for i, title in demo.shows if title == sample.title)
    hall = seatmap.parse(json.loads((SAMPLES / sample.seat_map).read_text()))

    async def sellable() -> dict | None:
        data = await router.data(SHOW, {"id": show_id})
        return data["show"] if data["show"]["availability"] else None

    show = await eventually(sellable)
    assert (show["title"], show["status"]) == (sample.title, "ON_SALE")
    assert show["hall"]["name"] == hall.name
    drawn = show["seatMap"]["seats"]
    assert {len(column) for column in drawn.values()} == {hall.seat_count}
    expected_labels = [seat.label for s in hall.sections for r in s.rows for seat in r.seats]
    assert drawn["label"] == expected_labels
    for_sale = sum(1 for s in hall.sections for r in s.rows for seat in r.seats
                   if not seat.blocked)
    assert show["availability"]["total"] == for_sale
    assert {t["category"] for t in show["priceTiers"]} == hall.categories()
    standing = [s for s in show["hall"]["sections"] if s["generalAdmission"]]
    assert [s["capacity"] for s in standing] == [s.capacity for s in hall.sections
                                                   if s.capacity is not None]
    stops = sample.stops
    assert [(leg["from"], leg["to"]) for leg in show["legs"]] == list(itertools.pairwise(stops))


async def test_a_client_finds_the_samples_by_kind_and_title(
        e2e: tuple[Stack, Processes], demo: Demo) -> None:
    stack, _ = e2e
    router = GraphQL(stack.router_url)
    trains = await router.data(FIND, {"f": {"kind": "TRAIN"}})
    assert [s["title"] for s in trains["shows"]["nodes"]] == ["ICE 1042 Hamburg - Munich"]
    found = await router.data(FIND, {"f": {"text": "northern"}})
    assert [s["title"] for s in found["shows"]["nodes"]] == ["Northern Lights Live"]
