"""Refresh the dimension tables from Odoo in this process: changed records since the last refresh (archived ones
included), every record of a dimension whose file is missing or unreadable, and with --detect-deleted the ids
Odoo no longer has (flagged `deleted`, kept so history keeps its names).

    python -m scripts.force_refresh_dimensions
    python -m scripts.force_refresh_dimensions --targets products categories --detect-deleted

Exit 0 when every dimension refreshed, 1 when the refresh failed, 2 when the command is wrong.
"""

from __future__ import annotations

import sys

from etl.pipelines.dimensions import refresh_dimensions, resolve_dimensions
from etl.transform.dimensions import DIMENSION_SPECS
from scripts.cli import OperatorParser, Tally, odoo_client, operator_settings


def main(argv: list[str] | None = None) -> int:
    parser = OperatorParser(prog="python -m scripts.force_refresh_dimensions", description=__doc__.splitlines()[0])
    names = ", ".join(name.removeprefix("dim_") for name in DIMENSION_SPECS)
    parser.add_argument("--targets", nargs="+", metavar="NAME", help=f"dimensions to refresh (default: all): {names}")
    parser.add_argument("--detect-deleted", action="store_true",
                        help="also ask Odoo which ids still exist and flag the others deleted")
    args = parser.parse_args(argv)
    try:
        resolve_dimensions(args.targets)
    except ValueError as exc:
        parser.error(str(exc))
    settings = operator_settings()
    client = odoo_client("force_refresh_dimensions", settings)
    tally = Tally("refreshed", unit="dimension(s)")
    try:
        summary = refresh_dimensions(client, settings, args.targets, detect_deleted=args.detect_deleted)
    except Exception as exc:  # noqa: BLE001 - recorded by refresh_dimensions; reported as one line
        tally.fail("dimensions", f"{type(exc).__name__}: {exc}")
        return tally.finish()
    for name, entry in summary.items():
        detail = entry.get("skipped") or (f"{entry['rows_in']} read, {entry['rows_out']} rows, "
                                          f"{entry.get('deleted', 0)} deleted, {entry['seconds']}s")
        print(f"{name:<22} {detail}")
        tally.add(entry.get("rows_out", 0))
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
