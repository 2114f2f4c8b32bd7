"""UI strings in English and Bahasa Indonesia, and Babel-based dates, weekdays and month names.

Messages are keyed by a message id; `t(key, lang, **values)` returns the text in `lang` ('en' | 'id') with
`str.format` placeholders filled. A page with strings of its own registers them at import with
`add_messages({"inventory-title": {"en": "Inventory", "id": "Persediaan"}})` (both languages required), so pages
never edit each other's text. Numbers and money are formatted by `services.formatting` (also Babel, same `lang`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timezone
from functools import cache, lru_cache

from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import get_day_names, get_month_names

LANGUAGES: dict[str, str] = {"en": "English", "id": "Bahasa Indonesia"}
DEFAULT_LANGUAGE = "id"  # an Indonesian shop: the owner's language until they choose another

_MESSAGES: dict[str, dict[str, str]] = {
    # shell
    "app-subtitle": {"en": "Retail analytics", "id": "Analitik ritel"},
    "language": {"en": "Language", "id": "Bahasa"},
    "theme": {"en": "Light or dark theme", "id": "Tema terang atau gelap"},
    "menu": {"en": "Menu", "id": "Menu"},
    "busy": {"en": "Updating…", "id": "Memperbarui…"},
    "page-home": {"en": "Overview", "id": "Ringkasan"},
    "page-sales": {"en": "Sales", "id": "Penjualan"},
    "page-inventory": {"en": "Inventory", "id": "Persediaan"},
    "page-customers": {"en": "Customers", "id": "Pelanggan"},
    "page-profit": {"en": "Profit", "id": "Laba"},
    "page-operational": {"en": "Operations", "id": "Operasional"},
    # filter bar
    "period": {"en": "Period", "id": "Periode"},
    "range": {"en": "Dates", "id": "Tanggal"},
    "store": {"en": "Store", "id": "Toko"},
    "category": {"en": "Category (with subcategories)", "id": "Kategori (dengan subkategori)"},
    "brand": {"en": "Brand", "id": "Merek"},
    "channel": {"en": "Channel", "id": "Kanal"},
    "all": {"en": "All", "id": "Semua"},
    "channel-all": {"en": "All channels", "id": "Semua kanal"},
    "channel-pos": {"en": "POS", "id": "Kasir (POS)"},
    "channel-invoice": {"en": "Invoices", "id": "Faktur"},
    "preset-today": {"en": "Today", "id": "Hari ini"},
    "preset-yesterday": {"en": "Yesterday", "id": "Kemarin"},
    "preset-last_7": {"en": "Last 7 days", "id": "7 hari terakhir"},
    "preset-last_30": {"en": "Last 30 days", "id": "30 hari terakhir"},
    "preset-last_90": {"en": "Last 90 days", "id": "90 hari terakhir"},
    "preset-this_month": {"en": "This month", "id": "Bulan ini"},
    "preset-last_month": {"en": "Last month", "id": "Bulan lalu"},
    "preset-year_to_date": {"en": "Year to date", "id": "Tahun berjalan"},
    "preset-custom": {"en": "Custom", "id": "Pilih tanggal"},
    "loaded-range": {"en": "Data loaded {first} – {last}", "id": "Data tersedia {first} – {last}"},
    "nothing-loaded": {"en": "No data loaded yet", "id": "Belum ada data yang dimuat"},
    "reset-filters": {"en": "Reset filters", "id": "Atur ulang filter"},
    # coverage and comparisons
    "coverage-partly": {"en": "{loaded} of {days} days loaded", "id": "{loaded} dari {days} hari tersedia"},
    "coverage-future": {"en": "This period has not happened yet", "id": "Periode ini belum terjadi"},
    "coverage-future-part": {"en": "{days} days of this period are still to come",
                             "id": "{days} hari dari periode ini belum terjadi"},
    "coverage-empty": {"en": "No data loaded for this period", "id": "Tidak ada data untuk periode ini"},
    "partial-day": {"en": "{day}: so far today (still loading)", "id": "{day}: hari ini sejauh ini (masih berjalan)"},
    "partial-mark": {"en": "so far", "id": "sejauh ini"},
    "vs-previous": {"en": "vs previous period", "id": "vs periode sebelumnya"},
    "vs-last-year": {"en": "vs last year", "id": "vs tahun lalu"},
    "not-loaded": {"en": "not loaded", "id": "tidak tersedia"},
    "matched-days": {"en": "over {days} of {total} days loaded in both",
                     "id": "atas {days} dari {total} hari yang tersedia di keduanya"},
    "period-label": {"en": "{start} – {end}", "id": "{start} – {end}"},
    "what-this-means": {"en": "What this means", "id": "Artinya"},
    # KPI cards (help texts: docs/KPIS.md)
    "kpi-revenue": {"en": "Revenue", "id": "Pendapatan"},
    "kpi-net_sales": {"en": "Net sales", "id": "Penjualan bersih"},
    "kpi-orders": {"en": "Orders", "id": "Pesanan"},
    "kpi-aov": {"en": "Avg order value", "id": "Rata-rata per pesanan"},
    "kpi-units": {"en": "Units", "id": "Unit"},
    "kpi-refunds": {"en": "Refunds", "id": "Retur"},
    "kpi-basket_size": {"en": "Items per order", "id": "Barang per pesanan"},
    "kpi-discount_depth": {"en": "Discount depth", "id": "Kedalaman diskon"},
    # data health
    "health-dataset": {"en": "Dataset", "id": "Dataset"},
    "health-status": {"en": "Status", "id": "Status"},
    "health-freshness": {"en": "Freshness", "id": "Kesegaran"},
    "health-last-processed": {"en": "Last processed", "id": "Terakhir diproses"},
    "health-last-run": {"en": "Last run", "id": "Proses terakhir"},
    "health-failed": {"en": "Failed days", "id": "Hari gagal"},
    "health-missing": {"en": "Missing days", "id": "Hari hilang"},
    "health-unreadable": {"en": "Unreadable files", "id": "Berkas tak terbaca"},
    "health-none": {"en": "none", "id": "tidak ada"},
    "health-run": {"en": "run", "id": "proses"},
    "health-last-run-text": {"en": "{day}: {rows} rows, {seconds} s", "id": "{day}: {rows} baris, {seconds} dtk"},
    "health-last-run-quarantined": {"en": "{day}: {rows} rows, {quarantined} quarantined, {seconds} s",
                                    "id": "{day}: {rows} baris, {quarantined} dikarantina, {seconds} dtk"},
    "health-many-days": {"en": "{count} days, newest: {days}", "id": "{count} hari, terbaru: {days}"},
    "health-workers": {"en": "Celery workers answering: {names}", "id": "Worker Celery yang menjawab: {names}"},
    "health-no-workers": {"en": "No Celery worker answers", "id": "Tidak ada worker Celery yang menjawab"},
    "health-dimensions-unreadable": {"en": "Unreadable dimension files", "id": "Berkas dimensi tak terbaca"},
    "more-count": {"en": "+{count} more", "id": "+{count} lainnya"},
    # status badges (etl.pipelines.health: datasets, the report, the dimension refresh) and freshness levels
    "status-ok": {"en": "ok", "id": "baik"},
    "status-stale": {"en": "stale", "id": "terlambat"},
    "status-degraded": {"en": "degraded", "id": "menurun"},
    "status-failing": {"en": "failing", "id": "gagal"},
    "status-unreadable": {"en": "unreadable", "id": "tak terbaca"},
    "status-down": {"en": "down", "id": "mati"},
    "status-never": {"en": "never", "id": "belum pernah"},
    "freshness-fresh": {"en": "fresh", "id": "segar"},
    "freshness-warning": {"en": "warning", "id": "waspada"},
    "freshness-critical": {"en": "critical", "id": "kritis"},
    "freshness-never": {"en": "never", "id": "belum pernah"},
    # dataset titles (English as etl/catalog.py words them)
    "dataset-pos_order_lines": {"en": "POS sales", "id": "Penjualan kasir (POS)"},
    "dataset-invoice_sales": {"en": "Invoice sales", "id": "Penjualan faktur"},
    "dataset-inventory_moves": {"en": "Inventory moves", "id": "Pergerakan persediaan"},
    "dataset-purchases": {"en": "Purchases", "id": "Pembelian"},
    "dataset-stock_quants": {"en": "Stock on hand", "id": "Stok tersedia"},
    "dataset-profit": {"en": "Profit", "id": "Laba"},
    # charts and exports
    "no-data": {"en": "No data for this selection", "id": "Tidak ada data untuk pilihan ini"},
    "download-csv": {"en": "Download CSV", "id": "Unduh CSV"},
    "download-xlsx": {"en": "Download Excel", "id": "Unduh Excel"},
    "export": {"en": "Export", "id": "Ekspor"},
    "not-loaded-gap": {"en": "not loaded", "id": "tidak tersedia"},
    "orders-count": {"en": "{count} orders", "id": "{count} pesanan"},
    "hour-of-day": {"en": "Hour of day", "id": "Jam"},
    "units-per-order": {"en": "Units in the order", "id": "Unit dalam pesanan"},
    "click-to-filter": {"en": "Click a bar to filter by it", "id": "Klik batang untuk memfilter"},
    "click-day-to-filter": {"en": "Click a day to see it alone", "id": "Klik hari untuk melihatnya saja"},
    "unknown": {"en": "(unknown)", "id": "(tidak diketahui)"},
    "no-brand": {"en": "(no brand)", "id": "(tanpa merek)"},
}


def add_messages(messages: Mapping[str, Mapping[str, str]]) -> None:
    """Register a page's own strings (each in every language of `LANGUAGES`); an id may not be taken twice with
    other text."""
    for key, texts in messages.items():
        missing = set(LANGUAGES) - set(texts)
        if missing:
            raise ValueError(f"message {key!r} lacks {sorted(missing)}")
        known = _MESSAGES.get(key)
        if known is not None and dict(known) != dict(texts):
            raise ValueError(f"message {key!r} is already defined with other text")
        _MESSAGES[key] = dict(texts)


def language(value: object) -> str:
    """`value` when it names a supported language, else the default (for cookies, URLs, stores)."""
    return value if isinstance(value, str) and value in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, lang: str, **values: object) -> str:
    """The message `key` in `lang` with `values` filled in (a KeyError for an unknown id: a typo, not a fallback)."""
    text = _MESSAGES[key][language(lang)]
    return text.format(**values) if values else text


def has_message(key: str) -> bool:
    return key in _MESSAGES


def t_or(key: str, lang: str, default: str) -> str:
    """The message `key` in `lang`, or `default` where no message has that id (a name from outside, e.g. a status
    code or a page registered without one)."""
    return t(key, lang) if has_message(key) else default


@lru_cache(maxsize=16384)  # a daily chart labels every day of its range, on every load
def format_day(day: date, lang: str, pattern: str = "d MMM y") -> str:
    """A business day in `lang` (CLDR patterns: `d MMM y` → `1 Feb 2024`, `EEE d MMM` → `Kam 1 Feb`)."""
    return babel_format_date(day, pattern, locale=language(lang))


def format_moment(moment: datetime, lang: str, pattern: str = "d MMM y HH:mm:ss") -> str:
    """A timestamp in UTC in `lang` (`1 Feb 2024 02:03:04`); the text around it says that it is UTC."""
    return babel_format_datetime(moment, pattern, tzinfo=timezone.utc, locale=language(lang))


def format_day_range(start: date, end: date, lang: str) -> str:
    if start == end:
        return format_day(start, lang, "EEE d MMM y")
    return t("period-label", lang, start=format_day(start, lang), end=format_day(end, lang))


@cache
def weekday_names(lang: str, width: str = "abbreviated") -> tuple[str, ...]:
    """Monday first (ISO weekday 1 at index 0): `Sen … Min` / `Mon … Sun`."""
    names = get_day_names(width, locale=language(lang))
    return tuple(names[index] for index in range(7))


@cache
def month_names(lang: str, width: str = "abbreviated") -> tuple[str, ...]:
    """January first."""
    names = get_month_names(width, locale=language(lang))
    return tuple(names[index] for index in range(1, 13))


def dates_locale(lang: str) -> str:
    """The dayjs locale name the date pickers use for `lang` (assets/dayjs-locale-id.js defines 'id')."""
    return language(lang)
