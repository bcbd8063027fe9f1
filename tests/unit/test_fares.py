"""The pricing rule of journeys (booking/fares.py) and the checks of createShow's fares
(venue/fares.py), without servers."""

from __future__ import annotations

import pytest

from subgraphs.booking.fares import segment_fare, unit_price
from subgraphs.kernel.errors import BadUserInput
from subgraphs.venue.fares import FareClass, FareSpec, LegAmounts, OdFare, fare_document

DOC = {"legs": {"FIRST": [2000, 1500, 2500]},
       "od": {"FIRST": {"0-3": 5000}, "SECOND": {"0-1": 300, "1-3": 700}},
       "classes": [{"name": "SAVER", "percent": 55, "quota": 2},
                   {"name": "HALF", "percent": 50, "quota": None}]}


@pytest.mark.parametrize(("category", "legs", "fare"), [
    ("FIRST", range(0, 3), 5000),  # the table's pair
    ("FIRST", range(0, 2), 3500),  # no pair: the legs' sum
    ("FIRST", range(2, 3), 2500),
    ("SECOND", range(1, 3), 700),
    ("THIRD", range(0, 3), 999),  # neither: the price tier
])
def test_a_segment_costs_its_pair_else_its_legs_else_its_tier(
        category: str, legs: range, fare: int) -> None:
    assert segment_fare(DOC, category, 999, legs) == fare


def test_a_fare_class_takes_its_percent_rounded_half_up() -> None:
    assert unit_price(DOC, "FIRST", 0, range(0, 1), "SAVER") == 1100
    assert unit_price(DOC, "SECOND", 0, range(1, 3), "SAVER") == 385  # 385.0
    assert unit_price(DOC, "THIRD", 999, range(0, 1), "HALF") == 500  # 499.5 -> 500
    assert unit_price(DOC, "THIRD", 997, range(0, 1), "HALF") == 499  # 498.5 -> 499
    assert unit_price(None, "THIRD", 999, range(0, 1), None) == 999


@pytest.mark.parametrize(("doc", "category", "base", "legs", "fare_class", "type_price",
                          "price"), [
    # No segment fares: the ticket type's price itself, whatever the tier.
    (None, "FIRST", 9000, range(0, 3), None, 6093, 6093),
    (DOC, "THIRD", 1000, range(0, 3), None, 650, 650),
    # A show with classes but no fares: the type's price, then the class, half up.
    (DOC, "THIRD", 1000, range(0, 1), "SAVER", 650, 358),  # 357.5 -> 358
    # A journey: the fare scaled by type / tier, half up, then the class, half up.
    (DOC, "FIRST", 9000, range(0, 2), None, 6093, 2370),  # 3500 * 6093/9000 = 2369.5
    (DOC, "FIRST", 9000, range(0, 2), "SAVER", 6093, 1304),  # 2370 * 55 % = 1303.5
    (DOC, "FIRST", 9000, range(0, 2), "SAVER", 9000, 1925),  # the tier's type: the fare
    (DOC, "FIRST", 9000, range(0, 3), "HALF", 3000, 834),  # 1666.67 -> 1667; 833.5 -> 834
    (DOC, "SECOND", 400, range(0, 1), None, 200, 150),  # 300 * 200/400
    # A free tier has no ratio: the type's price is the fare.
    (DOC, "FIRST", 0, range(0, 2), "HALF", 801, 401),
])
def test_a_ticket_type_scales_the_fare_then_the_class_applies(
        doc: dict[str, object] | None, category: str, base: int, legs: range,
        fare_class: str | None, type_price: int, price: int) -> None:
    assert unit_price(doc, category, base, legs, fare_class, type_price) == price


def check(spec: FareSpec, stops: int = 4, seats: int = 8) -> tuple[str | None, object]:
    try:
        return None, fare_document(spec, stops, {"FIRST", "SECOND"}, seats)
    except BadUserInput as e:
        return e.details["field"], None


def test_a_complete_document_is_kept_as_given() -> None:
    od = [OdFare(a, b, "SECOND", 10 * a + b) for a in range(4) for b in range(a + 1, 4)]
    field, doc = check(FareSpec([LegAmounts("FIRST", [1, 2, 3])], od,
                                [FareClass("SAVER", 70, 8)]))
    assert field is None
    assert doc == {"legs": {"FIRST": [1, 2, 3]},
                   "od": {"SECOND": {f"{a}-{b}": 10 * a + b for a in range(4)
                                     for b in range(a + 1, 4)}},
                   "classes": [{"name": "SAVER", "percent": 70, "quota": 8}]}
    assert check(FareSpec()) == (None, None)


@pytest.mark.parametrize(("spec", "field"), [
    (FareSpec([LegAmounts("FIRST", [1, 2])]), "input.fares.legAmounts[0].amounts"),
    (FareSpec([LegAmounts("FIRST", [1, -2, 3])]), "input.fares.legAmounts[0].amounts[1]"),
    (FareSpec([LegAmounts("FIRST", [1, 2, 3]), LegAmounts("FIRST", [1, 2, 3])]),
     "input.fares.legAmounts[1].category"),
    (FareSpec(od=[OdFare(0, 3, "FIRST", 1)]), "input.fares.odFares"),
    (FareSpec(od=[OdFare(1, 1, "FIRST", 1)]), "input.fares.odFares[0].from"),
    (FareSpec(od=[OdFare(0, 4, "FIRST", 1)]), "input.fares.odFares[0].from"),
    (FareSpec(od=[OdFare(0, 1, "NONE", 1)]), "input.fares.odFares[0].category"),
    (FareSpec(classes=[FareClass("SAVER", 100, 9)]), "input.fareClasses[0].quota"),
    (FareSpec(classes=[FareClass("SAVER", 100, -1)]), "input.fareClasses[0].quota"),
    (FareSpec(classes=[FareClass("SAVER", 1001)]), "input.fareClasses[0].percent"),
    (FareSpec(classes=[FareClass("Saver")]), "input.fareClasses[0].name"),
])
def test_bad_fares_name_their_field(spec: FareSpec, field: str) -> None:
    assert check(spec)[0] == field


def test_fares_per_leg_need_stops() -> None:
    assert check(FareSpec([LegAmounts("FIRST", [1])]), stops=0)[0] == \
        "input.fares.legAmounts[0]"
    assert check(FareSpec(classes=[FareClass("SAVER", 70, 8)]), stops=0)[0] is None
