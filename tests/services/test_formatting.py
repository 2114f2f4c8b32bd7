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


@pytest.mark.parametrize(
    ("value", "lang", "text"),
    [
        (1234567, "id", "Rp 1.234.567"),
        (1234567, "en", "Rp 1,234,567"),
        (-1234.5, "en", "-Rp 1,235"),
        (-0.4, "en", "Rp 0"),
    ],
)
def test_rupiah_in_both_languages(value: float, lang: str, text: str) -> None:
    assert format_rupiah(value, lang) == text


@pytest.mark.parametrize(
    ("value", "id_text", "en_text"),
    [
        (1_200_000, "Rp 1,2 jt", "Rp 1.2M"),
        (850_000, "Rp 850 rb", "Rp 850K"),
        (999_960, "Rp 1 jt", "Rp 1M"),  # rounding up crosses into the next unit
        (1_250_000_000, "Rp 1,3 M", "Rp 1.3B"),  # half away from zero, not to even
        (999.6, "Rp 1 rb", "Rp 1K"),
        (-850_000, "-Rp 850 rb", "-Rp 850K"),
        (12_345_678, "Rp 12,3 jt", "Rp 12.3M"),
    ],
)
def test_compact_rupiah_in_both_languages(value: float, id_text: str, en_text: str) -> None:
    assert format_rupiah_compact(value, "id") == id_text
    assert format_rupiah_compact(value, "en") == en_text


def test_numbers_and_changes_in_english() -> None:
    assert format_number(1234.5, 2, "en") == "1,234.50"
    assert format_percent(12.345, lang="en") == "12.3%"
    assert format_change(14.44, lang="en") == "+14.4%"
    assert format_change(-0.04, lang="en") == "0.0%"


@pytest.mark.parametrize("text", ["Rp 1,234,567", "Rp 1.234.567", "-Rp 1,234"])
def test_parse_rupiah_reads_either_language(text: str) -> None:
    assert abs(parse_rupiah(text)) in (1234567, 1234)


def test_an_unknown_language_formats_as_the_default() -> None:
    assert format_rupiah(1234567, "fr") == format_rupiah(1234567)
