"""KPIs, breakdowns and filters of `services.sales_metrics` against hand-computed polars sums on a generated lake."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import polars as pl
import pytest

from benchmarks.lake_generator import SMALL_LAKE, publish_day
from etl import schemas
from etl.day_manifest import commit_day, drop_day, read_manifest
from etl.io_parquet import dimension_path
from services import sales_metrics
from services.duckdb_connector import Lake, loaded_sales_days
from services.filters import filter_choices
from services.sales_metrics import SalesFilters
from tests.services.conftest import published
from tests.services.stock_lake import published_rows, stock_lake_root

__all__ = ["stock_lake_root"]  # the fixture, for the invoice channel

PERIOD = SalesFilters(date(2024, 2, 1), date(2024, 2, 20))


def expected_kpis(lines: pl.DataFrame, filters: SalesFilters) -> dict[str, float]:
    """The DESIGN §6 and docs/KPIS.md definitions, written once more in polars."""
    period = lines.filter(pl.col("date").is_between(filters.start, filters.end))
    if filters.only_days is not None:
        period = period.filter(pl.col("date").is_in(list(filters.only_days)))
    revenue = period["revenue"].sum()
    sold = period.filter(~pl.col("is_refund"))
    orders = sold["order_id"].n_unique()
    return {
        "revenue": revenue,
        "net_sales": period["revenue_excl_tax"].sum(),
        "orders": orders,
        "aov": revenue / orders,
        "units": period["quantity"].sum(),
        "refunds": period.filter(pl.col("is_refund"))["revenue"].sum(),
        "basket_size": sold["quantity"].sum() / orders,
        "discount_depth": sold["discount_amount"].sum() / (sold["revenue"].sum() + sold["discount_amount"].sum()) * 100,
    }


def expected_change(name: str, current: float, previous: float) -> object:
    """Change in percent (approximately), refunds by their size (more refunded is a rise); None (blank) when the
    previous value is 0."""
    if name == "refunds":
        current, previous = abs(current), abs(previous)
    return None if previous == 0 else pytest.approx((current - previous) / abs(previous) * 100)


def test_kpis_equal_hand_computed_sums(lake: Lake, sales_lines: pl.DataFrame) -> None:
    kpis = sales_metrics.kpi_comparison(lake, PERIOD)
    expected = expected_kpis(sales_lines, PERIOD)
    assert expected["refunds"] < 0 < expected["orders"]
    for name, value in expected.items():
        assert kpis[name].value == pytest.approx(value, rel=1e-12), name


def test_previous_period_has_equal_length_and_ends_the_day_before() -> None:
    previous = PERIOD.previous()
    assert (previous.start, previous.end) == (date(2024, 1, 12), date(2024, 1, 31))
    assert previous.days == PERIOD.days


def test_kpis_compare_with_the_previous_period(lake: Lake, sales_lines: pl.DataFrame) -> None:
    kpis = sales_metrics.kpi_comparison(lake, PERIOD)
    before = expected_kpis(sales_lines, PERIOD.previous())
    for name, value in before.items():
        assert kpis[name].previous == pytest.approx(value, rel=1e-12), name
        assert kpis[name].change_pct == expected_change(name, kpis[name].value, value), name
        assert not kpis[name].vs_previous.restricted


@pytest.mark.parametrize(
    ("filters", "selects"),
    [
        (SalesFilters(PERIOD.start, PERIOD.end, store_ids=(2, 4)), pl.col("store_id").is_in([2, 4])),
        # 100 is a root category: its subcategories 101..104 hold the products
        (SalesFilters(PERIOD.start, PERIOD.end, category_ids=(100,)), pl.col("category_id").is_between(101, 104)),
        (SalesFilters(PERIOD.start, PERIOD.end, category_ids=(302,)), pl.col("category_id") == 302),
        (SalesFilters(PERIOD.start, PERIOD.end, brand_ids=(1, 3)), pl.col("brand_id").is_in([1, 3])),
        (SalesFilters(PERIOD.start, PERIOD.end, store_ids=(1,), category_ids=(200,), brand_ids=(2,)),
         (pl.col("store_id") == 1) & pl.col("category_id").is_between(201, 204) & (pl.col("brand_id") == 2)),
    ],
    ids=["stores", "category-with-children", "leaf-category", "brands", "all-filters"],
)
def test_filters_select_the_matching_lines(lake: Lake, sales_lines: pl.DataFrame, filters: SalesFilters,
                                           selects: pl.Expr) -> None:
    expected = expected_kpis(sales_lines.filter(selects), filters)
    kpis = sales_metrics.kpi_comparison(lake, filters)
    assert 0 < kpis["revenue"].value < expected_kpis(sales_lines, filters)["revenue"]
    for name in ("revenue", "orders", "units"):
        assert kpis[name].value == pytest.approx(expected[name], rel=1e-12), name


def test_a_category_filter_compares_and_breaks_down_its_own_lines(lake: Lake, sales_lines: pl.DataFrame) -> None:
    """Under a product-level filter the comparisons (one query for both) and the order breakdowns (one query for
    all three) are the selected lines' figures, computed again here in polars."""
    filters = SalesFilters(PERIOD.start, PERIOD.end, category_ids=(100,))
    chosen = sales_lines.filter(pl.col("category_id").is_between(101, 104))
    kpis = sales_metrics.kpi_comparison(lake, filters)
    before = expected_kpis(chosen, filters.previous())
    for name in ("revenue", "orders", "units", "refunds", "basket_size"):
        assert kpis[name].previous == pytest.approx(before[name], rel=1e-12), name
    assert kpis["orders"].vs_last_year.value is None  # the small lake has no last year
    period = chosen.filter(pl.col("date").is_between(filters.start, filters.end))
    per_order = period.group_by("order_id").agg(
        pl.col("quantity").filter(~pl.col("is_refund")).sum().round().cast(pl.Int64).clip(upper_bound=5).alias("units"),
        (~pl.col("is_refund")).any().alias("sold"), pl.col("cashier_id").first(), pl.col("revenue").sum())
    sold = per_order.filter(pl.col("sold") & (pl.col("units") > 0))
    baskets = sales_metrics.basket_sizes(lake, filters, largest=5)
    assert baskets.rows() == sold.group_by("units").len().sort("units").rows()
    cashiers = sales_metrics.cashier_performance(lake, filters)
    expected = per_order.group_by("cashier_id").agg(pl.col("revenue").sum(), pl.col("sold").sum().alias("orders"))
    got = cashiers.select("cashier_id", "revenue", "orders").sort("cashier_id", nulls_last=True)
    expected = expected.sort("cashier_id", nulls_last=True)
    assert got["cashier_id"].to_list() == expected["cashier_id"].to_list()
    assert got["orders"].to_list() == expected["orders"].to_list()
    assert got["revenue"].to_list() == pytest.approx(expected["revenue"].to_list(), rel=1e-12)


