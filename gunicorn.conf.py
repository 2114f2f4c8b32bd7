"""gunicorn settings for `gunicorn app:server` (read from the working directory): each worker starts NKDash's
serving process (structured logs, background refresh of the DuckDB serving tables) once it has booted."""

from __future__ import annotations

from typing import Any


def post_worker_init(worker: Any) -> None:
    from app import start_serving_process

    start_serving_process()
