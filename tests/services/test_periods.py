"""Coverage of a period and the days a comparison may use: only days loaded in both periods."""

from __future__ import annotations

from datetime import date, timedelta

from services.periods import LAST_YEAR, PREVIOUS, comparison_window, coverage, days_between, year_earlier

START, END = date(2024, 2, 1), date(2024, 2, 15)


def test_a_fully_loaded_comparison_uses_the_whole_ranges() -> None:
    loaded = set(days_between(date(2024, 1, 1), date(2024, 2, 29)))
    window = comparison_window(PREVIOUS, START, END, loaded)
    assert (window.start, window.end) == (date(2024, 1, 17), date(2024, 1, 31))
    assert not window.restricted and window.matched == window.total == 15


def test_a_partly_loaded_previous_period_is_compared_over_the_days_loaded_in_both() -> None:
    loaded = set(days_between(date(2024, 1, 26), date(2024, 2, 15)))  # 6 of the previous 15 days
    window = comparison_window(PREVIOUS, START, END, loaded)
    assert (window.matched, window.total) == (6, 15)
    assert window.compare_days == tuple(days_between(date(2024, 1, 26), date(2024, 1, 31)))
    assert window.current_days == tuple(days_between(date(2024, 2, 10), date(2024, 2, 15)))


def test_no_day_loaded_in_both_means_no_comparison() -> None:
    window = comparison_window(LAST_YEAR, START, END, set(days_between(START, END)))
    assert not window.available and window.compare_days == ()


def test_last_year_pairs_the_same_dates_and_29_february_with_the_28th() -> None:
    assert year_earlier(date(2024, 2, 29)) == date(2023, 2, 28)
    window = comparison_window(LAST_YEAR, date(2024, 2, 28), date(2024, 3, 1), set())
    assert (window.start, window.end) == (date(2023, 2, 28), date(2023, 3, 1))


def test_coverage_says_what_the_period_holds() -> None:
    today = date(2024, 2, 10)
    loaded = set(days_between(date(2024, 2, 1), today))
    assert coverage(START, END, loaded, today, partial={today}).state == "partly"
    partly = coverage(START, END, loaded, today, partial={today})
    assert (len(partly.loaded), partly.future, partly.partial) == (10, 5, (today,))
    assert coverage(today + timedelta(days=1), today + timedelta(days=7), loaded, today).state == "future"
    assert coverage(date(2023, 1, 1), date(2023, 1, 7), loaded, today).state == "empty"
    assert coverage(START, today, loaded, today).state == "full"
