"""`make bench`: PostgreSQL, the service as deployed, seeded data, load, one table and JSON.

Order matters: scenario 3 runs first with 10^3 payment rows in the database, then again after
seeding up to 10^5; the writing scenarios come last. The raw asyncpg baseline runs right before
scenario 1, so the two share the machine's state as closely as a shared machine allows; the floor
(bench/floor.py: the baseline's transaction behind a bare ASGI app on uvicorn) and the peer
(bench/peer.py: the same endpoint as a typical FastAPI + SQLModel service) right after. Scenario 2
has its own baseline: the raw transaction on one hot invoice, right before it.
"""

import argparse
import asyncio
import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import uvloop

from bench import cpu, micro, report, scenarios, seed, server
from bench.figures import Figures
from payments_service.db import embedded
from payments_service.db.migrate import migrate

RESULTS = Path(__file__).with_name("results")
FIXED_RATE_SHARE = 0.7


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 s runs: checks the harness")
    parser.add_argument("--seconds", type=float, help="length of each load run (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    return parser.parse_args()


@contextmanager
def database() -> Iterator[str]:
    """A fresh database: on DATABASE_URL's server when set, else a throwaway embedded one."""
    server_url = os.environ.get("DATABASE_URL")
    pgdata = None
    if not server_url:
        pgdata = Path(tempfile.mkdtemp(prefix="payments-bench-"))
        server_url = embedded.start(pgdata / "pg", throwaway=True)
    name = f"payments_bench_{os.getpid()}"
    admin = asyncio.run
    admin(_execute(server_url, f"CREATE DATABASE {name}"))
    url = urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    try:
        migrate(url)
        yield url
    finally:
        admin(_execute(server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        if pgdata is not None:
            embedded.stop(pgdata / "pg")
            shutil.rmtree(pgdata, ignore_errors=True)


async def _execute(url: str, sql: str) -> Any:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


def _with_connection(url: str, work: Any) -> Any:
    async def run() -> Any:
        conn = await asyncpg.connect(url)
        try:
            return await work(conn)
        finally:
            await conn.close()

    return asyncio.run(run())


def main() -> int:
    args = arguments()
    seconds = args.seconds or (3 if args.quick else 10)
    pool_size = max(1, args.connections // args.workers)
    figures: dict[str, Any] = {}
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    log = RESULTS / f"service-{stamp}.log"

    meters: dict[str, Any] = {}

    def record(name: str, run: Any) -> None:
        """Run and keep its figures, with the CPU the workers and PostgreSQL spent on it."""
        print(f"  {name} ...", flush=True)
        workers = meters["service"].worker_processes() if "service" in meters else []
        db = meters.get("postgres")
        before = cpu.processes_cpu(workers), cpu.postgres_cpu(db) if db else 0.0
        result = run()
        after = cpu.processes_cpu(workers), cpu.postgres_cpu(db) if db else 0.0
        answered = max(1, result.requests + result.errors)
        if workers and result.service_cpu_us is None:  # the baseline measures its own
            result.service_cpu_us = round((after[0] - before[0]) / answered * 1e6, 1)
        if db:
            result.db_cpu_us = round((after[1] - before[1]) / answered * 1e6, 1)
        figures[name] = result

    load_before = os.getloadavg()[0]
    print("micro-benchmark (in-process, no database) ...", flush=True)
    micro_us = uvloop.run(micro.measure(300 if args.quick else 700))

    with database() as url:
        account_id, token = _with_connection(url, lambda c: seed.account_with_token(c, "bench"))

        def invoices(prefix: str, count: int, payments_each: int = 0) -> list[int]:
            return _with_connection(
                url,
                lambda c: seed.invoices(
                    c,
                    account_id=account_id,
                    prefix=prefix,
                    count=count,
                    payments_each=payments_each,
                ),
            )

        def raw_baseline(invoice_ids: list[int]) -> Figures:
            """The raw asyncpg transaction on these invoices, from as many connections."""
            return scenarios.baseline(
                url,
                account_id=account_id,
                invoice_ids=invoice_ids,
                seconds=seconds,
                connections=args.connections,
                processes=args.workers,
            )

        def run_app(name: str, app: str, *, json: bool) -> None:
            """Scenario 1's load on another ASGI app over the same database, account and workers."""
            app_invoices = invoices(f"{name}-", 1000)
            log_name = f"{app.split(':')[0].removeprefix('bench.')}-{stamp}.log"
            with server.app_running(
                app,
                url,
                workers=args.workers,
                pool_size=pool_size,
                account_id=account_id,
                log=RESULTS / log_name,
            ) as other:
                meters["service"] = other
                app_target = scenarios.Target(other.base_url, token, seconds, args.connections)
                record(name, lambda: scenarios.post_payments(app_target, app_invoices, json=json))

        listed = invoices("list-", 100, payments_each=10)
        spread = invoices("spread-", 1000)
        for_baseline = invoices("baseline-", 1000)
        _with_connection(url, seed.analyze)
        rows_small = _with_connection(url, seed.payment_count)
        data_directory = _with_connection(url, lambda c: c.fetchval("SHOW data_directory"))
        meters["postgres"] = cpu.postmaster(data_directory)

        with server.running(url, workers=args.workers, pool_size=pool_size, log=log) as service:
            meters["service"] = service
            target = scenarios.Target(service.base_url, token, seconds, args.connections)
            print(f"service: {args.workers} workers on {service.base_url}", flush=True)
            warm = scenarios.Target(service.base_url, token, 2, args.connections)
            scenarios.list_payments(warm, listed, "application/xml")

            record(
                f"3 list 10 XML, {rows_small} rows",
                lambda: scenarios.list_payments(target, listed, "application/xml"),
            )
            record(
                f"3 list 10 JSON, {rows_small} rows",
                lambda: scenarios.list_payments(target, listed, "application/json"),
            )

            hot_small = invoices("hot-small-", 1, payments_each=10)
            hot_large = invoices("hot-large-", 1, payments_each=10_000)
            filler = (100_000 - _with_connection(url, seed.payment_count)) // 100
            invoices("filler-", filler, payments_each=100)
            _with_connection(url, seed.analyze)
            rows_large = _with_connection(url, seed.payment_count)
            record(
                f"3 list 10 XML, {rows_large} rows",
                lambda: scenarios.list_payments(target, listed, "application/xml"),
            )
            record(
                f"3 list 10 JSON, {rows_large} rows",
                lambda: scenarios.list_payments(target, listed, "application/json"),
            )
            one = _with_connection(url, lambda c: seed.payment_ids(c, listed))
            record("4 get one payment XML", lambda: scenarios.get_payment(target, one))
            hot_baseline = invoices("hot-baseline-", 1, payments_each=10)
            record(report.HOT_BASELINE, lambda: raw_baseline(hot_baseline))
            record(report.SCENARIO_2, lambda: scenarios.post_payments(target, hot_small))
            record(
                "2 POST hot invoice, 10^4 on it", lambda: scenarios.post_payments(target, hot_large)
            )
            record(report.BASELINE, lambda: raw_baseline(for_baseline))
            record(report.SCENARIO_1, lambda: scenarios.post_payments(target, spread))
            run_app(report.FLOOR, "bench.floor:app", json=False)
            run_app(report.PEER, "bench.peer:app", json=True)
            meters["service"] = service
            rate = FIXED_RATE_SHARE * figures[report.SCENARIO_1].per_second
            record(
                report.FIXED_RATE,
                lambda: scenarios.post_payments_at_rate(target, spread, rate, max(seconds, 5)),
            )
            rss_mb = service.worker_rss_mb()
        del meters["service"]

        with server.running(url, workers=1, pool_size=args.connections, log=log) as service:
            meters["service"] = service
            target = scenarios.Target(service.base_url, token, seconds, args.connections)
            print(f"service: 1 worker on {service.base_url}", flush=True)
            warm = scenarios.Target(service.base_url, token, 2, args.connections)
            scenarios.list_payments(warm, listed, "application/xml")
            record("1 POST payment XML, 1 worker", lambda: scenarios.post_payments(target, spread))
            record(
                "3 list 10 XML, 1 worker",
                lambda: scenarios.list_payments(target, listed, "application/xml"),
            )
        postgres = _with_connection(url, lambda c: c.fetchval("SHOW server_version"))

    result = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "cpu": report.cpu_model(),
            "python": platform.python_version(),
            "postgres": postgres,
            # Others share this machine: the 1-minute load average before and after the runs.
            "load_average": [load_before, os.getloadavg()[0]],
        },
        "settings": {
            "seconds": seconds,
            "connections": args.connections,
            "workers": args.workers,
            "db_pool_size": pool_size,
        },
        "runs": {name: f.as_dict() for name, f in figures.items()},
        "micro_us": micro_us,
        "worker_rss_mb": rss_mb,
    }
    result["targets"] = report.targets(result)
    print(report.table(result))
    out = RESULTS / f"bench-{stamp}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written: {out} (the service's output: {log})")
    return 0
