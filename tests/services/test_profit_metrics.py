"""Profit KPIs and breakdowns against independent polars computations over the published profit lines of a small
lake (tests/services/profit_lake.py): totals, margin and cost coverage, comparisons over the days published in both
periods, gaps and the partial day, every breakdown, the cost source split, the lines without cost, the store filter,
and the Overview's loss alert sharing the product definition."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from services import alerts, kpi_help, profit_metrics
from services.duckdb_connector import Lake
from services.filters import Selection
from tests.services.profit_lake import GAP, PARTIAL, profit_lake, profit_lake_root, profit_rows

__all__ = ["profit_lake", "profit_lake_root"]

PERIOD = Selection("custom", date(2024, 2, 15), PARTIAL)  # its previous period holds the unpublished GAP
FILTERED = [
    PERIOD,
    Selection("custom", date(2024, 2, 1), date(2024, 2, 14), channel="invoice"),
    Selection("custom", date(2024, 1, 10), date(2024, 2, 20), brand_ids=(3, 7)),
    Selection("custom", date(2024, 2, 1), PARTIAL, category_ids=(100,)),
    Selection("custom", date(2024, 2, 1), PARTIAL, store_ids=(1,)),
    Selection("custom", date(2024, 2, 1), PARTIAL, store_ids=(2,), channel="pos", brand_ids=(1, 2, 3, 4)),
]


@pytest.fixture(scope="module")
def lines(profit_lake_root: Path) -> pl.DataFrame:
    return profit_rows(profit_lake_root)


def _selected(lines: pl.DataFrame, selection: Selection, days: list[date] | None = None) -> pl.DataFrame:
    """The selection's lines, by plain polars filters (a root category: ids of the form X00 hold X01…X99)."""
    chosen = lines.filter(pl.col("date").is_between(selection.start, selection.end))
    if days is not None:
        chosen = chosen.filter(pl.col("date").is_in(days))
    if selection.channel:
        chosen = chosen.filter(pl.col("channel") == selection.channel)
    if selection.store_ids:
        chosen = chosen.filter(pl.col("store_id").is_in(selection.store_ids))
    if selection.brand_ids:
        chosen = chosen.filter(pl.col("brand_id").is_in(selection.brand_ids))
    if selection.category_ids:
        chosen = chosen.filter(pl.col("category_id").is_in(selection.category_ids)
                               | (pl.col("category_id") // 100 * 100).is_in(selection.category_ids))
    return chosen


def _expected(chosen: pl.DataFrame) -> dict[str, float | None]:
    """The KPIs of lines, written out from docs/KPIS.md "Profit"."""
    costed = chosen.filter(pl.col("cost_source") != "missing")
    revenue, costed_revenue = chosen["revenue_excl_tax"].sum(), costed["revenue_excl_tax"].sum()
    cogs = costed["cogs"].sum() if costed.height else None
    profit = costed["gross_profit"].sum() if costed.height else None
    return {"revenue_excl_tax": revenue, "cogs": cogs, "gross_profit": profit,
            "margin_pct": profit / costed_revenue * 100 if costed_revenue else None,
            "cost_coverage_pct": costed_revenue / revenue * 100 if revenue else None,
            "uncosted_revenue": revenue - costed_revenue}


def _close(found: dict[str, float | None], expected: dict[str, float | None]) -> None:
    assert set(found) == set(expected)
    for name, value in expected.items():
        assert (found[name] is None) == (value is None), name
        if value is not None:
            assert found[name] == pytest.approx(value, rel=1e-9, abs=1e-6), name


@pytest.mark.parametrize("selection", FILTERED, ids=lambda s: f"{s.start}-{s.channel}-{s.store_ids}-{s.brand_ids}"
                                                            f"-{s.category_ids}")
def test_totals_equal_sums_of_the_selected_lines(profit_lake: Lake, lines: pl.DataFrame,
                                                 selection: Selection) -> None:
    chosen = _selected(lines, selection)
    assert chosen.height > 0
    _close(profit_metrics.totals(profit_lake, selection), _expected(chosen))


def test_cost_coverage_is_below_full_and_the_example_lake_has_every_source(lines: pl.DataFrame) -> None:
    assert set(lines["cost_source"].unique()) == set(profit_metrics.COST_SOURCES)
    assert set(lines["channel"].unique()) == {"pos", "invoice"}


def test_comparison_uses_only_days_published_in_both_periods(profit_lake: Lake, lines: pl.DataFrame) -> None:
    kpis = profit_metrics.kpi_comparison(profit_lake, PERIOD)
    length = (PERIOD.end - PERIOD.start).days + 1
    pairs = [(PERIOD.start + timedelta(days=i), PERIOD.start + timedelta(days=i - length)) for i in range(length)]
    matched = [(day, earlier) for day, earlier in pairs if earlier != GAP]
    assert len(matched) == length - 1
    current = _expected(_selected(lines, PERIOD, [day for day, _ in matched]))
    earlier_period = Selection("custom", PERIOD.start - timedelta(days=length), PERIOD.start - timedelta(days=1))
    earlier = _expected(_selected(lines, earlier_period, [day for _, day in matched]))
    _close({name: kpi.value for name, kpi in kpis.items()}, _expected(_selected(lines, PERIOD)))
    for name, kpi in kpis.items():
        change = kpi.vs_previous
        assert (change.matched, change.total) == (length - 1, length)
        assert change.current == pytest.approx(current[name]) and change.value == pytest.approx(earlier[name])
        assert change.change_pct == pytest.approx((current[name] - earlier[name]) / abs(earlier[name]) * 100)
        assert kpi.vs_last_year.value is None and kpi.vs_last_year.change_pct is None  # 2023 is not loaded
    assert kpis["gross_profit"].vs_previous.good == (kpis["gross_profit"].vs_previous.change_pct > 0)
    assert kpis["cogs"].vs_previous.good is None


def test_daily_profit_has_gaps_for_unpublished_days_and_marks_the_partial_one(profit_lake: Lake,
                                                                             lines: pl.DataFrame) -> None:
    selection = Selection("custom", date(2024, 2, 5), date(2024, 3, 2))
    daily = profit_metrics.daily_profit(profit_lake, selection)
    assert daily.height == (selection.end - selection.start).days + 1
    gaps = daily.filter(~pl.col("loaded"))["date"].to_list()
    assert gaps == [GAP, date(2024, 3, 1), date(2024, 3, 2)]
    assert daily.filter(~pl.col("loaded"))["gross_profit"].is_null().all()
    assert daily.filter(~pl.col("loaded"))["revenue_excl_tax"].is_null().all()  # a gap, never a zero
    assert daily.filter(pl.col("partial"))["date"].to_list() == [PARTIAL]
    for row in daily.filter(pl.col("loaded")).iter_rows(named=True):
        expected = _expected(_selected(lines, Selection("custom", row["date"], row["date"])))
        _close({name: row[name] for name in expected}, expected)


def test_coverage_counts_published_days(profit_lake: Lake) -> None:
    coverage = profit_metrics.profit_coverage(profit_lake, Selection("custom", date(2024, 2, 1), PARTIAL), PARTIAL)
    assert len(coverage.loaded) == 28 and GAP not in coverage.loaded and coverage.partial == (PARTIAL,)


def _grouped_expected(chosen: pl.DataFrame, key: str) -> dict[object, dict[str, float | None]]:
    return {value: _expected(chosen.filter(pl.col(key).eq_missing(value))) for value in chosen[key].unique()}


@pytest.mark.parametrize("selection", FILTERED[:3] + FILTERED[4:5], ids=str)
def test_breakdowns_by_channel_product_category_and_brand(profit_lake: Lake, lines: pl.DataFrame,
                                                          selection: Selection) -> None:
    chosen = _selected(lines, selection)
    products = profit_metrics.product_profit(profit_lake, selection)
    for frame, key, column in ((profit_metrics.channel_profit(profit_lake, selection), "channel", "channel"),
                               (products, "product_id", "product_id"),
                               (profit_metrics.category_profit(products), "category_id", "key"),
                               (profit_metrics.brand_profit(products), "brand_id", "key")):
        expected = _grouped_expected(chosen, key)
        assert sorted(frame[column].to_list(), key=str) == sorted(expected, key=str), key
        for row in frame.iter_rows(named=True):
            _close({name: row[name] for name in profit_metrics.KPI_NAMES}, expected[row[column]])
    profits = products["gross_profit"].drop_nulls().to_list()
    assert profits == sorted(profits, reverse=True)
    uncosted = products.filter(pl.col("gross_profit").is_null())["product_id"].to_list()  # last
    assert not uncosted or products["product_id"].to_list()[-len(uncosted):] == uncosted
    assert set(uncosted) == {product for product in chosen["product_id"].to_list() if product % 10 == 0}


@pytest.mark.parametrize("selection", [PERIOD, FILTERED[4]], ids=str)
def test_cost_sources_and_lines_without_cost(profit_lake: Lake, lines: pl.DataFrame, selection: Selection) -> None:
    chosen = _selected(lines, selection)
    sources = profit_metrics.cost_sources(profit_lake, selection)
    assert sources["cost_source"].to_list() == list(profit_metrics.COST_SOURCES)
    total = chosen["revenue_excl_tax"].sum()
    for row in sources.iter_rows(named=True):
        part = chosen.filter(pl.col("cost_source") == row["cost_source"])
        assert row["revenue_excl_tax"] == pytest.approx(part["revenue_excl_tax"].sum())
        assert row["lines"] == part.height
        assert row["share_pct"] == pytest.approx(part["revenue_excl_tax"].sum() / total * 100)
    missing = chosen.filter(pl.col("cost_source") == "missing").group_by("product_id").agg(
        pl.col("revenue_excl_tax").sum(), pl.len().alias("lines")).sort(
        ["revenue_excl_tax", "product_id"], descending=[True, False])
    uncosted = profit_metrics.uncosted_products(profit_lake, selection)
    assert uncosted["product_id"].to_list() == missing["product_id"].to_list()
    assert uncosted["revenue_excl_tax"].to_list() == pytest.approx(missing["revenue_excl_tax"].to_list())
    assert uncosted["lines"].to_list() == missing["lines"].to_list()
    assert uncosted["product"][0].startswith("[SKU")
    every = profit_metrics.uncosted_lines(profit_lake, selection)
    expected = chosen.filter(pl.col("cost_source") == "missing").sort("date", "channel", "order_id", "line_id")
    assert every.select("order_id", "line_id").rows() == expected.select("order_id", "line_id").rows()
    assert every["revenue_excl_tax"].sum() == pytest.approx(uncosted["revenue_excl_tax"].sum())


def test_the_loss_alert_uses_the_product_definition(profit_lake: Lake, lines: pl.DataFrame) -> None:
    losses = alerts.negative_margins(profit_lake, PERIOD)
    chosen = _selected(lines, PERIOD).filter(pl.col("cost_source") != "missing")
    per_product = chosen.group_by("product_id").agg(pl.col("gross_profit").sum()).filter(
        pl.col("gross_profit") < 0).sort(["gross_profit", "product_id"])
    assert losses["product_id"].to_list() == per_product["product_id"].to_list()
    assert losses["gross_profit"].to_list() == pytest.approx(per_product["gross_profit"].to_list())
    assert any(product % 17 == 0 for product in losses["product_id"].to_list())
    products = profit_metrics.product_profit(profit_lake, PERIOD).filter(
        pl.col("product_id").is_in(losses["product_id"].to_list()))
    assert sorted(products["margin_pct"].to_list()) == pytest.approx(sorted(losses["margin_pct"].to_list()))
    assert alerts.profit_loaded(profit_lake, PERIOD)


def test_a_lake_without_profit_days_shows_nothing_not_zero(small_lake_root: Path) -> None:
    lake = Lake(small_lake_root, cache_ttl_seconds=0)
    try:
        daily = profit_metrics.daily_profit(lake, PERIOD)
        assert not daily["loaded"].any() and daily["gross_profit"].is_null().all()
        assert profit_metrics.profit_coverage(lake, PERIOD, PARTIAL).state == "empty"
        kpis = profit_metrics.kpi_comparison(lake, PERIOD)
        assert kpis["gross_profit"].value is None and kpis["gross_profit"].vs_previous.value is None
        assert profit_metrics.uncosted_products(lake, PERIOD).is_empty()
    finally:
        lake.close()


def test_every_profit_card_has_help_in_both_languages() -> None:
    for name in profit_metrics.KPI_NAMES:
        assert kpi_help.help_text(name, "en") and kpi_help.help_text(name, "id"), name
