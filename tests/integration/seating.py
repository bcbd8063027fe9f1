"""What the hall and show tests share: seat-map documents, venue operations, stored rows."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from subgraphs.kernel.db import Database
from subgraphs.venue.models import TABLES, Seat, Section
from tests.flows import User
from tests.harness import GraphQL

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "seatmaps"
SAMPLE_NAMES = sorted(p.stem for p in SAMPLES.glob("*.json"))
FORMAT = "ticketflow.seatmap/v1"

CREATE_VENUE = "mutation($i: CreateVenueInput!) { createVenue(input: $i) { id } }"
CREATE_HALL = """mutation($venue: ID!, $map: JSON!) { createHall(venueId: $venue, seatMap: $map) {
  id name kind sections { id key name capacity category generalAdmission } } }"""
SHOW_FIELDS = """id title kind status startsAt endsAt currency venueId hallId
  priceTiers { category price { amount currency } } stops { name departsAt }
  legs { index from to }"""
CREATE_SHOW = f"mutation($i: CreateShowInput!) {{ createShow(input: $i) {{ {SHOW_FIELDS} }} }}"
PUBLISH_SHOW = "mutation($id: ID!) { publishShow(id: $id) { id status } }"
CANCEL_SHOW = "mutation($id: ID!) { cancelShow(id: $id) { id status } }"
SHOW = "query($id: ID!) { show(id: $id) { id status } }"


def sample(name: str) -> dict[str, Any]:
    """A sample seat map of samples/seatmaps/, as a fresh dict."""
    return json.loads((SAMPLES / f"{name}.json").read_text())  # type: ignore[no-any-return]


def small_map(name: str = "Small", categories: tuple[str, ...] = ("STANDARD",),
              standing: int | None = None) -> dict[str, Any]:
    """A hall with one row of two seats per category, and a standing floor if asked."""
    rows = [{"label": f"R{i}", "y": i * 10, "count": 2, "category": c}
            for i, c in enumerate(categories)]
    sections: list[dict[str, Any]] = [{"key": "seated", "rows": rows}]
    if standing is not None:
        sections.append({"key": "floor", "generalAdmission": {
            "capacity": standing, "category": "STANDING"}})
    return {"format": FORMAT, "name": name, "kind": "STAGE", "sections": sections}


@dataclass(frozen=True)
class Place:
    """One seat as a test reads it from a seat-map document (docs/seatmap-format.md)."""

    section: str
    row: str
    number: int
    label: str
    x: int
    y: int
    category: str
    accessible: bool
    blocked: bool


def places(document: dict[str, Any]) -> list[Place]:
    """Every seat a valid document describes, in document order."""
    found = []
    for section in document["sections"]:
        for row in section.get("rows", []):
            category = row.get("category", "STANDARD")
            if "count" in row:
                first, x0, dx = row.get("from", 1), row.get("x", 0), row.get("dx", 10)
                for i in range(row["count"]):
                    n = first + i
                    found.append(Place(section["key"], row["label"], n, f"{row['label']}{n}",
                                       x0 + i * dx, row["y"], category,
                                       n in row.get("accessible", []),
                                       n in row.get("blocked", [])))
                continue
            for s in row["seats"]:
                found.append(Place(section["key"], row["label"], s["number"],
                                   s.get("label", f"{row['label']}{s['number']}"), s["x"],
                                   s.get("y", row["y"]), s.get("category", category),
                                   s.get("accessible", False), s.get("blocked", False)))
    return found


async def stored_places(db: Database, hall_id: str) -> list[Place]:
    """A hall's seats as stored, in map order."""
    async with db.reader() as session:
        rows = (await session.execute(
            select(Section.key, Seat).join(Section, Section.id == Seat.section_id)
            .where(Seat.hall_id == hall_id).order_by(Seat.position))).all()
    return [Place(key, s.row_label, s.number, s.label, s.x, s.y, s.category, s.accessible,
                  s.blocked) for key, s in rows]


async def events(db: Database, event_type: str, show_id: str) -> list[dict[str, Any]]:
    """The payloads of one show's events of ``event_type`` in the venue outbox."""
    outbox = TABLES.outbox
    async with db.reader() as session:
        rows = (await session.execute(
            select(outbox.c.body).where(outbox.c.type == event_type))).scalars()
        bodies = [json.loads(b) for b in rows]
    return [b["payload"] for b in bodies if b["payload"].get("show_id") == show_id]


def at(hour: int, day: int = 1, offset: str = "+00:00") -> str:
    """An ISO time on a fixed future day (shows of a test live in their own halls)."""
    return f"2032-03-{day:02d}T{hour:02d}:00:00{offset}"


@dataclass
class Venues:
    """Venue, hall and show operations on the venue subgraph, as one organizer would."""

    client: GraphQL

    async def venue(self, owner: User) -> str:
        body = await self.client.data(CREATE_VENUE, {"i": {"name": f"V {uuid.uuid4().hex[:8]}",
                                                                "timeZone": "UTC"}},
                                      owner.token)
        return str(body["createVenue"]["id"])

    async def hall(self, owner: User, document: dict[str, Any] | None = None,
                   venue_id: str | None = None) -> dict[str, Any]:
        """A new hall (in a new venue of ``owner`` unless ``venue_id``); its fields."""
        venue_id = venue_id or await self.venue(owner)
        body = await self.client.data(CREATE_HALL, {"venue": venue_id,
                                                    "map": document or small_map()}, owner.token)
        return {**body["createHall"], "venueId": venue_id}

    async def show(self, owner: User, hall_id: str, starts_at: str,
                   **changes: Any) -> dict[str, Any]:
        """A draft show; priced at 1000 EUR minor units for every category unless changed."""
        body = await self.client.data(CREATE_SHOW, {"i": show_input(hall_id, starts_at,
                                                                    **changes)}, owner.token)
        return body["createShow"]  # type: ignore[no-any-return]

    async def publish(self, owner: User, show_id: str) -> dict[str, Any]:
        body = await self.client.data(PUBLISH_SHOW, {"id": show_id}, owner.token)
        return body["publishShow"]  # type: ignore[no-any-return]


def show_input(hall_id: str, starts_at: str, **changes: Any) -> dict[str, Any]:
    """A ``CreateShowInput`` for ``hall_id``."""
    return {"hallId": hall_id, "title": "Test Show", "startsAt": starts_at,
            "price": {"amount": 1000, "currency": "EUR"}, **changes}
