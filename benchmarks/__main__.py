"""`python -m benchmarks` (`make bench`): run every `benchmarks/bench_*.py` module's `run()` and write results.json.

Each module exposes `run() -> dict[str, dict]` mapping a metric name to `{"value": x, "unit": "..."}`; the merged
results are written to `benchmarks/results.json` and printed. `python -m benchmarks dashboard` runs only the modules
whose name contains a given word.
"""

from __future__ import annotations

import importlib
import json
import logging
import pkgutil
import sys
from pathlib import Path

import benchmarks

RESULTS = Path(__file__).resolve().parent / "results.json"


def discover() -> list[str]:
    """Names of the benchmark modules (`bench_*`), sorted."""
    return sorted(f"benchmarks.{info.name}" for info in pkgutil.iter_modules(benchmarks.__path__)
                  if info.name.startswith("bench_"))


def main(selected: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # a partial run (names given) updates its own entries and keeps the others
    results: dict[str, dict] = json.loads(RESULTS.read_text()) if selected and RESULTS.exists() else {}
    failed = []
    for name in discover():
        if selected and not any(word in name for word in selected):
            continue
        try:
            results.update(importlib.import_module(name).run())
        except Exception:
            logging.getLogger(__name__).exception("benchmark failed", extra={"module": name})
            failed.append(name)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(json.dumps(results, indent=2, sort_keys=True))
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
