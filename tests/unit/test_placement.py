"""The best-available rule: rows best first, together in one row, never a single seat alone."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from subgraphs.booking.placement import Place, best_available, choose, rank


def row(label: str, y: int, layout: str) -> list[Place]:
    """A row from a picture: ``.`` free, ``x`` taken, `` `` a seat not for sale."""
    return [Place(f"{label}{i + 1}", label, i, i * 10, y, ch == ".")
            for i, ch in enumerate(layout) if ch != " "]


def test_front_row_first_on_a_stage_and_the_middle_of_the_row() -> None:
    hall = row("A", 0, ".........") + row("B", 10, ".........")
    assert best_available(hall, 3, "STAGE") == ["A4", "A5", "A6"]


def test_a_cinema_prefers_rows_two_thirds_back() -> None:
    hall = [p for i, r in enumerate("ABCDEFG") for p in row(r, i * 10, "......")]
    # front y = 0, back y = 60: two thirds back is y = 40, row E
    assert best_available(hall, 2, "SCREEN") == ["E3", "E4"]
    assert best_available(hall, 2, "STAGE") == ["A3", "A4"]


def test_a_full_row_is_skipped_for_the_next_best() -> None:
    hall = row("A", 0, "xxxxxx") + row("B", 10, "......")
    assert best_available(hall, 2, "STAGE") == ["B3", "B4"]


def test_never_leaves_a_single_seat_between_taken_ones() -> None:
    # Four free seats between taken ones: two from the middle would leave one alone.
    assert best_available(row("A", 0, "x....x"), 2, "STAGE") == ["A2", "A3"]
    # Three free seats cannot seat two without an orphan: the next row seats them, at
    # its end, as its middle pair would leave a seat alone on each side.
    hall = row("A", 0, "x...x") + row("B", 10, "....")
    assert best_available(hall, 2, "STAGE") == ["B1", "B2"]


def test_the_end_of_a_row_counts_as_taken() -> None:
    assert best_available(row("A", 0, "...x"), 2, "STAGE") is None
    assert best_available(row("A", 0, "...x"), 3, "STAGE") == ["A1", "A2", "A3"]


def test_a_seat_not_for_sale_keeps_its_neighbours_apart() -> None:
    # Seat 4 is not for sale, so 3 and 5 are not neighbours: four cannot sit together.
    hall = row("A", 0, "... ...")
    assert best_available(hall, 4, "STAGE") == ["A1", "A2", "A3", "A5"]
    assert best_available(row("A", 0, "......."), 4, "STAGE") == ["A1", "A2", "A3", "A4"]


def test_splits_over_rows_only_when_no_row_seats_everyone() -> None:
    hall = row("A", 0, "...x...") + row("B", 10, "xx..xx")
    # Row A alone would leave a seat alone; three from A and two from B do not.
    assert best_available(hall, 5, "STAGE") == ["A1", "A2", "A3", "B3", "B4"]
    assert best_available(hall, 6, "STAGE") == ["A1", "A2", "A3", "A5", "A6", "A7"]


def test_none_when_the_seats_do_not_fit() -> None:
    assert best_available(row("A", 0, "xx.xx"), 1, "STAGE") == ["A3"]
    assert best_available(row("A", 0, "xx.xx"), 2, "STAGE") is None
    assert best_available(row("A", 0, "x.x.x"), 2, "STAGE") == ["A2", "A4"]  # split, no orphan
    assert best_available([], 1, "STAGE") is None
    assert best_available(row("A", 0, "...."), 0, "STAGE") is None


def random_hall(rng: random.Random) -> list[Place]:
    """A hall of 1-30 rows of 1-40 places, some not for sale, some taken."""
    hall: list[Place] = []
    for r in range(rng.randint(1, 30)):
        width = rng.randint(1, 40)
        taken = rng.random()
        picture = "".join(" " if rng.random() < 0.05 else ("x" if rng.random() < taken else ".")
                          for _ in range(width))
        hall += row(f"R{r}-", rng.randint(0, 500), picture)
    return hall


@pytest.mark.parametrize("layout", ["STAGE", "SCREEN"])
async def test_choosing_a_few_rows_at_a_time_gives_what_the_whole_hall_gives(layout: str) -> None:
    rng = random.Random(20261204)
    for _ in range(300):
        hall = random_hall(rng)
        free = {p.seat_id for p in hall if p.free}
        asked: list[list[str]] = []

        async def free_of(seat_ids: list[str], free: set[str] = free,
                          asked: list[list[str]] = asked) -> set[str]:
            asked.append(seat_ids)
            return free & set(seat_ids)

        ranked = rank([replace(p, free=False) for p in hall], layout)  # where, not whether
        for quantity in (1, 2, 3, 5, 9):
            asked.clear()
            chosen, seen = await choose(ranked, quantity, free_of, first=rng.choice([1, 8, 64]))
            assert chosen == best_available(hall, quantity, layout)
            if chosen is None:  # it looked at every seat before giving up
                assert seen == len(free)
                assert sorted(s for ids in asked for s in ids) == sorted(p.seat_id for p in hall)


async def test_a_party_that_fits_in_the_best_rows_reads_no_further() -> None:
    hall = [p for i in range(100) for p in row(f"R{i}-", i, "." * 50)]  # 5,000 seats
    asked: list[int] = []

    async def free_of(seat_ids: list[str]) -> set[str]:
        asked.append(len(seat_ids))
        return set(seat_ids)

    chosen, _ = await choose(rank(hall, "STAGE"), 4, free_of)
    assert chosen == ["R0-24", "R0-25", "R0-26", "R0-27"] and asked == [250]
