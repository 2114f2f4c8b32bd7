"""Re-run POS sales (or --targets) for business days in this process, or remove days loaded by mistake.

The operator's force refresh: no broker, a progress bar, the same pipeline functions as the Celery tasks.

    python -m scripts.force_refresh_pos_data --date 2026-01-06
    python -m scripts.force_refresh_pos_data --start 2026-01-06 --end 2026-01-07 --targets pos
    python -m scripts.force_refresh_pos_data --drop --date 2026-03-01 [--yes]

Exit 0 when every day loaded, 1 when some day failed, 2 when the command is wrong (see scripts/cli.py). The body
is scripts/force_refresh.py.
"""

from __future__ import annotations

import sys

from scripts.force_refresh import force_refresh_main


def main(argv: list[str] | None = None) -> int:
    return force_refresh_main(["pos"], __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
