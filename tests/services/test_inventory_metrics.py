"""Every inventory figure equals an independent polars computation over the published rows of the same test lake."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from etl.io_parquet import dimension_path
from etl.reconcile.inventory_moves import on_hand_from_moves
from services import inventory_charts, inventory_metrics
from services.duckdb_connector import Lake
from services.filters import Selection
from services.periods import coverage
from tests.services.stock_lake import (END, SNAPSHOTS, published_rows, selected_products, stock_lake, stock_lake_root,
                                       with_all_root)

__all__ = ["stock_lake", "stock_lake_root"]

FEBRUARY = Selection("custom", date(2024, 2, 1), END)
FILTERED = Selection("custom", date(2024, 2, 1), END, category_ids=(100, 301), brand_ids=(1, 2, 3, 4, 5, 6))
SELECTIONS = [FEBRUARY, FILTERED, Selection("custom", date(2024, 1, 10), date(2024, 2, 20))]


@pytest.fixture(scope="module")
def products(stock_lake_root: Path) -> pl.DataFrame:
    return pl.read_parquet(dimension_path(stock_lake_root, "dim_products"))


@pytest.fixture(scope="module")
def sales(stock_lake_root: Path) -> pl.DataFrame:
    """fact_sales_all's lines: POS and invoice, the columns the stock figures use."""
    pos = published_rows(stock_lake_root, "pos_order_lines", "fact_sales")
    invoices = published_rows(stock_lake_root, "invoice_sales", "fact_invoice_sales").with_columns(
        is_refund=pl.col("move_type") == "out_refund")
    columns = ["date", "product_id", "quantity", "revenue", "is_refund"]
    return pl.concat([pos.select(columns), invoices.select(columns)])


@pytest.fixture(scope="module")
def moves(stock_lake_root: Path) -> pl.DataFrame:
    return published_rows(stock_lake_root, "inventory_moves", "fact_inventory_moves")


@pytest.fixture(scope="module")
def snapshots(stock_lake_root: Path) -> pl.DataFrame:
    return published_rows(stock_lake_root, "stock_quants", "fact_stock_on_hand_snapshot")


def scoped(frame: pl.DataFrame, products: pl.DataFrame, selection: Selection) -> pl.DataFrame:
    if not (selection.category_ids or selection.brand_ids):
        return frame
    return frame.filter(pl.col("product_id").is_in(sorted(selected_products(products, selection))))


def snapshot_of(snapshots: pl.DataFrame, products: pl.DataFrame, selection: Selection) -> pl.DataFrame:
    day = max(day for day in SNAPSHOTS if selection.start <= day <= selection.end)
    return scoped(snapshots.filter(pl.col("snapshot_date") == day), products, selection)


def as_dict(frame: pl.DataFrame, key: str, value: str) -> dict:
    return dict(frame.select(key, value).iter_rows())


def assert_close(actual: dict, expected: dict) -> None:
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        assert actual[key] == pytest.approx(value, abs=1e-6), key


@pytest.mark.parametrize(("start", "end", "expected"), [
    (date(2024, 2, 1), END, END), (date(2024, 2, 1), date(2024, 2, 20), date(2024, 2, 15)),
    (date(2024, 1, 1), date(2024, 1, 31), None),
])
def test_stock_comes_from_the_latest_snapshot_of_the_period_with_its_source(stock_lake: Lake, start: date, end: date,
                                                                           expected: date | None) -> None:
    page = inventory_metrics.inventory_page(stock_lake, Selection("custom", start, end))
    assert page.snapshot_day == expected
    if expected is None:
        assert page.summary is None and page.by_location is None and page.variance is None
    else:
        assert page.sources == [SNAPSHOTS[expected]]


@pytest.mark.parametrize("selection", SELECTIONS[:2])
def test_on_hand_by_location_category_and_brand_equal_the_snapshot_rows(
        stock_lake: Lake, selection: Selection, snapshots: pl.DataFrame, products: pl.DataFrame) -> None:
    page = inventory_metrics.inventory_page(stock_lake, selection)
    rows = snapshot_of(snapshots, products, selection).join(
        products.select("product_id", "category_id", "brand_id"), on="product_id", how="left")
    assert page.summary is not None
    assert page.summary.on_hand_units == pytest.approx(rows["quantity"].sum())
    assert page.summary.on_hand_value == pytest.approx(rows["stock_value"].sum())
    assert page.summary.unvalued_positions == rows.filter(pl.col("stock_value").is_null()).height
    for frame, key in ((page.by_location, "location_id"), (page.by_category, "category_id"),
                       (page.by_brand, "brand_id")):
        expected = rows.group_by(key).agg(pl.col("quantity").sum(), pl.col("stock_value").sum())
        assert_close(as_dict(frame, key, "quantity"), as_dict(expected, key, "quantity"))
        assert_close(as_dict(frame, key, "value"), as_dict(expected, key, "stock_value"))
    assert page.by_location["label"].to_list()[0] == "WH/Stock"  # labelled by the location's full name