def test_breakdowns_add_up_to_the_revenue_kpi(lake: Lake) -> None:
    revenue = sales_metrics.kpi_comparison(lake, PERIOD)["revenue"].value
    page = sales_metrics.sales_page(lake, PERIOD)
    assert page.kpis["revenue"].value == pytest.approx(revenue)
    assert page.trend.height == PERIOD.days
    assert page.trend["revenue"].sum() == pytest.approx(revenue)
    assert page.stores["revenue"].sum() == pytest.approx(revenue)
    assert page.stores["orders"].sum() == sales_metrics.kpi_comparison(lake, PERIOD)["orders"].value
    products = sales_metrics.product_sales(lake, PERIOD)
    assert sales_metrics.top_categories(products, limit=1000)["revenue"].sum() == pytest.approx(revenue)
    assert sales_metrics.top_brands(products, limit=1000)["revenue"].sum() == pytest.approx(revenue)
    assert page.heatmap["revenue"].sum() == pytest.approx(revenue)
    top = sales_metrics.top_products(products, limit=5)
    assert top.height == 5 and top["revenue"].is_sorted(descending=True)


def test_payment_mix_sums_to_revenue_of_orders(lake: Lake) -> None:
    payments = sales_metrics.payment_mix(lake, PERIOD)
    assert set(payments["method"]) == {"Cash", "QRIS", "Debit BCA", "Credit Card", "GoPay"}
    revenue = sales_metrics.kpi_comparison(lake, PERIOD)["revenue"].value
    assert payments["amount"].sum() == pytest.approx(revenue, abs=0.01 * payments.height)


