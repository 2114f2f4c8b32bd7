"""Customer KPIs (DESIGN §6): the one definition of each customer number the pages show.

Over `fact_sales_all` (POS and invoice lines, refunds negative) summed per order and then per day, channel, store and
customer (the `customer_days` and `customer_dates` serving tables, or their scope tables; else the selected lines) for
the selected period; every filter of the bar applies to the lines: store (POS lines only: invoices have no store),
channel, category (with subcategories), brand.
A customer is a line's `customer_id` (null = walk-in); an order is a (channel, order_id) with a non-refund line.

- Identified share of revenue = Σ revenue of lines with a customer ÷ Σ revenue × 100.
- Unique customers = customers with at least one order in the selection.
- New customers: their first purchase ever in the lake (earliest non-refund line of any channel, store or product)
  falls in the period; returning = unique − new.
- Repeat rate = customers with ≥ 2 orders ÷ unique customers × 100; purchase frequency = their orders ÷ unique
  customers; revenue per customer = identified revenue ÷ unique customers.
- Top customers: revenue per customer id, labelled with dim_partners name and ref.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import polars as pl

from services.duckdb_connector import Lake
from services.filters import Selection
from services.lake_sql import CUSTOMER_DAY_SUMS
from services.sales_metrics import filtered_rows, orders_cte, sales_days, sales_filters, sales_partial_days, served

ORDER_BUCKETS = 5  # orders-per-customer histogram: 1, 2, 3, 4, 5+
TOP_CUSTOMERS = 20


def _customer_days_cte(lake: Lake, selection: Selection) -> tuple[str, dict[str, Any], bool]:
    """`WITH … days AS (…)`: the selection's orders summed per business day, channel, store and customer
    (lake_sql.CUSTOMER_DAY_SUMS), and whether its rows are one per customer and date and source day (`one_a_day`).

    Without a store or channel filter: the `customer_dates` serving table (or, under one category or brand, its scope
    table); with one and no product filter: `customer_days`; otherwise the selected lines summed per order and then per
    day and customer (sales_metrics.served says what the serving tables serve)."""
    filters = sales_filters(selection)
    how = served(lake, filters)
    by_date = not (filters.store_ids or filters.channel)
    if how is not None and (by_date or how.scope is None):
        ctes, params = filtered_rows(filters, "customer_dates" if by_date else "customer_days", how.scope)
        # `customer_days` rows of one store are POS rows of that store: one per customer and date too; so are
        # invoice rows, which have no store
        one_a_day = by_date or len(filters.store_ids) == 1 or (filters.channel == "invoice" and not filters.store_ids)
        return f"{ctes},\n    days AS (SELECT * FROM lines)", params, one_a_day
    ctes, params = orders_cte(filters)
    return (f"{ctes},\n    days AS (SELECT date, channel, store_id, customer_id, {CUSTOMER_DAY_SUMS} FROM orders "
            "GROUP BY ALL)"), params, False


_PER_CUSTOMER_SQL = """
    per_customer AS (
        SELECT customer_id, sum(revenue) AS revenue, CAST(sum(orders) AS BIGINT) AS orders,
               max(date) AS last_purchase
        FROM days WHERE customer_id IS NOT NULL GROUP BY customer_id
    ),
    first_purchase AS (
        SELECT customer_id, first_purchase FROM customer_firsts
        WHERE customer_id IN (SELECT customer_id FROM per_customer)
    ),
    customers AS (
        SELECT customer_id, coalesce(dim_partners.name, 'Customer ' || customer_id) AS customer, dim_partners.ref,
               revenue, orders, last_purchase, first_purchase, coalesce(first_purchase >= $start, false) AS is_new
        FROM per_customer LEFT JOIN first_purchase USING (customer_id)
        LEFT JOIN dim_partners ON dim_partners.partner_id = per_customer.customer_id
    )"""
_DAY_SUMS = "sum(revenue) AS revenue, coalesce(sum(revenue) FILTER (WHERE customer_id IS NOT NULL), 0.0) AS " \
            "identified_revenue"
_DISTINCT_CUSTOMERS = "count(DISTINCT customer_id) FILTER (WHERE sold) AS customers"
# Identified customers who ordered, per day. Rows of several stores or channels name a customer more than once a day:
# a distinct count. Rows one per customer, date and source day (`customer_dates`; `customer_days` of one store, or
# of invoices) name a customer once a day unless a file holds rows of another date (the ETL quarantines those, so the
# distinct count is kept to such dates).
_BY_DAY_SQL = {
    False: f"by_day AS (SELECT date, {_DAY_SUMS}, {_DISTINCT_CUSTOMERS} FROM days GROUP BY date)",
    True: f"""other_dates AS (SELECT DISTINCT date FROM days WHERE date <> source_day),
    by_day AS (
        SELECT date, {_DAY_SUMS}, count(*) FILTER (WHERE sold AND customer_id IS NOT NULL) AS customers
        FROM days WHERE date NOT IN (SELECT date FROM other_dates) GROUP BY date
        UNION ALL
        SELECT date, {_DAY_SUMS}, {_DISTINCT_CUSTOMERS}
        FROM days WHERE date IN (SELECT date FROM other_dates) GROUP BY date
    )""",
}
_CUSTOMER_COLUMNS = ["customer_id", "customer", "ref", "revenue", "orders", "last_purchase", "first_purchase", "is_new"]


def _sorted_customers(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(["revenue", "customer_id"], descending=[True, False])


def customers(lake: Lake, selection: Selection) -> pl.DataFrame:
    """One row per identified customer of the selection: revenue, orders, last purchase in the period, first
    purchase ever, whether new, and the partner's name and ref."""
    ctes, params, _ = _customer_days_cte(lake, selection)
    return _sorted_customers(lake.query(f"{ctes},{_PER_CUSTOMER_SQL}\n    SELECT * FROM customers",
                                        {**params, "start": selection.start}))


