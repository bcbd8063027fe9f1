"""Fares of a journey and fare classes: ``createShow``'s ``fares`` and ``fareClasses``,
checked and turned into the document venue stores with the show and sends to booking in
``ShowPublished`` (booking prices holds from it: :mod:`subgraphs.booking.fares`).

The document (JSON)::

    {"legs":    {"FIRST": [2000, 1500, 2500]},          # one amount per leg, per category
     "od":      {"FIRST": {"0-3": 5000, "0-1": 1900}},  # from-to -> amount, per category
     "classes": [{"name": "SAVER", "percent": 70, "quota": 20},
                 {"name": "FLEX", "percent": 120, "quota": null}]}

Rules (documented in the README, Journeys):

* A segment's fare in a category is its origin-destination amount when the table has that
  pair; otherwise the sum of the category's per-leg amounts over the segment's legs. A
  category in ``odFares`` without ``legAmounts`` must therefore list every pair of stops
  (``from`` < ``to``); a category with neither keeps its price tier whatever the segment.
* A fare class prices a seat at ``percent`` of that fare, rounded half up to the minor
  unit, and may hold at most ``quota`` seats on each leg (no quota: unlimited).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from subgraphs.kernel.errors import BadUserInput

CLASS_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,39}$")
MAX_PERCENT = 1000


@dataclass(frozen=True)
class LegAmounts:
    category: str
    amounts: list[int]


@dataclass(frozen=True)
class OdFare:
    origin: int
    destination: int
    category: str
    amount: int


@dataclass(frozen=True)
class FareClass:
    name: str
    percent: int = 100
    quota: int | None = None


@dataclass(frozen=True)
class FareSpec:
    """What ``createShow`` was asked for (not yet checked against the hall)."""

    legs: list[LegAmounts] = field(default_factory=list)
    od: list[OdFare] = field(default_factory=list)
    classes: list[FareClass] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.legs or self.od or self.classes)


def fare_document(spec: FareSpec, stops: int, categories: Iterable[str],
                  seats: int) -> dict[str, Any] | None:
    """The checked document for a show with ``stops`` stops (0: none), whose hall uses
    ``categories`` and has ``seats`` seats for sale; ``None`` when nothing was asked.
    ``BAD_USER_INPUT`` naming the field otherwise."""
    if spec.empty:
        return None
    known = set(categories)
    legs = max(1, stops - 1)
    per_leg = _leg_amounts(spec.legs, stops, legs, known)
    od = _od_fares(spec.od, stops, known, per_leg)
    classes = _classes(spec.classes, seats)
    return {"legs": per_leg, "od": od, "classes": classes}


def _category(category: str, known: set[str], field: str) -> None:
    if category not in known:
        raise BadUserInput(f"The hall has no category {category}.", field=field)


def _leg_amounts(given: Sequence[LegAmounts], stops: int, legs: int,
                 known: set[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for i, item in enumerate(given):
        where = f"input.fares.legAmounts[{i}]"
        if stops == 0:
            raise BadUserInput("Per-leg fares need stops.", field=where)
        _category(item.category, known, f"{where}.category")
        if item.category in found:
            raise BadUserInput(f"{item.category} has leg amounts twice.",
                               field=f"{where}.category")
        if len(item.amounts) != legs:
            raise BadUserInput(f"Give one amount per leg: {legs}, not {len(item.amounts)}.",
                               field=f"{where}.amounts")
        for j, amount in enumerate(item.amounts):
            if amount < 0:
                raise BadUserInput("A fare cannot be negative.", field=f"{where}.amounts[{j}]")
        found[item.category] = list(item.amounts)
    return found


def _od_fares(given: Sequence[OdFare], stops: int, known: set[str],
              per_leg: dict[str, list[int]]) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for i, item in enumerate(given):
        where = f"input.fares.odFares[{i}]"
        if stops == 0:
            raise BadUserInput("Origin-destination fares need stops.", field=where)
        _category(item.category, known, f"{where}.category")
        if not 0 <= item.origin < item.destination < stops:
            raise BadUserInput(f"Choose stops from < to, between 0 and {stops - 1}.",
                               field=f"{where}.from")
        if item.amount < 0:
            raise BadUserInput("A fare cannot be negative.", field=f"{where}.amount")
        pairs = found.setdefault(item.category, {})
        pair = f"{item.origin}-{item.destination}"
        if pair in pairs:
            raise BadUserInput(f"{item.category} from {item.origin} to {item.destination} "
                               "is priced twice.", field=where)
        pairs[pair] = item.amount
    for category, pairs in found.items():
        if category in per_leg:
            continue  # missing pairs fall back to the per-leg sums
        for a in range(stops):
            for b in range(a + 1, stops):
                if f"{a}-{b}" not in pairs:
                    raise BadUserInput(
                        f"{category} has no fare from stop {a} to {b}: give every pair, "
                        "or legAmounts to fall back to.", field="input.fares.odFares",
                        category=category, **{"from": a, "to": b})
    return found


def _classes(given: Sequence[FareClass], seats: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    names: set[str] = set()
    for i, item in enumerate(given):
        where = f"input.fareClasses[{i}]"
        if not CLASS_NAME.match(item.name):
            raise BadUserInput("A fare class is 1 to 40 capital letters, digits or _, "
                               "starting with a letter.", field=f"{where}.name")
        if item.name in names:
            raise BadUserInput(f"{item.name} is given twice.", field=f"{where}.name")
        names.add(item.name)
        if not 1 <= item.percent <= MAX_PERCENT:
            raise BadUserInput(f"percent is 1 to {MAX_PERCENT}.", field=f"{where}.percent")
        if item.quota is not None and not 0 <= item.quota <= seats:
            raise BadUserInput(f"A quota is 0 to the hall's {seats} seats per leg.",
                               field=f"{where}.quota")
        found.append({"name": item.name, "percent": item.percent, "quota": item.quota})
    return found
