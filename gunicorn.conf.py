"""gunicorn settings for `gunicorn app:server` (read from the working directory; docker-compose gives the bind,
`--workers 2` and `--timeout 120`): each worker starts NKDash's serving process once it has booted (structured logs,
the shared serving base attached read-only, the background refresh of its delta).

Threads: a worker answers several requests at once (`gthread`), so a page whose callbacks wait on DuckDB (which
releases the GIL while it works) does not hold up the next user's, nor `/health`. Memory stays one process's: the
threads share the worker's DuckDB connection (a cursor per query) and its buffer pool."""

from __future__ import annotations

from typing import Any

worker_class = "gthread"
threads = 4


def post_worker_init(worker: Any) -> None:
    from app import start_serving_process

    start_serving_process()