def _calendar(lake: Lake, selection: Selection, by_day: pl.DataFrame) -> pl.DataFrame:
    """Per business day of the period: revenue, identified revenue, walk-in revenue and the identified customers
    who ordered that day; zero on a loaded day without sales, null on a day not loaded (`loaded`), `partial` for a
    day in progress (today so far)."""
    calendar = pl.DataFrame({"date": pl.date_range(selection.start, selection.end, eager=True)})
    loaded, partial = sales_days(lake, selection.channel), sales_partial_days(lake, selection.channel)
    measures = ["revenue", "identified_revenue", "customers"]
    frame = calendar.join(by_day, on="date", how="left").with_columns(
        loaded=pl.col("date").is_in(sorted(loaded)), partial=pl.col("date").is_in(sorted(partial)))
    return frame.with_columns(
        [pl.when(pl.col("loaded")).then(pl.col(name).fill_null(0)).alias(name) for name in measures]
    ).with_columns(walk_in_revenue=pl.col("revenue") - pl.col("identified_revenue"),
                   customers=pl.col("customers").cast(pl.Int64)).sort("date")


def daily(lake: Lake, selection: Selection) -> pl.DataFrame:
    """`_calendar` of the selection."""
    ctes, params, one_a_day = _customer_days_cte(lake, selection)
    by_day = lake.query(f"{ctes},\n    {_BY_DAY_SQL[one_a_day]}\n    SELECT * FROM by_day", params)
    return _calendar(lake, selection, by_day)


