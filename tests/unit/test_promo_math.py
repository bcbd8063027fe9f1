"""The promo-code money rule: percent off per line rounded half up to the minor unit; an
amount off the lines in scope, in order, no line below zero."""

from __future__ import annotations

import pytest

from subgraphs.booking.models import PromoCode, PromoKind
from subgraphs.booking.promo_rules import discounts, percent_off


@pytest.mark.parametrize(("amount", "percent", "expected"), [
    (999, 15, 150),  # 149.85 -> 150 (JPY: no decimals)
    (999, 50, 500),  # 499.5: exactly half rounds up
    (1255, 10, 126),  # 125.5 fils -> 126 (KWD: three decimals)
    (1001, 3, 30),  # 30.03 -> 30
    (1, 49, 0),  # 0.49 -> 0
    (1, 50, 1),  # 0.5 -> 1
    (5000, 100, 5000),
    (0, 30, 0),
    (123_456_789, 33, 40_740_740),  # 40740740.37: integers, no float drift
])
def test_percent_off_rounds_half_up_to_the_minor_unit(amount: int, percent: int,
                                                      expected: int) -> None:
    assert percent_off(amount, percent) == expected


def code(**fields: object) -> PromoCode:
    base: dict[str, object] = {"kind": PromoKind.PERCENT, "percent": 10, "amount": None,
                               "categories": []}
    return PromoCode(**(base | fields))


def test_percent_applies_line_by_line_to_the_categories_in_scope() -> None:
    lines = [("VIP", 5000), ("STANDARD", 2000), ("VIP", 333)]
    assert discounts(code(percent=15, categories=["VIP"]), lines) == [750, 0, 50]
    assert discounts(code(percent=15), lines) == [750, 300, 50]


def test_an_amount_fills_the_lines_in_scope_in_order_and_never_goes_below_zero() -> None:
    lines = [("VIP", 1255), ("STANDARD", 800), ("VIP", 1255)]
    two_dinars = code(kind=PromoKind.AMOUNT, percent=None, amount=2000)
    assert discounts(two_dinars, lines) == [1255, 745, 0]
    vip_only = code(kind=PromoKind.AMOUNT, percent=None, amount=2000, categories=["VIP"])
    assert discounts(vip_only, lines) == [1255, 0, 745]
    too_much = code(kind=PromoKind.AMOUNT, percent=None, amount=10_000)
    assert discounts(too_much, lines) == [1255, 800, 1255]


def test_no_code_discounts_nothing() -> None:
    assert discounts(None, [("A", 100), ("B", 200)]) == [0, 0]
