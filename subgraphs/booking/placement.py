"""Best available seats: which free seats ``holdBestAvailable`` picks. Pure logic, no I/O.

The rule (also in the README):

1. **Rows, best first.** In a cinema (a hall of kind ``SCREEN``) the best rows are those
   nearest two thirds of the way back from the screen; everywhere else (stages, arenas,
   trains, aircraft) the rows nearest the front (smallest ``y``) come first. Ties keep
   seat-map order.
2. **One row, together.** The seats are adjacent in one row when any row can seat the
   whole party: the first row, in that order, with room wins, and within it the block whose
   middle is nearest the middle of the row.
3. **No orphans.** A block is never placed so that it leaves a single free seat between it
   and a taken seat, a seat not for sale or the end of the row (a seat nobody can buy).
4. **Otherwise split.** When no row can seat everyone together, the party is split over
   the best rows that can seat it, in as few blocks as those rows allow, each block at one
   end of a run of free seats, still never leaving a single seat alone. When even that
   cannot seat them, there are not enough seats (``SoldOut``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    """A seat of the show: where it is and whether it is free on the legs asked for."""

    seat_id: str
    row: str  # section and row label
    col: int  # place in the row, counting seats not for sale: neighbours differ by one
    x: int
    y: int
    free: bool


def _runs(row: Sequence[Place]) -> list[list[Place]]:
    """The row's free seats, as runs of neighbours."""
    runs: list[list[Place]] = []
    for seat in row:
        if not seat.free:
            continue
        if runs and runs[-1][-1].col == seat.col - 1:
            runs[-1].append(seat)
        else:
            runs.append([seat])
    return runs


def _rank(rows: list[list[Place]], layout: str) -> list[list[Place]]:
    ys = [p.y for row in rows for p in row]
    front, back = min(ys), max(ys)
    best = front + (back - front) * 2 / 3 if layout == "SCREEN" else front

    def distance(row: list[Place]) -> float:
        return abs(sorted(p.y for p in row)[len(row) // 2] - best)

    return sorted(rows, key=distance)  # stable: ties keep seat-map order


def _together(row: list[Place], quantity: int) -> list[Place] | None:
    """The orphan-free block of ``quantity`` neighbours nearest the row's middle, if any."""
    middle = (min(p.x for p in row) + max(p.x for p in row)) / 2
    best: tuple[float, list[Place]] | None = None
    for run in _runs(row):
        for start in range(len(run) - quantity + 1):
            left, right = start, len(run) - start - quantity
            if left == 1 or right == 1:
                continue
            block = run[start:start + quantity]
            off = abs((block[0].x + block[-1].x) / 2 - middle)
            if best is None or off < best[0]:
                best = (off, block)
    return None if best is None else best[1]


def _better(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    """Fewer blocks, then more seats from the better runs."""
    return (len(a), [(i, -t) for i, t in a]) < (len(b), [(i, -t) for i, t in b])


def _split(rows: list[list[Place]], quantity: int) -> list[Place] | None:
    """Fewest blocks, taken from the best rows first, each at one end of a run of free
    seats and leaving none or at least two of its seats: the first runs, in row order, that
    can seat the party, fewest blocks among those."""
    runs = [run for row in rows for run in _runs(row)]
    # seats placed so far -> the (run, seats taken) blocks that place them
    reach: dict[int, list[tuple[int, int]]] = {0: []}
    for i, run in enumerate(runs):
        takes = [t for t in range(1, len(run) + 1) if len(run) - t != 1]
        for placed, blocks in list(reach.items()):
            for t in takes:
                total = placed + t
                option = [*blocks, (i, t)]
                if total <= quantity and (total not in reach
                                          or _better(option, reach[total])):
                    reach[total] = option
        if quantity in reach:
            return [seat for run_index, t in reach[quantity] for seat in runs[run_index][:t]]
    return None


def rank(places: Sequence[Place], layout: str) -> list[list[Place]]:
    """The rows of these seats, best first (rule 1), each in column order. Only where the
    seats are counts here, not whether they are free: a show's ranking never changes."""
    by_row: dict[str, list[Place]] = {}
    for place in places:
        by_row.setdefault(place.row, []).append(place)
    if not by_row:
        return []
    return _rank([sorted(row, key=lambda p: p.col) for row in by_row.values()], layout)


def _together_in(rows: list[list[Place]], quantity: int) -> list[str] | None:
    for row in rows:
        block = _together(row, quantity)
        if block is not None:
            return [p.seat_id for p in block]
    return None


def best_available(places: Sequence[Place], quantity: int, layout: str) -> list[str] | None:
    """The seat ids to hold for a party of ``quantity``, or ``None`` when they do not fit.

    ``places`` are every seat that may be offered (free or not), in seat-map order.
    """
    if quantity < 1 or not places:
        return None
    rows = rank(places, layout)
    together = _together_in(rows, quantity)
    if together is not None:
        return together
    split = _split(rows, quantity)
    return None if split is None else [p.seat_id for p in split]


# Free seats of a show among these seat ids.
FreeOf = Callable[[list[str]], Awaitable[set[str]]]


async def choose(ranked: list[list[Place]], quantity: int, free_of: FreeOf,
                 first: int = 256, most: int = 8192) -> tuple[list[str] | None, int]:
    """:func:`best_available` over a show's ranked rows (:func:`rank`), asking ``free_of``
    which seats are free a few rows at a time, best rows first: the first rows with room
    for the party together end the search, so a hold on a big hall reads the rows it
    could take, not the hall. The rows asked about grow from ``first`` seats to ``most``.
    The same answer as :func:`best_available` on the whole hall (a unit test holds them
    side by side), and how many free seats it saw: all of them when there is no answer.
    """
    if quantity < 1 or not ranked:
        return None, 0
    seen: list[list[Place]] = []
    free_seen = 0
    i, size = 0, first
    while i < len(ranked):
        chunk: list[list[Place]] = []
        seats = 0
        while i < len(ranked) and (not chunk or seats + len(ranked[i]) <= size):
            chunk.append(ranked[i])
            seats += len(ranked[i])
            i += 1
        free = await free_of([p.seat_id for row in chunk for p in row])
        free_seen += len(free)
        rows = [[Place(p.seat_id, p.row, p.col, p.x, p.y, p.seat_id in free) for p in row]
                for row in chunk]
        together = _together_in(rows, quantity)
        if together is not None:
            return together, free_seen
        seen += rows
        size = min(size * 2, most)
    split = _split(seen, quantity)
    return (None if split is None else [p.seat_id for p in split]), free_seen