def expected_stock(snapshot: pl.DataFrame, sales: pl.DataFrame, products: pl.DataFrame, day: date) -> pl.DataFrame:
    """Per product: on hand, value, units sold over the 28 days to `day`, the last non-refund sale up to `day`."""
    on_hand = snapshot.group_by("product_id").agg(pl.col("quantity").sum().alias("on_hand"),
                                                 pl.col("stock_value").sum().alias("value"))
    past = sales.filter(pl.col("date") <= day)
    window = past.filter(pl.col("date") > day - timedelta(days=28)).group_by("product_id").agg(
        pl.col("quantity").sum().alias("sold"))
    last = past.filter(~pl.col("is_refund")).group_by("product_id").agg(pl.col("date").max().alias("last_sale"))
    everything = pl.concat([on_hand.select("product_id"), past.select("product_id")]).unique()
    return (everything.join(on_hand, on="product_id", how="left").join(window, on="product_id", how="left")
            .join(last, on="product_id", how="left").join(products.select("product_id", "product_type"),
                                                          on="product_id", how="left")
            .with_columns(in_snapshot=pl.col("on_hand").is_not_null(), on_hand=pl.col("on_hand").fill_null(0.0),
                          sold=pl.col("sold").fill_null(0.0)))


@pytest.mark.parametrize("selection", SELECTIONS[:2])
def test_days_of_cover_low_and_dead_stock_follow_their_definitions(
        stock_lake: Lake, selection: Selection, snapshots: pl.DataFrame, sales: pl.DataFrame,
        products: pl.DataFrame) -> None:
    page = inventory_metrics.inventory_page(stock_lake, selection)
    day = page.snapshot_day
    stock = expected_stock(snapshot_of(snapshots, products, selection), scoped(sales, products, selection), products,
                           day)
    judged = stock.filter(pl.col("in_snapshot") | (pl.col("product_type") == "product"))
    low = {}
    for row in judged.iter_rows(named=True):
        daily = row["sold"] / 28
        if daily > 0 and row["on_hand"] / daily < 7:
            low[row["product_id"]] = row["on_hand"] / daily
    assert_close(as_dict(page.low_stock, "product_id", "cover_days"), low)
    assert page.low_stock["cover_days"].to_list() == pytest.approx(sorted(low.values()))
    dead = stock.filter((pl.col("on_hand") > 0) & (pl.col("last_sale").is_null()
                                                   | (pl.col("last_sale") <= day - timedelta(days=90))))
    assert set(page.dead_stock["product_id"]) == set(dead["product_id"])
    assert page.summary.dead_stock_value == pytest.approx(dead["value"].sum())
    if selection == FEBRUARY:  # the lake is built to hold both kinds
        assert set(dead["product_id"]) == {201, 202, 203, 204} and len(low) >= 5
        assert 8 in low  # sold, and missing from the quants: out of stock
        assert 165 not in set(page.low_stock["product_id"])  # a consumable: Odoo keeps no stock of it


@pytest.mark.parametrize("selection", SELECTIONS)
def test_sell_through_is_units_sold_over_units_received(stock_lake: Lake, selection: Selection, sales: pl.DataFrame,
                                                        moves: pl.DataFrame, products: pl.DataFrame) -> None:
    period = pl.col("date").is_between(selection.start, selection.end)
    sold = scoped(sales.filter(period), products, selection)["quantity"].sum()
    received = scoped(moves.filter(period & pl.col("movement_type").is_in(["incoming", "production_in"])),
                      products, selection)["quantity"].sum()
    result = inventory_metrics.inventory_page(stock_lake, selection).sell_through
    assert result.units_sold == pytest.approx(sold)
    assert result.units_received == pytest.approx(received)
    assert result.pct == (pytest.approx(sold / received * 100) if received else None)


