"""The best-available rule: rows best first, together in one row, never a single seat alone."""

from __future__ import annotations

from subgraphs.booking.placement import Place, best_available


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
