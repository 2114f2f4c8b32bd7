"""Display formatting in the owner's language (Babel, CLDR data); values stay exact until they are shown.

Every function takes `lang` ('id' default | 'en'; see services.i18n) and rounds half away from zero first:
- Rupiah, no decimals: `Rp 1.234.567` (id) / `Rp 1,234,567` (en); negative `-Rp 1.234`.
- Compact Rupiah for chart axes, bars and tight spaces, one decimal in CLDR's short units: `Rp 1,2 jt`,
  `Rp 850 rb`, `Rp 1,2 M` (miliar), `Rp 2,5 T` (id) / `Rp 1.2M`, `Rp 850K`, `Rp 1.2B` (en).
- Numbers `1.234` / `1,234`; percentages `12,3%` / `12.3%`; changes signed `+12,3%` / `-4,0%`; `—` when undefined.
Spaces are plain spaces (CLDR's no-break spaces are replaced), so text reads and parses the same everywhere.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel import Locale
from babel.numbers import format_compact_decimal

from services.i18n import DEFAULT_LANGUAGE, language

NO_VALUE = "—"
_LARGEST_COMPACT_EXPONENT = 12  # CLDR short units stop at trillions (T)


def _round_half_up(value: float, places: int = 0) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _plain(text: str) -> str:
    return text.replace("\xa0", " ").replace("\u202f", " ")


def format_number(value: float, places: int = 0, lang: str = DEFAULT_LANGUAGE) -> str:
    """`1234567.891` → `1.234.567` (id) / `1,234,567` (en); `1.234.567,89` with places=2."""
    rounded = _round_half_up(value, places)
    if rounded == 0:
        rounded = abs(rounded)  # never "-0"
    return f"{rounded:,.{places}f}".translate(_symbols(language(lang)))


@cache
def _symbols(code: str) -> dict[int, str]:
    """Python's `,` (groups of three) / `.` / `-` → the locale's group, decimal and minus signs from CLDR (Babel):
    the `#,##0.00` pattern grouped by three, without Babel's per-call pattern machinery (a chart formats thousands of
    hover values)."""
    symbols = Locale.parse(code).number_symbols["latn"]
    return str.maketrans({",": _plain(symbols["group"]), ".": symbols["decimal"], "-": symbols["minusSign"]})


def format_rupiah(value: float | None, lang: str = DEFAULT_LANGUAGE) -> str:
    if value is None:
        return NO_VALUE
    text = format_number(value, lang=lang)
    return f"-Rp {text[1:]}" if text.startswith("-") else f"Rp {text}"


def format_rupiah_compact(value: float | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """One decimal of the largest CLDR short unit (`rb`, `jt`, `M`, `T` / `K`, `M`, `B`, `T`); below a thousand the
    whole amount."""
    if value is None:
        return NO_VALUE
    magnitude = abs(value)
    whole = _round_half_up(magnitude)
    if whole < 1000:
        return format_rupiah(value, lang)
    exponent = min(3 * ((len(str(int(whole))) - 1) // 3), _LARGEST_COMPACT_EXPONENT)
    step = Decimal(10) ** (exponent - 1)  # one decimal of the unit, rounded half up before Babel sees it
    rounded = (Decimal(repr(float(magnitude))) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    text = _plain(format_compact_decimal(rounded, format_type="short", locale=language(lang), fraction_digits=1))
    return f"{'-' if value < 0 else ''}Rp {text}"


def format_percent(value: float | None, places: int = 1, lang: str = DEFAULT_LANGUAGE) -> str:
    return NO_VALUE if value is None else f"{format_number(value, places, lang)}%"


def format_change(value: float | None, places: int = 1, lang: str = DEFAULT_LANGUAGE) -> str:
    """Signed change in percent; `—` when there is no previous value to compare with."""
    if value is None:
        return NO_VALUE
    text = format_percent(value, places, lang)
    return text if text.startswith("-") or text == format_percent(0.0, places, lang) else f"+{text}"


def parse_rupiah(text: str) -> int:
    """Inverse of `format_rupiah` for whole rupiah in either language (used by tests reading the page)."""
    negative = text.strip().startswith("-")
    digits = text.replace("Rp", "").replace("-", "").replace(".", "").replace(",", "").strip()
    return -int(digits) if negative else int(digits)
