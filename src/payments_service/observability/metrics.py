"""Prometheus metrics. With several workers, set PROMETHEUS_MULTIPROC_DIR (`serve` does) so
each worker writes its samples there and any worker's /metrics reports all of them."""

import os
from decimal import Decimal
from functools import cache
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "http_requests_total", "HTTP requests by route template, method and status",
    ["method", "route", "status"],
)  # fmt: skip
LATENCY = Histogram(
    "http_request_duration_seconds", "Time to answer, by route template, method and status",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)  # fmt: skip
PAYMENTS_RECORDED = Counter("payments_recorded_total", "Payments recorded", ["currency"])
PAYMENTS_DELETED = Counter("payments_deleted_total", "Payments deleted")
AMOUNT_RECORDED = Counter(
    "payments_recorded_amount_total", "Sum of recorded payment amounts", ["currency"]
)
POOL = Gauge(
    "db_pool_connections", "Database connections of this service by state (in_use, idle)",
    ["state"], multiprocess_mode="livesum",
)  # fmt: skip
POOL_WAITING = Gauge(
    "db_pool_waiting", "Requests waiting for a database connection", multiprocess_mode="livesum"
)
# Read from the database at each scrape (see router.py): whichever worker answered last knows.
OUTBOX_LAG = Gauge(
    "outbox_lag_seconds",
    "Age of the oldest event still owed to a webhook subscriber (dead deliveries aside)",
    multiprocess_mode="mostrecent",
)


@cache  # a few currencies: looking the labels up cost more than the increments
def _recorded(currency: str) -> tuple[Any, Any]:
    return PAYMENTS_RECORDED.labels(currency), AMOUNT_RECORDED.labels(currency)


def payment_recorded(currency: str, amount: Decimal) -> None:
    count, total = _recorded(currency)
    count.inc()
    total.inc(float(amount))  # a metric, not money: float is fine


POOL_IN_USE, POOL_IDLE = POOL.labels("in_use"), POOL.labels("idle")


def pool_sizes(size: int, idle: int) -> None:
    POOL_IN_USE.set(size - idle)
    POOL_IDLE.set(idle)


def exposition() -> tuple[bytes, str]:
    """The text format of every metric, across workers when running multi-process."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
