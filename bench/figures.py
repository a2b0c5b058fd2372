"""One load run's figures, whichever tool measured them."""

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Figures:
    requests: int  # answered with 2xx
    errors: int  # non-2xx answers and socket errors
    seconds: float
    p50_ms: float
    p99_ms: float
    p999_ms: float
    # CPU microseconds per request (answered or not), where measured
    service_cpu_us: float | None = None
    db_cpu_us: float | None = None

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "per_second": round(self.per_second, 1)}


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, round(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[rank]


def from_latencies(latencies_s: list[float], errors: int, seconds: float) -> Figures:
    ordered = sorted(latencies_s)
    return Figures(
        requests=len(ordered),
        errors=errors,
        seconds=seconds,
        p50_ms=percentile(ordered, 50) * 1000,
        p99_ms=percentile(ordered, 99) * 1000,
        p999_ms=percentile(ordered, 99.9) * 1000,
    )