def _one_order_lake(root: Path, order_ts: datetime, business_day: date) -> None:
    line = {name: None for name in schemas.FACT_SALES.names()} | {
        "date": business_day, "order_ts": order_ts, "order_id": 1, "store_id": 1, "line_id": 1, "product_id": 1,
        "quantity": 1.0, "revenue": 11100.0, "revenue_excl_tax": 10000.0, "tax_amount": 1100.0, "is_refund": False,
    }
    publish_day(root, business_day, {"fact_sales": pl.DataFrame([line], schema=schemas.FACT_SALES),
                                     "fact_payments": pl.DataFrame(schema=schemas.FACT_PAYMENTS)})


def test_heatmap_uses_the_business_timezone(tmp_path: Path) -> None:
    # Monday 2024-01-01 17:30 UTC is Tuesday 2024-01-02 00:30 in Jakarta (WIB, UTC+7)
    _one_order_lake(tmp_path, datetime(2024, 1, 1, 17, 30, tzinfo=timezone.utc), date(2024, 1, 2))
    lake = Lake(tmp_path, cache_ttl_seconds=0, timezone="Asia/Jakarta")
    cube = sales_metrics.sales_cube(lake, SalesFilters(date(2024, 1, 2), date(2024, 1, 2)))
    heatmap = sales_metrics.hour_weekday_heatmap(cube)
    assert heatmap.select("weekday", "hour", "orders").rows() == [(2, 0, 1)]


def test_hostile_filter_values_are_data_not_sql(lake: Lake) -> None:
    hostile = SalesFilters(PERIOD.start, PERIOD.end, store_ids=("1) OR 1=1; DROP VIEW fact_sales; --",))  # type: ignore[arg-type]
    with pytest.raises(duckdb.Error):
        sales_metrics.kpi_comparison(lake, hostile)
    with pytest.raises(duckdb.Error):
        sales_metrics.payment_mix(lake, hostile)
    assert sales_metrics.kpi_comparison(lake, PERIOD)["orders"].value > 0  # the views are intact


def test_default_period_ends_at_the_latest_loaded_day(lake: Lake) -> None:
    period = sales_metrics.default_period(lake, today=date(2030, 1, 1), days=30)
    assert (period.start, period.end) == (date(2024, 1, 31), SMALL_LAKE.end)


def test_filter_options_come_from_the_dimensions(lake: Lake) -> None:
    options = filter_choices(lake)
    assert len(options.stores) == 5 and len(options.brands) == SMALL_LAKE.brands
    assert (101, "Food / Basic") in options.categories


def test_a_previous_period_that_was_never_loaded_has_no_value(lake: Lake) -> None:
    first_loaded = loaded_sales_days(lake)[0]
    filters = SalesFilters(first_loaded, first_loaded + (PERIOD.end - PERIOD.start))
    kpis = sales_metrics.kpi_comparison(lake, filters)
    assert all(kpi.previous is None and kpi.change_pct is None for kpi in kpis.values())
    assert kpis["revenue"].value > 0


def test_more_refunds_is_bad_news_whatever_the_sign(lake: Lake, sales_lines: pl.DataFrame) -> None:
    kpis = sales_metrics.kpi_comparison(lake, PERIOD)
    refunds = kpis["refunds"].vs_previous
    grew = abs(refunds.current) > abs(refunds.value)
    assert (refunds.change_pct > 0) == grew and refunds.good is (not grew)
    revenue = kpis["revenue"].vs_previous
    assert revenue.good is (revenue.change_pct > 0)
    assert kpis["discount_depth"].vs_previous.good is None  # neither good nor bad


