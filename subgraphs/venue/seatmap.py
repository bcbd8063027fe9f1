"""The seat-map document (``ticketflow.seatmap/v1``, docs/seatmap-format.md): parse and
validate it into plain specs, naming the exact path of the first problem."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from subgraphs.kernel.errors import BadUserInput

FORMAT = "ticketflow.seatmap/v1"
HALL_KINDS = ("SCREEN", "STAGE", "CONSIST", "AIRCRAFT", "OTHER")
MAX_SEATS = 100_000
MAX_ROW = 1_000
MAX_CAPACITY = 1_000_000
KEY = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
CATEGORY = re.compile(r"^[A-Z][A-Z0-9_]{0,39}$")
# Seat ids are derived from the hall and the seat's place, so they never change.
SEAT_NAMESPACE = uuid.UUID("5b7a4c1e-8f0a-4c3e-9d2b-6a1f0e7c3b21")


@dataclass(frozen=True)
class SeatSpec:
    number: int
    label: str
    x: int
    y: int
    category: str
    accessible: bool = False
    blocked: bool = False


@dataclass(frozen=True)
class RowSpec:
    label: str
    seats: list[SeatSpec]
    counted: bool = False  # laid out from ``count``: its seats have no path of their own


@dataclass(frozen=True)
class SectionSpec:
    key: str
    name: str
    rows: list[RowSpec] = field(default_factory=list)
    capacity: int | None = None  # general admission when set
    category: str | None = None


@dataclass(frozen=True)
class HallSpec:
    name: str
    kind: str
    sections: list[SectionSpec]

    @property
    def seat_count(self) -> int:
        return sum(len(r.seats) for s in self.sections for r in s.rows)

    def categories(self) -> set[str]:
        """Every price category the hall uses: seats for sale and standing sections."""
        found = {seat.category for s in self.sections for r in s.rows for seat in r.seats
                 if not seat.blocked}
        return found | {s.category for s in self.sections if s.category is not None}


def seat_id(hall_id: str, section_key: str, row_label: str, number: int) -> str:
    """The stable id of a seat."""
    return str(uuid.uuid5(SEAT_NAMESPACE, f"{hall_id}/{section_key}/{row_label}/{number}"))


def section_id(hall_id: str, section_key: str) -> str:
    """The stable id of a section."""
    return str(uuid.uuid5(SEAT_NAMESPACE, f"{hall_id}/{section_key}"))


def _bad(path: str, message: str) -> BadUserInput:
    return BadUserInput(message, field=path)


def _obj(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(path, "Expected an object.")
    return value


def _int(value: Any, path: str, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(path, "Expected a whole number.")
    if low is not None and value < low:
        raise _bad(path, f"Must be at least {low}.")
    if high is not None and value > high:
        raise _bad(path, f"Must be at most {high}.")
    return value


def _text(value: Any, path: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
        raise _bad(path, f"Expected text of 1 to {limit} characters.")
    return value.strip()


def _category(value: Any, path: str, default: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str) or not CATEGORY.match(value):
        raise _bad(path, "A category is an upper-case word such as STANDARD or FIRST_CLASS.")
    return value


def _flag(value: Any, path: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _bad(path, "Expected true or false.")
    return value


def _numbers(value: Any, path: str) -> set[int]:
    if value is None:
        return set()
    if not isinstance(value, list):
        raise _bad(path, "Expected a list of seat numbers.")
    return {_int(n, f"{path}[{i}]") for i, n in enumerate(value)}


def _row(raw: Any, path: str) -> tuple[str, list[SeatSpec]]:
    row = _obj(raw, path)
    label = _text(row.get("label"), f"{path}.label", 20)
    y = _int(row.get("y"), f"{path}.y")
    category = _category(row.get("category"), f"{path}.category", "STANDARD")
    has_seats, has_count = "seats" in row, "count" in row
    if has_seats == has_count:
        raise _bad(path, "A row has either a seats list or a count.")
    if has_count:
        count = _int(row["count"], f"{path}.count", 1, MAX_ROW)
        first = _int(row.get("from", 1), f"{path}.from")
        x0 = _int(row.get("x", 0), f"{path}.x")
        dx = _int(row.get("dx", 10), f"{path}.dx", 1)
        accessible = _numbers(row.get("accessible"), f"{path}.accessible")
        blocked = _numbers(row.get("blocked"), f"{path}.blocked")
        template = row.get("seatLabel", "{row}{number}")
        if not isinstance(template, str) or "{number}" not in template or len(template) > 40:
            raise _bad(f"{path}.seatLabel", "A seat label template contains {number}.")
        numbers = range(first, first + count)
        for name, chosen in (("accessible", accessible), ("blocked", blocked)):
            stray = sorted(chosen - set(numbers))
            if stray:
                raise _bad(f"{path}.{name}", f"Seat {stray[0]} is not in this row.")
        return label, [SeatSpec(n, template.replace("{row}", label).replace("{number}", str(n)),
                                x0 + (n - first) * dx, y, category, n in accessible,
                                n in blocked) for n in numbers]
    seats_raw = row["seats"]
    if not isinstance(seats_raw, list) or not seats_raw:
        raise _bad(f"{path}.seats", "A row needs at least one seat.")
    if len(seats_raw) > MAX_ROW:
        raise _bad(f"{path}.seats", f"A row has at most {MAX_ROW} seats.")
    seats: list[SeatSpec] = []
    numbers_seen: set[int] = set()
    for j, raw_seat in enumerate(seats_raw):
        sp = f"{path}.seats[{j}]"
        seat = _obj(raw_seat, sp)
        number = _int(seat.get("number"), f"{sp}.number")
        if number in numbers_seen:
            raise _bad(f"{sp}.number", f"Seat number {number} appears twice in row {label}.")
        numbers_seen.add(number)
        seat_label = (_text(seat["label"], f"{sp}.label", 40) if "label" in seat
                      else f"{label}{number}")
        seats.append(SeatSpec(
            number, seat_label, _int(seat.get("x"), f"{sp}.x"),
            _int(seat.get("y", y), f"{sp}.y"),
            _category(seat.get("category"), f"{sp}.category", category),
            _flag(seat.get("accessible"), f"{sp}.accessible"),
            _flag(seat.get("blocked"), f"{sp}.blocked")))
    return label, seats


def _section(raw: Any, path: str) -> SectionSpec:
    section = _obj(raw, path)
    key = section.get("key")
    if not isinstance(key, str) or not KEY.match(key):
        raise _bad(f"{path}.key", "A key has 1 to 40 of A-Z a-z 0-9 _ -.")
    name = _text(section.get("name", key), f"{path}.name", 200)
    has_rows, has_ga = "rows" in section, "generalAdmission" in section
    if has_rows == has_ga:
        raise _bad(path, "A section has either rows or generalAdmission.")
    if has_ga:
        ga = _obj(section["generalAdmission"], f"{path}.generalAdmission")
        capacity = _int(ga.get("capacity"), f"{path}.generalAdmission.capacity", 1,
                        MAX_CAPACITY)
        category = _category(ga.get("category"), f"{path}.generalAdmission.category",
                             "STANDARD")
        return SectionSpec(key, name, capacity=capacity, category=category)
    rows_raw = section["rows"]
    if not isinstance(rows_raw, list) or not rows_raw:
        raise _bad(f"{path}.rows", "A seated section needs at least one row.")
    rows: list[RowSpec] = []
    labels: set[str] = set()
    for i, raw_row in enumerate(rows_raw):
        label, seats = _row(raw_row, f"{path}.rows[{i}]")
        if label in labels:
            raise _bad(f"{path}.rows[{i}].label", f"Row {label} appears twice in {key}.")
        labels.add(label)
        rows.append(RowSpec(label, seats, counted="count" in raw_row))
    return SectionSpec(key, name, rows=rows)


def parse(document: Any, path: str = "seatMap") -> HallSpec:
    """The hall a document describes, or ``BAD_USER_INPUT`` naming the first problem."""
    doc = _obj(document, path)
    if doc.get("format") != FORMAT:
        raise _bad(f"{path}.format", f"Expected format {FORMAT}.")
    name = _text(doc.get("name"), f"{path}.name", 200)
    kind = doc.get("kind", "OTHER")
    if kind not in HALL_KINDS:
        raise _bad(f"{path}.kind", f"Expected one of {', '.join(HALL_KINDS)}.")
    sections_raw = doc.get("sections")
    if not isinstance(sections_raw, list) or not sections_raw:
        raise _bad(f"{path}.sections", "A hall needs at least one section.")
    sections: list[SectionSpec] = []
    keys: set[str] = set()
    for i, raw in enumerate(sections_raw):
        section = _section(raw, f"{path}.sections[{i}]")
        if section.key in keys:
            raise _bad(f"{path}.sections[{i}].key", f"Section {section.key} appears twice.")
        keys.add(section.key)
        sections.append(section)
    hall = HallSpec(name, kind, sections)
    if hall.seat_count > MAX_SEATS:
        raise _bad(f"{path}.sections", f"A hall has at most {MAX_SEATS} seats.")
    _check_unique_places(hall, path)
    return hall


def _check_unique_places(hall: HallSpec, path: str) -> None:
    labels: dict[str, str] = {}
    places: dict[tuple[int, int], str] = {}
    for i, section in enumerate(hall.sections):
        for r, row in enumerate(section.rows):
            row_path = f"{path}.sections[{i}].rows[{r}]"
            for j, seat in enumerate(row.seats):
                # A counted row's seats are named by the row's own fields (label, x).
                where = row_path if row.counted else f"{row_path}.seats[{j}]"
                seen = f"{row_path} seat {seat.number}" if row.counted else where
                if seat.label in labels:
                    raise _bad(f"{where}.label",
                               f"Label {seat.label} is also used at {labels[seat.label]}.")
                labels[seat.label] = seen
                if (seat.x, seat.y) in places:
                    raise _bad(f"{where}.x", f"Seat {seat.label} is drawn at the same place "
                                             f"as {places[(seat.x, seat.y)]}.")
                places[(seat.x, seat.y)] = seen
