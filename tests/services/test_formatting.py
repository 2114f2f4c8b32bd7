"""Rupiah, number and percentage formatting (display only)."""

from __future__ import annotations

import pytest

from services.formatting import (
    format_change,
    format_number,
    format_percent,
    format_rupiah,
    format_rupiah_compact,
    parse_rupiah,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "Rp 0"),
        (1, "Rp 1"),
        (999.49, "Rp 999"),
        (999.5, "Rp 1.000"),
        (1234567, "Rp 1.234.567"),
        (1234567.891, "Rp 1.234.568"),
        (-1234, "-Rp 1.234"),
        (-0.4, "Rp 0"),
        (215294454600.0, "Rp 215.294.454.600"),
        (None, "—"),
    ],
)
def test_rupiah(value: float | None, text: str) -> None:
    assert format_rupiah(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (950, "Rp 950"),
        (950_000, "Rp 950 rb"),
        (3_400_000, "Rp 3,4 jt"),
        (12_000_000, "Rp 12 jt"),
        (1_234_000_000, "Rp 1,2 M"),
        (2_500_000_000_000, "Rp 2,5 T"),
        (-3_450_000, "-Rp 3,5 jt"),
    ],
)
def test_compact_rupiah(value: float, text: str) -> None:
    assert format_rupiah_compact(value) == text


@pytest.mark.parametrize(
    ("formatter", "value", "text"),
    [
        (format_number, 4590.0, "4.590"),
        (lambda v: format_number(v, 2), 1234.5, "1.234,50"),
        (format_percent, 12.345, "12,3%"),
        (format_change, 14.44, "+14,4%"),
        (format_change, -3.71, "-3,7%"),
        (format_change, 0.0, "0,0%"),
        (format_change, None, "—"),
    ],
)
def test_numbers_and_percentages(formatter, value: float | None, text: str) -> None:
    assert formatter(value) == text


@pytest.mark.parametrize("value", [0, 7, 1234567, -1234, 215294454600])
def test_parse_rupiah_inverts_format(value: int) -> None:
    assert parse_rupiah(format_rupiah(value)) == value