def test_a_partly_loaded_previous_period_compares_only_the_days_loaded_in_both(
        lake: Lake, sales_lines: pl.DataFrame) -> None:
    # 6..15 January: its previous period 27 December..5 January has only 1..5 January loaded
    filters = SalesFilters(date(2024, 1, 6), date(2024, 1, 15))
    kpis = sales_metrics.kpi_comparison(lake, filters)
    matched_now = filters.over(filters.start, filters.end, tuple(date(2024, 1, d) for d in range(11, 16)))
    matched_before = filters.over(date(2023, 12, 27), date(2024, 1, 5), tuple(date(2024, 1, d) for d in range(1, 6)))
    now, before = expected_kpis(sales_lines, matched_now), expected_kpis(sales_lines, matched_before)
    whole = expected_kpis(sales_lines, filters)
    for name in sales_metrics.SALES_KPI_NAMES:
        change = kpis[name].vs_previous
        assert (change.matched, change.total, change.restricted) == (5, 10, True), name
        assert kpis[name].value == pytest.approx(whole[name], rel=1e-12), name  # the card: every loaded day
        assert change.current == pytest.approx(now[name], rel=1e-12), name
        assert change.value == pytest.approx(before[name], rel=1e-12), name
        assert change.change_pct == expected_change(name, now[name], before[name]), name
        assert kpis[name].vs_last_year.value is None and kpis[name].vs_last_year.change_pct is None


def test_days_never_loaded_are_gaps_and_a_partial_day_is_marked(root: Path) -> None:
    missing, today = date(2024, 2, 10), date(2024, 2, 29)
    drop_day(root, "pos_order_lines", missing)
    manifest = read_manifest(root, "pos_order_lines", today)
    commit_day(root, replace(manifest, partial=True))
    lake = Lake(root, cache_ttl_seconds=0)
    try:
        filters = SalesFilters(date(2024, 2, 1), date(2024, 3, 2))
        page = sales_metrics.sales_page(lake, filters)
        by_day = {row["date"]: row for row in page.trend.iter_rows(named=True)}
        assert by_day[missing]["revenue"] is None and not by_day[missing]["loaded"]
        assert by_day[date(2024, 3, 1)]["revenue"] is None  # after the last loaded day
        assert by_day[today]["partial"] and by_day[today]["revenue"] > 0
        coverage = sales_metrics.sales_coverage(lake, filters, today=today)
        assert (coverage.state, len(coverage.loaded), coverage.future, coverage.partial) == ("partly", 28, 2, (today,))
        assert sales_metrics.sales_coverage(lake, SalesFilters(date(2025, 1, 1), date(2025, 1, 7)), today).state \
            == "future"
    finally:
        lake.close()


def test_basket_sizes_count_orders_by_units_sold(lake: Lake, sales_lines: pl.DataFrame) -> None:
    baskets = sales_metrics.basket_sizes(lake, PERIOD, largest=5)
    sold = sales_lines.filter(pl.col("date").is_between(PERIOD.start, PERIOD.end) & ~pl.col("is_refund"))
    per_order = sold.group_by("order_id").agg(pl.col("quantity").sum().round().cast(pl.Int64).clip(upper_bound=5))
    expected = per_order.group_by("quantity").len().sort("quantity")
    assert baskets.rows() == expected.rows()
    assert baskets["orders"].sum() == sales_metrics.kpi_comparison(lake, PERIOD)["orders"].value


