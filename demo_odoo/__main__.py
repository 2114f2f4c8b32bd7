"""Command line: ``python -m demo_odoo --port 8069 --odoo-version 17 --days 90 --seed 42``.

Prints one ``demo_odoo ready on http://HOST:PORT (...)`` line to stdout once the data is
generated and the socket listens (``--port 0`` picks a free port), then serves until
SIGTERM / SIGINT.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import date
from types import FrameType

from .schema import SUPPORTED_VERSIONS
from .server import DemoOdoo, ServerConfig


def parse_args(argv: list[str] | None = None) -> ServerConfig:
    parser = argparse.ArgumentParser(prog="python -m demo_odoo", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8069, help="0 = pick a free port")
    parser.add_argument("--odoo-version", type=int, choices=SUPPORTED_VERSIONS, default=17)
    parser.add_argument("--days", type=int, default=90, help="business days of data ending at --end-date")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--orders-per-day", type=int, default=None, help="POS orders per day, all stores")
    parser.add_argument("--pos-lines", type=int, default=None,
                        help="approximate total POS order lines (overrides --orders-per-day)")
    parser.add_argument("--end-date", type=date.fromisoformat, default=None,
                        help="last business day (YYYY-MM-DD); default yesterday in Asia/Jakarta")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument("--session-expiry-calls", type=int, default=0)
    parser.add_argument("--deny-model", action="append", default=[], metavar="MODEL",
                        help="repeatable; calls on MODEL raise AccessError")
    ns = parser.parse_args(argv)
    if ns.days < 1:
        parser.error("--days must be at least 1")
    if not 0.0 <= ns.failure_rate <= 1.0:
        parser.error("--failure-rate must be between 0 and 1")
    return ServerConfig(host=ns.host, port=ns.port, odoo_version=ns.odoo_version, days=ns.days, seed=ns.seed,
                        orders_per_day=ns.orders_per_day, pos_lines=ns.pos_lines, end_date=ns.end_date,
                        latency_ms=ns.latency_ms, failure_rate=ns.failure_rate,
                        session_expiry_calls=ns.session_expiry_calls, deny_models=ns.deny_model)


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    app = DemoOdoo(config)

    def stop(signum: int, frame: FrameType | None) -> None:
        # shutdown() blocks until serve_forever returns, so call it from another thread
        app.faults.release()
        threading.Thread(target=app.httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(app.ready_line(), flush=True)
    try:
        app.serve_forever()
    finally:
        app.httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
