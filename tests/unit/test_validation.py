"""Input rules of the service functions: each bad value is BAD_USER_INPUT naming its path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from subgraphs.auth.service import MIN_PASSWORD, normalise_email, validate_registration
from subgraphs.booking.service import validate_seat_ids
from subgraphs.kernel.errors import BadUserInput
from subgraphs.venue.seatmap import MAX_ROW, MAX_SEATS
from subgraphs.venue.service import RowInput as RowSpec
from subgraphs.venue.service import ShowSpec, validate_rows, validate_show


def bad_field(check: Callable[[], Any]) -> str:
    """The ``field`` detail of the BadUserInput that ``check`` raises."""
    with pytest.raises(BadUserInput) as caught:
        check()
    extensions = caught.value.extensions()
    assert extensions["code"] == "BAD_USER_INPUT"
    return str(extensions["field"])


# --- auth: registration ---------------------------------------------------------------

EMAIL = "ann@example.com"
PASSWORD = "correct horse battery"


def test_normalise_email_trims_and_lower_cases() -> None:
    assert normalise_email("  Ann@Example.COM \n") == "ann@example.com"


def test_a_valid_registration_passes() -> None:
    validate_registration(EMAIL, PASSWORD, "Ann")


@pytest.mark.parametrize(
    "email",
    ["", "ann", "ann@", "@example.com", "ann@example", "a nn@example.com", "ann@@example.com",
     "a" * 310 + "@example.com"],
)
def test_an_invalid_email_names_input_email(email: str) -> None:
    assert bad_field(lambda: validate_registration(email, PASSWORD, "Ann")) == "input.email"


def test_a_short_password_names_input_password() -> None:
    short = "x" * (MIN_PASSWORD - 1)
    assert bad_field(lambda: validate_registration(EMAIL, short, "Ann")) == "input.password"


def test_a_password_of_exactly_the_minimum_length_passes() -> None:
    validate_registration(EMAIL, "x" * MIN_PASSWORD, "Ann")


def test_a_password_equal_to_the_email_names_input_password() -> None:
    same = " ANN@example.com "
    assert bad_field(lambda: validate_registration(EMAIL, same, "Ann")) == "input.password"


@pytest.mark.parametrize("name", ["", "   ", "n" * 201])
def test_a_blank_or_long_name_names_input_name(name: str) -> None:
    assert bad_field(lambda: validate_registration(EMAIL, PASSWORD, name)) == "input.name"


def test_the_first_offending_field_is_the_one_named() -> None:
    assert bad_field(lambda: validate_registration("nope", "short", "")) == "input.email"


# --- venue: seat maps -----------------------------------------------------------------

ROWS = [RowSpec("A", 10), RowSpec("B", 12, "PREMIUM")]


def test_a_valid_seat_map_passes() -> None:
    validate_rows("Roxy", ROWS)


@pytest.mark.parametrize("name", ["", "  ", "v" * 201])
def test_a_blank_or_long_venue_name_names_input_name(name: str) -> None:
    assert bad_field(lambda: validate_rows(name, ROWS)) == "input.name"


def test_a_venue_without_rows_names_input_rows() -> None:
    assert bad_field(lambda: validate_rows("Roxy", [])) == "input.rows"


@pytest.mark.parametrize("label", ["", "   ", "L" * 21])
def test_a_bad_row_label_names_that_row(label: str) -> None:
    rows = [RowSpec("A", 5), RowSpec(label, 5)]
    assert bad_field(lambda: validate_rows("Roxy", rows)) == "input.rows[1].label"


def test_a_repeated_row_label_names_the_second_row() -> None:
    rows = [RowSpec("A", 5), RowSpec("B", 5), RowSpec(" A ", 5)]
    assert bad_field(lambda: validate_rows("Roxy", rows)) == "input.rows[2].label"


@pytest.mark.parametrize("seats", [0, -1, MAX_ROW + 1])
def test_a_row_with_a_bad_seat_count_names_that_row(seats: int) -> None:
    rows = [RowSpec("A", 5), RowSpec("B", seats)]
    assert bad_field(lambda: validate_rows("Roxy", rows)) == "input.rows[1].seats"


def test_a_row_of_exactly_the_maximum_length_passes() -> None:
    validate_rows("Roxy", [RowSpec("A", MAX_ROW)])


def test_a_row_without_a_category_names_that_row() -> None:
    rows = [RowSpec("A", 5, " ")]
    assert bad_field(lambda: validate_rows("Roxy", rows)) == "input.rows[0].category"


def test_a_venue_over_the_seat_limit_names_input_rows() -> None:
    rows = [RowSpec(f"R{i}", MAX_ROW) for i in range(MAX_SEATS // MAX_ROW + 1)]
    assert bad_field(lambda: validate_rows("Stadium", rows)) == "input.rows"


# --- venue: shows ---------------------------------------------------------------------

START = datetime(2031, 5, 1, 20, 0, tzinfo=UTC)
SHOW = ShowSpec(venue_id="v-1", title="Hamlet", starts_at=START, ends_at=None,
                tiers={"STANDARD": 1250}, currency="EUR")


def test_a_show_without_an_end_lasts_two_hours() -> None:
    assert validate_show(SHOW) == START + timedelta(hours=2)


def test_a_show_keeps_its_given_end() -> None:
    end = START + timedelta(minutes=45)
    assert validate_show(replace(SHOW, ends_at=end)) == end


def test_a_free_show_passes() -> None:
    validate_show(replace(SHOW, tiers={"STANDARD": 0}))


@pytest.mark.parametrize("title", ["", "  ", "t" * 201])
def test_a_blank_or_long_title_names_input_title(title: str) -> None:
    assert bad_field(lambda: validate_show(replace(SHOW, title=title))) == "input.title"


def test_a_start_without_a_time_zone_names_input_starts_at() -> None:
    naive = START.replace(tzinfo=None)
    assert bad_field(lambda: validate_show(replace(SHOW, starts_at=naive))) == "input.startsAt"


@pytest.mark.parametrize(
    "ends_at",
    [START, START - timedelta(minutes=1), (START + timedelta(hours=1)).replace(tzinfo=None)],
    ids=["at-start", "before-start", "naive"],
)
def test_an_end_not_after_the_start_names_input_ends_at(ends_at: datetime) -> None:
    assert bad_field(lambda: validate_show(replace(SHOW, ends_at=ends_at))) == "input.endsAt"


def test_a_negative_price_names_input_price_tiers() -> None:
    spec = replace(SHOW, tiers={"STANDARD": 1250, "PREMIUM": -1})
    assert bad_field(lambda: validate_show(spec)) == "input.priceTiers"


@pytest.mark.parametrize("currency", ["eur", "EURO", "E1R", "", "€"])
def test_a_currency_that_is_not_iso_4217_names_input_currency(currency: str) -> None:
    spec = replace(SHOW, currency=currency)
    assert bad_field(lambda: validate_show(spec)) == "input.currency"


# --- booking: seat selections ---------------------------------------------------------


def test_distinct_seats_within_the_limit_pass_in_order() -> None:
    assert validate_seat_ids(("s3", "s1", "s2"), limit=3) == ["s3", "s1", "s2"]


def test_no_seats_names_seat_ids() -> None:
    assert bad_field(lambda: validate_seat_ids([], limit=5)) == "seatIds"


def test_a_repeated_seat_names_seat_ids() -> None:
    assert bad_field(lambda: validate_seat_ids(["s1", "s2", "s1"], limit=5)) == "seatIds"


def test_more_seats_than_the_limit_names_seat_ids() -> None:
    assert bad_field(lambda: validate_seat_ids(["s1", "s2", "s3"], limit=2)) == "seatIds"
