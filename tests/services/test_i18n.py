"""UI strings in both languages, Babel dates, the date pickers' Indonesian locale and the KPI help from docs/KPIS.md."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from services import i18n, kpi_help
from services.i18n import format_day, month_names, t, weekday_names
from services.sales_metrics import SALES_KPI_NAMES

ASSET = Path(__file__).resolve().parents[2] / "assets" / "dayjs-locale-id.js"


def test_every_message_has_both_languages() -> None:
    for key, texts in i18n._MESSAGES.items():
        assert set(texts) == set(i18n.LANGUAGES), key
        assert all(text.strip() for text in texts.values()), key


def test_messages_fill_placeholders_and_unknown_languages_fall_back() -> None:
    assert t("coverage-partly", "en", loaded=6, days=15) == "6 of 15 days loaded"
    assert t("coverage-partly", "id", loaded=6, days=15) == "6 dari 15 hari tersedia"
    assert t("period", "xx") == t("period", i18n.DEFAULT_LANGUAGE)


def test_a_page_registers_its_strings_once() -> None:
    i18n.add_messages({"test-hello": {"en": "Hello", "id": "Halo"}})
    i18n.add_messages({"test-hello": {"en": "Hello", "id": "Halo"}})  # the same again: fine (module reloads)
    with pytest.raises(ValueError):
        i18n.add_messages({"test-hello": {"en": "Hi", "id": "Hai"}})
    with pytest.raises(ValueError):
        i18n.add_messages({"test-half": {"en": "Only English"}})


def test_dates_weekdays_and_months_in_both_languages() -> None:
    assert format_day(date(2024, 8, 1), "id") == "1 Agu 2024"
    assert format_day(date(2024, 8, 1), "en") == "1 Aug 2024"
    assert format_day(date(2024, 2, 1), "id", "EEE d MMM") == "Kam 1 Feb"
    assert weekday_names("id")[0] == "Sen" and weekday_names("en")[6] == "Sun"
    assert month_names("id", "wide")[7] == "Agustus"


def _js_list(name: str) -> list[str]:
    match = re.search(rf"{name}: \[([^\]]*)\]", ASSET.read_text(encoding="utf-8"))
    assert match, name
    return re.findall(r'"([^"]+)"', match.group(1))


def test_the_date_pickers_indonesian_names_are_babels() -> None:
    sunday_first = lambda names: [names[6], *names[:6]]  # noqa: E731  (dayjs starts weeks on Sunday)
    assert _js_list("weekdays") == sunday_first(list(weekday_names("id", "wide")))
    assert _js_list("weekdaysShort") == sunday_first(list(weekday_names("id")))
    assert _js_list("months") == list(month_names("id", "wide"))
    assert _js_list("monthsShort") == list(month_names("id"))


def test_every_sales_kpi_card_has_help_in_both_languages() -> None:
    for name in SALES_KPI_NAMES:
        assert kpi_help.help_text(name, "en") and kpi_help.help_text(name, "id"), name
        assert i18n.has_message(f"kpi-{name}"), name
    assert kpi_help.help_text("no-such-kpi", "en") is None


def test_help_is_read_from_the_table_of_its_section() -> None:
    markdown = "# x\n## What the cards mean\ntext\n\n| key | English | Bahasa Indonesia |\n|---|---|---|\n" \
               "| revenue | Money in. | Uang masuk. |\n\n## Next\n| other | a | b |\n"
    assert kpi_help.parse_help(markdown) == {"revenue": {"en": "Money in.", "id": "Uang masuk."}}
