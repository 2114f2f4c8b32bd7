"""A Celery app without tasks, for tests that need a worker answering the broker's ping (broker: PING_BROKER_URL)."""

from __future__ import annotations

import os

from celery import Celery

app = Celery("nkdash-ping-test", broker=os.environ["PING_BROKER_URL"])
