"""KPIs, breakdowns and filters of `services.sales_metrics` against hand-computed polars sums on a generated lake."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import polars as pl
import pytest

from benchmarks.lake_generator import SMALL_LAKE, publish_day
from etl import schemas
from services import sales_metrics
from services.duckdb_connector import Lake
from services.sales_metrics import SalesFilters

PERIOD = SalesFilters(date(2024, 2, 1), date(2024, 2, 20))


def expected_kpis(lines: pl.DataFrame, filters: SalesFilters) -> dict[str, float]:
    """The DESIGN §6 definitions, written once more in polars."""
    period = lines.filter(pl.col("date").is_between(filters.start, filters.end))
    revenue = period["revenue"].sum()
    orders = period.filter(~pl.col("is_refund"))["order_id"].n_unique()
    return {
        "revenue": revenue,
        "net_sales": period["revenue_excl_tax"].sum(),
        "orders": orders,
        "aov": revenue / orders,
        "units": period["quantity"].sum(),
        "refunds": period.filter(pl.col("is_refund"))["revenue"].sum(),
    }


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
        assert kpis[name].change_pct == pytest.approx((kpis[name].value - value) / abs(value) * 100), name


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
    options = sales_metrics.filter_options(lake)
    assert len(options.stores) == 5 and len(options.brands) == SMALL_LAKE.brands
    assert (101, "Food / Basic") in options.categories


def test_a_previous_period_that_was_never_loaded_has_no_value(lake: Lake) -> None:
    first_loaded = sales_metrics.loaded_sales_days(lake)[0]
    filters = SalesFilters(first_loaded, first_loaded + (PERIOD.end - PERIOD.start))
    kpis = sales_metrics.kpi_comparison(lake, filters)
    assert all(kpi.previous is None and kpi.change_pct is None for kpi in kpis.values())
    assert kpis["revenue"].value > 0