@pytest.mark.parametrize("selection", SELECTIONS)
def test_abc_classes_split_skus_ranked_by_revenue_at_20_and_50_percent(
        stock_lake: Lake, selection: Selection, sales: pl.DataFrame, products: pl.DataFrame) -> None:
    period = scoped(sales.filter(pl.col("date").is_between(selection.start, selection.end)), products, selection)
    revenue = period.group_by("product_id").agg(pl.col("revenue").sum()).filter(pl.col("revenue") > 0)
    ranked = sorted(revenue.iter_rows(), key=lambda row: (-row[1], row[0]))
    count = len(ranked)
    expected = {product: "A" if rank <= math.ceil(count * 0.2) else "B" if rank <= math.ceil(count * 0.5) else "C"
                for rank, (product, _) in enumerate(ranked, start=1)}
    page = inventory_metrics.inventory_page(stock_lake, selection)
    assert page.abc["product_id"].to_list() == [product for product, _ in ranked]
    assert as_dict(page.abc, "product_id", "abc") == expected
    assert page.abc["cumulative_share"][-1] == pytest.approx(100.0)
    summary = as_dict(page.abc_summary, "abc", "skus")
    assert summary == {label: list(expected.values()).count(label) for label in "ABC"}
    assert page.abc_summary["revenue"].sum() == pytest.approx(revenue["revenue"].sum())


@pytest.mark.parametrize("selection", SELECTIONS[:2])
def test_movements_sum_quantity_per_day_and_movement_type(stock_lake: Lake, selection: Selection, moves: pl.DataFrame,
                                                          products: pl.DataFrame) -> None:
    period = scoped(moves.filter(pl.col("date").is_between(selection.start, selection.end)), products, selection)
    expected = period.group_by("date", "movement_type").agg(pl.col("quantity").sum(), pl.len().alias("lines"))
    result = inventory_metrics.inventory_page(stock_lake, selection).movements
    key = lambda frame: {(d, kind): (q, n) for d, kind, q, n in  # noqa: E731
                         frame.select("date", "movement_type", "quantity", "lines").iter_rows()}
    assert key(result) == key(expected)
    assert set(result["movement_type"]) >= {"incoming", "outgoing", "transfer", "adjustment", "other"}


@pytest.mark.parametrize("selection", SELECTIONS)
def test_stock_variance_is_on_hand_from_moves_minus_quants_per_storable_product(
        stock_lake: Lake, selection: Selection, moves: pl.DataFrame, snapshots: pl.DataFrame,
        products: pl.DataFrame) -> None:
    page = inventory_metrics.inventory_page(stock_lake, selection)
    day = page.snapshot_day
    from_moves = on_hand_from_moves(scoped(moves.filter(pl.col("date") <= day), products, selection)).group_by(
        "product_id").agg(pl.col("quantity").sum())
    quants = snapshot_of(snapshots, products, selection).group_by("product_id").agg(pl.col("quantity").sum())
    storable = set(products.filter(pl.col("product_type") == "product")["product_id"])
    moves_qty, quant_qty = as_dict(from_moves, "product_id", "quantity"), as_dict(quants, "product_id", "quantity")
    expected = {product: moves_qty.get(product, 0.0) - quant_qty.get(product, 0.0)
                for product in (moves_qty.keys() | quant_qty.keys()) & storable}
    expected = {product: value for product, value in expected.items() if abs(value) > 1e-6}
    assert_close(as_dict(page.variance, "product_id", "variance"), expected)
    if not selection.category_ids:
        assert set(expected) == {7, 8}  # counted 5 short, and missing from the quants; consumable 199 is not judged
        assert as_dict(page.variance, "product_id", "variance")[7] == pytest.approx(5.0)


def test_category_and_brand_filters_keep_only_their_products(stock_lake: Lake, products: pl.DataFrame) -> None:
    page = inventory_metrics.inventory_page(stock_lake, FILTERED)
    allowed = selected_products(products, FILTERED)
    assert allowed
    for frame in (page.low_stock, page.dead_stock, page.variance, page.abc):
        assert set(frame["product_id"]) <= allowed


def test_the_pareto_chart_draws_large_catalogues_as_runs_of_ranks() -> None:
    count = 3000
    sales = pl.DataFrame({"product_id": range(1, count + 1), "revenue": [float(count - i) for i in range(count)]})
    abc = inventory_metrics.abc_classes(sales.with_columns(product=pl.format("P{}", pl.col("product_id"))))
    figure = inventory_charts.pareto(abc, "light", "en")
    bars = [trace for trace in figure.data if trace.type == "bar"]
    (line,) = [trace for trace in figure.data if trace.type == "scatter"]
    drawn = sum(len(trace.x) for trace in bars)
    assert drawn <= inventory_charts.MAX_PARETO_BARS + 3 and len(line.x) == drawn
    assert [trace.name for trace in bars] == ["Class A", "Class B", "Class C"]
    assert sum(sum(trace.y) for trace in bars) == pytest.approx(sales["revenue"].sum())
    assert line.y[-1] == pytest.approx(100.0)