def _customers_and_days(lake: Lake, selection: Selection) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`customers` and `daily` from one query (the selected orders are read once for both)."""
    ctes, params, one_a_day = _customer_days_cte(lake, selection)
    frame = lake.query(
        f"""{ctes},{_PER_CUSTOMER_SQL},
    {_BY_DAY_SQL[one_a_day]}
    SELECT 'customer' AS part, * FROM customers UNION ALL BY NAME SELECT 'day' AS part, * FROM by_day""",
        {**params, "start": selection.start})
    per_customer = frame.filter(pl.col("part") == "customer").select(_CUSTOMER_COLUMNS)
    by_day = frame.filter(pl.col("part") == "day").select("date", "revenue", "identified_revenue", "customers")
    return _sorted_customers(per_customer), _calendar(lake, selection, by_day)


@dataclass(frozen=True)
class CustomerSummary:
    revenue: float
    identified_revenue: float
    unique_customers: int
    new_customers: int
    new_customer_revenue: float
    orders: int  # orders of identified customers
    repeat_customers: int

    @property
    def identified_share(self) -> float | None:
        """% of revenue with a customer; None when revenue is 0."""
        return self.identified_revenue / self.revenue * 100 if self.revenue else None

    @property
    def returning_customers(self) -> int:
        return self.unique_customers - self.new_customers

    @property
    def returning_customer_revenue(self) -> float:
        return self.identified_revenue - self.new_customer_revenue

    @property
    def repeat_rate(self) -> float | None:
        return self.repeat_customers / self.unique_customers * 100 if self.unique_customers else None

    @property
    def purchase_frequency(self) -> float | None:
        """Orders per customer."""
        return self.orders / self.unique_customers if self.unique_customers else None

    @property
    def revenue_per_customer(self) -> float | None:
        """Identified revenue ÷ unique customers."""
        return self.identified_revenue / self.unique_customers if self.unique_customers else None

    def as_row(self) -> dict[str, float | int | None]:
        """Every figure, derived ones included (an export row)."""
        derived = ("identified_share", "returning_customers", "returning_customer_revenue", "repeat_rate",
                   "purchase_frequency", "revenue_per_customer")
        return {**asdict(self), **{name: getattr(self, name) for name in derived}}


def summary(per_customer: pl.DataFrame, by_day: pl.DataFrame) -> CustomerSummary:
    ordering = per_customer.filter(pl.col("orders") > 0)
    new = ordering.filter(pl.col("is_new"))
    return CustomerSummary(
        revenue=float(by_day["revenue"].sum()),
        identified_revenue=float(by_day["identified_revenue"].sum()),
        unique_customers=ordering.height,
        new_customers=new.height,
        new_customer_revenue=float(per_customer.filter(pl.col("is_new"))["revenue"].sum()),
        orders=int(ordering["orders"].sum()),
        repeat_customers=ordering.filter(pl.col("orders") >= 2).height,
    )


def top_customers(per_customer: pl.DataFrame, limit: int = TOP_CUSTOMERS) -> pl.DataFrame:
    """The customers with the largest revenue (ties by id); `label` is `name (ref)` when there is a ref."""
    top = per_customer.sort(["revenue", "customer_id"], descending=[True, False]).head(limit)
    ref = pl.col("ref").fill_null("")
    return top.with_columns(label=pl.when(ref != "").then(pl.format("{} ({})", pl.col("customer"), ref))
                            .otherwise(pl.col("customer")))


def order_frequency(per_customer: pl.DataFrame) -> pl.DataFrame:
    """How many customers placed 1, 2, 3, 4 and 5+ orders (`orders` is the bucket's lower bound)."""
    buckets = per_customer.filter(pl.col("orders") > 0).select(
        orders=pl.col("orders").clip(upper_bound=ORDER_BUCKETS).cast(pl.Int64))
    counts = buckets.group_by("orders").agg(pl.len().alias("customers"))
    frame = pl.DataFrame({"orders": list(range(1, ORDER_BUCKETS + 1))}, schema={"orders": pl.Int64})
    return frame.join(counts, on="orders", how="left").with_columns(
        pl.col("customers").fill_null(0).cast(pl.Int64))


@dataclass(frozen=True)
class CustomersPage:
    summary: CustomerSummary
    daily: pl.DataFrame
    top: pl.DataFrame
    frequency: pl.DataFrame


def customers_page(lake: Lake, selection: Selection) -> CustomersPage:
    """The Customers page's queries for `selection`."""
    per_customer, by_day = _customers_and_days(lake, selection)
    return CustomersPage(summary(per_customer, by_day), by_day, top_customers(per_customer),
                         order_frequency(per_customer))
