"""The printed table and the target checks, from one run's result."""

from pathlib import Path
from typing import Any

BASELINE = "baseline: raw asyncpg tx"
HOT_BASELINE = "baseline: raw tx, one hot invoice"
SCENARIO_1 = "1 POST payment XML, spread"
SCENARIO_2 = "2 POST hot invoice, 10 on it"
FLOOR = "floor: bare ASGI + baseline tx"
PEER = "peer: FastAPI + SQLModel ORM"
FIXED_RATE = "1 at 70% of max, fixed rate"
# Scenario 3 is "not slower with 10^5 rows" when within this share of its 10^3-row throughput;
# runs on this shared machine vary by about this much between identical runs.
SAME_SPEED = 0.8


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def _rate(result: dict[str, Any], name: str) -> float:
    rate: float = result["runs"][name]["per_second"]
    return rate


def _runs_starting(result: dict[str, Any], prefix: str) -> list[str]:
    return [name for name in result["runs"] if name.startswith(prefix)]


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue with the measured value and whether it was met."""
    runs = result["runs"]
    s1 = _rate(result, SCENARIO_1)
    list_runs = [n for n in _runs_starting(result, "3 list") if "worker" not in n]
    small = [n for n in list_runs if n.endswith(f" {min(_rows(n) for n in list_runs)} rows")]
    large = [n for n in list_runs if n.endswith(f" {max(_rows(n) for n in list_runs)} rows")]
    growth = min(_rate(result, b) / _rate(result, a) for a, b in zip(small, large, strict=True))
    hot = [_rate(result, n) for n in _runs_starting(result, "2 POST hot")]
    rss = result["worker_rss_mb"]
    micro = result["micro_us"]
    errors = sum(run["errors"] for run in runs.values())
    db_us = runs[SCENARIO_1]["db_cpu_us"] / runs[BASELINE]["db_cpu_us"]
    checks = [
        ("scenario 1 >= 0.5x baseline", s1 / _rate(result, BASELINE), ">=", 0.5),
        (
            "scenario 2 >= 0.8x hot baseline",
            _rate(result, SCENARIO_2) / _rate(result, HOT_BASELINE),
            ">=",
            0.8,
        ),
        ("scenario 2 p99 (ms)", runs[SCENARIO_2]["p99_ms"], "<=", 100),
        ("db us per POST / baseline's", db_us, "<=", 1),
        ("scenario 1 >= 3x peer", s1 / _rate(result, PEER), ">=", 3),
        ("scenario 3 >= 2x scenario 1", min(_rate(result, n) for n in list_runs) / s1, ">=", 2),
        ("p99 at 70% of max (ms)", runs[FIXED_RATE]["p99_ms"], "<=", 50),
        ("errors in all runs", errors, "<=", 0),
        ("in-process POST payment (us)", micro["POST payment (XML)"], "<=", 150),
        ("in-process list of 10 XML (us)", micro["GET list of 10 (XML)"], "<=", 150),
        ("max worker RSS (MB)", max(rss), "<=", 120),
        ("scenario 3, 10^5 rows / 10^3 rows", growth, ">=", SAME_SPEED),
        ("scenario 2, slower / faster", max(hot) / min(hot), "<=", 1.5),
    ]
    return [
        {
            "target": name,
            "measured": round(value, 2),
            "bound": f"{op} {bound}",
            "met": value >= bound if op == ">=" else value <= bound,
        }
        for name, value, op, bound in checks
    ]


def _rows(name: str) -> int:
    return int(name.rsplit(", ", 1)[1].split()[0])


def _cpu(us: float | None) -> str:
    return f"{us:>7.0f}" if us is not None else f"{'-':>7}"


def table(result: dict[str, Any]) -> str:
    baseline = _rate(result, BASELINE)
    machine = result["machine"]
    settings = result["settings"]
    lines = [
        f"payments-service bench, {result['when']}: {machine['cpus']} x {machine['cpu']}, "
        f"Python {machine['python']}, PostgreSQL {machine['postgres']}, load average "
        f"{machine['load_average'][0]:.1f} before, {machine['load_average'][1]:.1f} after",
        f"{settings['workers']} workers, {settings['connections']} connections, "
        f"{settings['seconds']:g} s per run, pool {settings['db_pool_size']} per worker",
        "",
        f"{'run':<36} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} "
        f"{'errors':>6} {'x base':>7} {'svc us':>7} {'db us':>7}",
    ]
    for name, run in result["runs"].items():
        lines.append(
            f"{name:<36} {run['per_second']:>8.0f} {run['p50_ms']:>8.1f} {run['p99_ms']:>8.1f} "
            f"{run['p999_ms']:>9.1f} {run['errors']:>6} {run['per_second'] / baseline:>7.2f} "
            f"{_cpu(run['service_cpu_us'])} {_cpu(run['db_cpu_us'])}"
        )
    lines.append(
        "svc us / db us: CPU microseconds per request in the service's workers (for the "
        "baseline: its asyncpg clients) / in PostgreSQL"
    )
    lines.append("")
    lines.append("in-process request path, no database (CPU us per request, best of 15 rounds):")
    lines.extend(f"  {name:<34} {us:>8.1f}" for name, us in result["micro_us"].items())
    lines.append(f"worker RSS after the runs (MB): {result['worker_rss_mb']}")
    lines.append("")
    lines.append("targets:")
    for check in result["targets"]:
        verdict = "met" if check["met"] else "MISSED"
        lines.append(
            f"  {check['target']:<36} {check['measured']:>9} {check['bound']:<8} {verdict}"
        )
    return "\n".join(lines)
