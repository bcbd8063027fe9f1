"""A show's counts, kept in step by every change and read without recounting its seats.

``show_counts`` has a row per show, category and leg (``total``, ``held``, ``sold``);
``ga_sections`` carries each standing section's ``held`` and ``sold``. Changes move them
in the transaction that changes the seats, under the show's lock (the version bump,
:mod:`.ledger`), so the counts a live message carries are exactly those of its version.

``held`` includes holds that lapsed but were not swept yet: they still own their rows.
Buyers must see those seats and places as available the moment they lapse, so every read
subtracts what lapsed holds own (``lapsed``), found through the holds' expiry index — a
handful of rows, never a scan of the show.

On PostgreSQL, applying the changes and reading every count is one statement; SQLite
(embedded, one writer at a time) runs a few simple ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.booking.models import (
    HELD,
    AdmissionSection,
    Hold,
    HoldAdmission,
    HoldStatus,
    ShowCount,
    ShowSeat,
)

# (category, leg) -> [held delta, sold delta]
Deltas = Mapping[tuple[str, int], Sequence[int]]
# Holds whose seats still show as held until they lapse.
LIVE = (HoldStatus.ACTIVE, HoldStatus.CHECKED_OUT)


@dataclass(frozen=True)
class SeatCount:
    """One category on one leg: rows in each state, and how many held ones have lapsed."""

    category: str
    leg: int
    total: int
    held: int
    sold: int
    lapsed: int

    @property
    def held_now(self) -> int:
        """Seats held by holds that have not lapsed."""
        return self.held - self.lapsed


@dataclass(frozen=True)
class SectionCount:
    """One standing section: its capacity and places held (lapsed included) and sold."""

    section_id: str
    key: str
    name: str
    category: str
    position: int
    capacity: int
    held: int
    sold: int
    lapsed: int

    @property
    def held_now(self) -> int:
        """Places of holds that have not lapsed."""
        return self.held - self.lapsed


@dataclass(frozen=True)
class ShowCounts:
    """Everything counted for one show."""

    seats: list[SeatCount]
    sections: list[SectionCount]


_SETTLE_PG = text("""
WITH d AS (
  SELECT * FROM unnest(CAST(:cats AS varchar[]), CAST(:legs AS int[]),
                       CAST(:held AS int[]), CAST(:sold AS int[])) AS d(category, leg, held, sold)
), c AS (
  UPDATE show_counts AS sc SET held = sc.held + d.held, sold = sc.sold + d.sold
  FROM d WHERE sc.show_id = :show AND sc.category = d.category AND sc.leg = d.leg
  RETURNING sc.category, sc.leg, sc.total, sc.held, sc.sold
), lapsed AS (
  SELECT s.category, s.leg, count(*) AS n
  FROM holds h JOIN show_seats s ON s.hold_id = h.id
  WHERE h.show_id = :show AND h.status IN (:active, :checked_out) AND h.expires_at <= :now
    AND s.show_id = :show AND s.state = :held_state
  GROUP BY s.category, s.leg
), lapsed_ga AS (
  SELECT l.section_id, sum(l.quantity) AS n
  FROM holds h JOIN hold_ga_lines l ON l.hold_id = h.id
  WHERE h.show_id = :show AND h.status IN (:active, :checked_out) AND h.expires_at <= :now
    AND NOT l.released
  GROUP BY l.section_id
), seats AS (
  SELECT category, leg, total, held, sold FROM c
  UNION ALL
  SELECT sc.category, sc.leg, sc.total, sc.held, sc.sold FROM show_counts sc
  WHERE sc.show_id = :show
    AND NOT EXISTS (SELECT 1 FROM d WHERE d.category = sc.category AND d.leg = sc.leg)
)
SELECT 'S' AS kind, s.category AS id, s.leg, s.total, s.held, s.sold,
       coalesce(l.n, 0) AS lapsed, NULL AS key, NULL AS name, NULL AS category, 0 AS position
FROM seats s LEFT JOIN lapsed l ON l.category = s.category AND l.leg = s.leg
UNION ALL
SELECT 'G', g.section_id, 0, g.capacity, g.held, g.sold, coalesce(lg.n, 0), g.key, g.name,
       g.category, g.position
