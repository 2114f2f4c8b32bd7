"""Display formatting in Indonesian conventions; values stay exact until they are shown.

- Rupiah: `Rp 1.234.567` (dot thousands separator, no decimals; half away from zero), negative `-Rp 1.234`.
- Compact Rupiah for chart axes and tight spaces, Indonesian units: `rb` (ribu, 10³), `jt` (juta, 10⁶),
  `M` (miliar, 10⁹), `T` (triliun, 10¹²), one decimal with a decimal comma: `Rp 1,2 M`, `Rp 3,4 jt`, `Rp 950 rb`.
- Numbers: `1.234` (dot thousands); percentages `12,3%`; changes signed `+12,3%` / `-4,0%`, `—` when undefined.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

NO_VALUE = "—"
_COMPACT_UNITS = ((10**12, "T"), (10**9, "M"), (10**6, "jt"), (10**3, "rb"))


def _round_half_up(value: float, places: int = 0) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_number(value: float, places: int = 0) -> str:
    """`1234567.891` → `1.234.567` (or `1.234.567,89` with places=2)."""
    text = f"{_round_half_up(abs(value), places):,.{places}f}"
    swapped = text.replace(",", "_").replace(".", ",").replace("_", ".")
    negative = _round_half_up(value, places) < 0
    return f"-{swapped}" if negative else swapped


def format_rupiah(value: float | None) -> str:
    if value is None:
        return NO_VALUE
    text = format_number(value)
    return f"-Rp {text[1:]}" if text.startswith("-") else f"Rp {text}"


def format_rupiah_compact(value: float | None) -> str:
    if value is None:
        return NO_VALUE
    magnitude = abs(value)
    for size, unit in _COMPACT_UNITS:
        if magnitude >= size:
            scaled = format_number(magnitude / size, 1).removesuffix(",0")
            return f"{'-' if value < 0 else ''}Rp {scaled} {unit}"
    return format_rupiah(value)


def format_percent(value: float | None, places: int = 1) -> str:
    return NO_VALUE if value is None else f"{format_number(value, places)}%"


def format_change(value: float | None, places: int = 1) -> str:
    """Signed change in percent; `—` when there is no previous value to compare with."""
    if value is None:
        return NO_VALUE
    text = format_percent(value, places)
    return text if text.startswith("-") or text == format_percent(0.0, places) else f"+{text}"


def parse_rupiah(text: str) -> int:
    """Inverse of `format_rupiah` for whole rupiah (used by tests reading the page)."""
    negative = text.strip().startswith("-")
    digits = text.replace("Rp", "").replace("-", "").replace(".", "").strip()
    return -int(digits) if negative else int(digits)