def test_category_labels_leave_out_the_common_all_root(stock_lake_root: Path, tmp_path: Path) -> None:
    root = with_all_root(stock_lake_root, tmp_path / "lake")
    lake = Lake(root, cache_ttl_seconds=0)
    try:
        page = inventory_metrics.inventory_page(lake, FEBRUARY)
    finally:
        lake.close()
    labels = as_dict(page.by_category, "category_id", "label")
    assert labels[101] == "Food / Basic"  # dim_products says "All / Food / Basic"
    for frame in (page.by_category["label"], page.low_stock["category"], page.dead_stock["category"],
                  page.abc["category"]):
        assert not frame.drop_nulls().str.starts_with("All").any()
    assert page.low_stock.columns.index("category") == page.low_stock.columns.index("category_id") + 1


@pytest.mark.parametrize(("lang", "text", "hover"), [
    ("en", "Rp 1.5M · 1,234 units", ["Food / Basic", "Rp 1,500,000", "1,234 units"]),
    ("id", "Rp 1,5 jt · 1.234 unit", ["Food / Basic", "Rp 1.500.000", "1.234 unit"]),
])
def test_stock_bars_are_the_value_labelled_with_value_and_quantity(lang: str, text: str, hover: list[str]) -> None:
    grouped = pl.DataFrame({"category_id": [101, None], "label": ["Food / Basic", None],
                            "quantity": [1234.0, 2.5], "value": [1_500_000.0, 20_000.0]})
    (bars,) = inventory_charts.stock_value_bars(grouped, "category_id", "light", lang).data
    assert list(bars.x) == [20_000.0, 1_500_000.0]  # smallest first: the largest is drawn on top
    assert bars.text[-1] == text and bars.text[0].endswith("2,50 unit" if lang == "id" else "2.50 units")
    assert list(bars.customdata[-1]) == hover
    assert all(isinstance(cell, str) for row in bars.customdata for cell in row)  # formatted, never raw floats


def test_the_period_coverage_counts_the_days_whose_moves_are_loaded(stock_lake: Lake) -> None:
    selection = Selection("custom", date(2024, 2, 1), date(2024, 3, 10))
    result = inventory_metrics.moves_coverage(stock_lake, selection, today=date(2024, 3, 5))
    assert result.state == "partly" and len(result.loaded) == 29 and result.days == 39 and result.future == 5


def test_movements_leave_days_not_loaded_as_gaps_under_a_band(stock_lake: Lake) -> None:
    selection = Selection("custom", date(2024, 2, 20), date(2024, 3, 5))
    moves = inventory_metrics.movements(stock_lake, selection)
    period = inventory_metrics.moves_coverage(stock_lake, selection, today=date(2024, 12, 31))
    figure = inventory_charts.movement_chart(moves, period, "light", "en")
    missing = [date(2024, 3, day) for day in range(1, 6)]
    for trace in figure.data:
        by_day = dict(zip(map(date.fromisoformat, trace.x), trace.y))  # days go to the browser as ISO text
        assert [by_day[day] for day in missing] == [None] * 5  # gaps, not zeros
    (band,) = [shape for shape in figure.layout.shapes if shape.type == "rect"]
    assert (band.x0, band.x1) == (datetime(2024, 2, 29, 12), datetime(2024, 3, 5, 12))
    assert "not loaded" in [annotation.text for annotation in figure.layout.annotations]


def test_long_periods_draw_weeks_spanning_their_days_and_say_when_partly_loaded(stock_lake: Lake) -> None:
    start, end = date(2023, 12, 1), date(2024, 3, 10)
    moves = inventory_metrics.movements(stock_lake, Selection("custom", start, end))
    days = [start + timedelta(days=offset) for offset in range((end - start).days + 1)]
    loaded = [day for day in days if day.month in (1, 2) and day.year == 2024]
    figure = inventory_charts.movement_chart(moves, coverage(start, end, loaded, end, partial=[date(2024, 2, 29)]),
                                             "light", "en")
    trace = figure.data[0]
    assert trace.xperiodalignment == "middle" and trace.xperiod == inventory_charts.WEEK_MS
    labels = dict(zip(map(date.fromisoformat, trace.x), (row[0] for row in trace.customdata)))
    assert labels[date(2024, 2, 26)] == "Week of 26 Feb 2024 (4 of 7 days loaded)"  # 1–3 March not loaded
    assert labels[date(2024, 2, 19)] == "Week of 19 Feb 2024"
    assert dict(zip(trace.x, trace.marker.pattern.shape))["2024-02-26"] == "/"  # 29 Feb in progress
    assert {annotation.text for annotation in figure.layout.annotations} >= {"not loaded", "so far"}
