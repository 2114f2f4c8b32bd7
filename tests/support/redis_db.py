"""The real local Redis for tests that need one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis


def redis_or_skip(url: str) -> Iterator[redis.Redis]:
    """A client of the Redis database at `url` (for a fixture to yield from), or a skip when it does not answer."""
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at {url}: {exc}")
    yield client
    client.close()