def test_cashiers_are_grouped_by_id_and_named_from_dim_cashiers(root: Path) -> None:
    cashiers = pl.DataFrame({"cashier_id": [10, 11], "name": ["Ayu", "Budi"], "user_id": [1010, 1011],
                             "company_id": [1, 1]}).with_columns(
        active=pl.lit(True), write_date=pl.lit(None, schemas.UTC_TS), deleted=pl.lit(False))
    schemas.conform(cashiers, schemas.DIMENSIONS["dim_cashiers"]).write_parquet(dimension_path(root, "dim_cashiers"))
    lake = Lake(root, cache_ttl_seconds=0)
    try:
        frame = sales_metrics.cashier_performance(lake, PERIOD)
    finally:
        lake.close()
    lines = _lines(root).filter(pl.col("date").is_between(PERIOD.start, PERIOD.end))
    expected = lines.group_by("cashier_id").agg(
        pl.col("revenue").sum(), pl.col("order_id").filter(~pl.col("is_refund")).n_unique().alias("orders"))
    got = {row["cashier_id"]: row for row in frame.iter_rows(named=True)}
    assert set(got) == set(expected["cashier_id"])
    for row in expected.iter_rows(named=True):
        assert got[row["cashier_id"]]["revenue"] == pytest.approx(row["revenue"])
        assert got[row["cashier_id"]]["orders"] == row["orders"]
    assert got[10]["cashier"] == "Ayu" and got[12]["cashier"] is None
    assert frame["revenue"].is_sorted(descending=True)


def test_top_products_are_keyed_by_id_and_labelled_with_the_code(lake: Lake) -> None:
    top = sales_metrics.top_products(sales_metrics.product_sales(lake, PERIOD), limit=3)
    assert top["label"].to_list() == [f"[SKU{key:05d}] Product {key:04d}" for key in top["key"]]


def test_payment_mix_follows_a_category_through_the_orders_lines(lake: Lake, small_lake_root: Path,
                                                                sales_lines: pl.DataFrame) -> None:
    filters = SalesFilters(PERIOD.start, PERIOD.end, category_ids=(100,))
    mix = sales_metrics.payment_mix(lake, filters)
    lines = sales_lines.filter(pl.col("date").is_between(PERIOD.start, PERIOD.end))
    selected = lines.filter(pl.col("category_id").is_between(101, 104)).group_by("order_id").agg(
        pl.col("revenue").sum().alias("selected"))
    share = selected.join(lines.group_by("order_id").agg(pl.col("revenue").sum().alias("total")), on="order_id")
    payments = pl.concat([published(small_lake_root, "fact_payments", day)
                          for day in sales_lines["date"].unique().to_list()
                          if PERIOD.start <= day <= PERIOD.end])
    expected = payments.join(share, on="order_id").group_by("payment_method_id").agg(
        (pl.col("amount") * pl.col("selected") / pl.col("total")).sum())
    got = dict(zip(mix["payment_method_id"], mix["amount"]))
    for method, amount in expected.iter_rows():
        assert got[method] == pytest.approx(amount), method
    revenue = sales_metrics.kpi_comparison(lake, filters)["revenue"].value
    assert mix["amount"].sum() == pytest.approx(revenue, rel=1e-3)


def test_the_channel_filter_and_split_use_invoice_lines(stock_lake_root: Path) -> None:
    lake = Lake(stock_lake_root, cache_ttl_seconds=0)
    try:
        invoices = published_rows(stock_lake_root, "invoice_sales", "fact_invoice_sales").filter(
            pl.col("date").is_between(PERIOD.start, PERIOD.end))
        split = dict(sales_metrics.channel_split(sales_metrics.sales_cube(lake, PERIOD)).select(
            "channel", "revenue").iter_rows())
        assert split["invoice"] == pytest.approx(invoices["revenue"].sum())
        only = sales_metrics.kpi_comparison(lake, replace(PERIOD, channel="invoice"))
        assert only["revenue"].value == pytest.approx(invoices["revenue"].sum())
        assert only["orders"].value == invoices.filter(pl.col("move_type") == "out_invoice")["move_id"].n_unique()
        assert sales_metrics.payment_mix(lake, replace(PERIOD, channel="invoice")).is_empty()
        total = sales_metrics.kpi_comparison(lake, PERIOD)["revenue"].value
        assert split["pos"] + split["invoice"] == pytest.approx(total)
    finally:
        lake.close()


def _lines(root: Path) -> pl.DataFrame:
    return published_rows(root, "pos_order_lines", "fact_sales")