FROM ga_sections g LEFT JOIN lapsed_ga lg ON lg.section_id = g.section_id
WHERE g.show_id = :show
""")


def from_rows(rows: Iterable[Sequence[Any]]) -> ShowCounts:
    """Counts from rows of (kind, id, leg, total, held, sold, lapsed, key, name, category,
    position): the settle statement's, or the settle trigger's (migration 0005)."""
    seats: list[SeatCount] = []
    sections: list[SectionCount] = []
    for kind, ident, leg, total, held, sold, lapsed, key, name, category, position in rows:
        if kind == "S":
            seats.append(SeatCount(ident, leg, total, held, sold, int(lapsed)))
        else:
            sections.append(SectionCount(ident, key, name, category or "", position, total,
                                         held, sold, int(lapsed)))
    seats.sort(key=lambda c: (c.category, c.leg))
    sections.sort(key=lambda g: g.position)
    return ShowCounts(seats, sections)


async def settle(session: AsyncSession, show_id: str, deltas: Deltas,
                 now: datetime) -> ShowCounts:
    """Apply ``deltas`` to the show's seat counts and read all of its counts.

    Call it under the show's lock (right after its version bump): every writer of the
    counts holds that lock, so what is read is the state of this version.
    """
    changed = [(c, leg, int(d[0]), int(d[1])) for (c, leg), d in deltas.items()
               if d[0] or d[1]]
    if session.get_bind().dialect.name == "postgresql":
        rows = await session.execute(_SETTLE_PG, {
            "show": show_id, "now": now.replace(tzinfo=None), "held_state": HELD,
            "active": LIVE[0], "checked_out": LIVE[1],
            "cats": [c for c, _, _, _ in changed], "legs": [leg for _, leg, _, _ in changed],
            "held": [h for _, _, h, _ in changed], "sold": [s for _, _, _, s in changed]})
        return from_rows(rows.all())
    if changed:
        table = cast(Table, ShowCount.__table__)
        t = table.c
        # The table, not the class: a list of parameters to a class would be an ORM bulk
        # update by primary key.
        await session.execute(
            update(table)
            .where(t.show_id == show_id, t.category == bindparam("c"), t.leg == bindparam("l"))
            .values(held=t.held + bindparam("h"), sold=t.sold + bindparam("s")),
            [{"c": c, "l": leg, "h": h, "s": s} for c, leg, h, s in changed])
    return (await read(session, [show_id], now))[show_id]


async def read(session: AsyncSession, show_ids: Sequence[str],
               now: datetime) -> dict[str, ShowCounts]:
    """The counts of many shows (no change), in four queries for any number of shows."""
    ids = set(show_ids)
    live_lapsed = and_(Hold.show_id.in_(ids), Hold.status.in_(LIVE), Hold.expires_at <= now)
    lapsed = {(show, c, leg): int(n) for show, c, leg, n in await session.execute(
        select(ShowSeat.show_id, ShowSeat.category, ShowSeat.leg, func.count())
        .join(Hold, Hold.id == ShowSeat.hold_id)
        .where(live_lapsed, ShowSeat.state == HELD)
        .group_by(ShowSeat.show_id, ShowSeat.category, ShowSeat.leg))}
    lapsed_ga = {(show, section): int(n or 0) for show, section, n in await session.execute(
        select(HoldAdmission.show_id, HoldAdmission.section_id, func.sum(HoldAdmission.quantity))
        .join(Hold, Hold.id == HoldAdmission.hold_id)
        .where(live_lapsed, HoldAdmission.released.is_(False))
        .group_by(HoldAdmission.show_id, HoldAdmission.section_id))}
    found: dict[str, ShowCounts] = {s: ShowCounts([], []) for s in ids}
    for row in await session.scalars(select(ShowCount).where(ShowCount.show_id.in_(ids))
                                     .order_by(ShowCount.category, ShowCount.leg)):
        found[row.show_id].seats.append(SeatCount(
            row.category, row.leg, row.total, row.held, row.sold,
            lapsed.get((row.show_id, row.category, row.leg), 0)))
    for g in await session.scalars(select(AdmissionSection)
                                   .where(AdmissionSection.show_id.in_(ids))
                                   .order_by(AdmissionSection.position)):
        found[g.show_id].sections.append(SectionCount(
            g.section_id, g.key, g.name, g.category, g.position, g.capacity, g.held, g.sold,
            lapsed_ga.get((g.show_id, g.section_id), 0)))
    return found
