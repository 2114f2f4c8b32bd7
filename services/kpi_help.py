"""The "what this means" text of each KPI card, chart and table, read from docs/KPIS.md (its "What the cards mean"
table) so the definitions and their plain-language help have one home. A page adding a KPI card, chart or table adds a
row there (keyed by the card's KPI key, or by the chart's or table's component id)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from services.i18n import language

KPIS_DOC = Path(__file__).resolve().parents[1] / "docs" / "KPIS.md"
SECTION = "## What the cards mean"
COLUMNS = ("en", "id")  # the table's language columns after the key, in order


def parse_help(markdown: str) -> dict[str, dict[str, str]]:
    """key → {language → text} from the section's table (header and separator rows skipped)."""
    _, found, rest = markdown.partition(SECTION)
    if not found:
        return {}
    texts: dict[str, dict[str, str]] = {}
    for line in rest.splitlines()[1:]:
        if line.startswith("## "):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 1 + len(COLUMNS) or cells[0] in ("key", "") or set(cells[0]) <= {"-"}:
            continue
        texts[cells[0]] = dict(zip(COLUMNS, cells[1:]))
    return texts


@cache
def _help() -> dict[str, dict[str, str]]:
    return parse_help(KPIS_DOC.read_text(encoding="utf-8"))


def help_text(key: str, lang: str) -> str | None:
    """The help for `key` (a KPI card key or a chart/table id) in `lang`, or None when docs/KPIS.md has no row
    for it."""
    texts = _help().get(key)
    return texts[language(lang)] if texts else None


def known_keys() -> set[str]:
    return set(_help())
