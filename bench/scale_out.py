"""`make bench-citus`: the same service on plain PostgreSQL and on a Citus cluster, in one run.

Runs inside scripts/citus-cluster.sh: DATABASE_URL is the cluster's coordinator (the schema
distributed by account). The plain database is a fresh one on the coordinator's server without
the extension: the same PostgreSQL 15, settings and machine, only not distributed. On each, four
accounts (one wrk each, their connections adding up to --connections) POST payments to their
own invoices, then list an invoice's 10 payments.
"""

import argparse
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import scenarios, seed, server
from bench.figures import Figures
from bench.run import _with_connection, database

ACCOUNTS = 4


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.scale_out", description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="length of each load run")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    return parser.parse_args()


def together(runs: list[scenarios.Target], work: str, invoices: list[list[int]]) -> Figures:
    """One wrk per account at once; their answers added up."""
    with ThreadPoolExecutor(len(runs)) as pool:
        if work == "post":
            done = pool.map(scenarios.post_payments, runs, invoices)
        else:
            done = pool.map(
                lambda t, i: scenarios.list_payments(t, i, "application/xml"), runs, invoices
            )
        figures = list(done)
    first = figures[0]
    first.requests = sum(f.requests for f in figures)
    first.errors = sum(f.errors for f in figures)
    first.seconds = max(f.seconds for f in figures)
    return first


def measure(url: str, name: str, args: argparse.Namespace) -> dict[str, Figures]:
    tenants = []
    for n in range(ACCOUNTS):
        account_id, token = _with_connection(
            url, lambda c, n=n: seed.account_with_token(c, f"{name}-{os.getpid()}-{n}")
        )
        listed = _with_connection(
            url,
            lambda c, a=account_id: seed.invoices(
                c, account_id=a, prefix="list-", count=20, payments_each=10
            ),
        )
        spread = _with_connection(
            url,
            lambda c, a=account_id: seed.invoices(c, account_id=a, prefix="post-", count=200),
        )
        tenants.append((token, listed, spread))
    _with_connection(url, seed.analyze)
    each = max(1, args.connections // ACCOUNTS)
    log = Path(tempfile.gettempdir(), f"bench-scale-out-{name}.log")
    with server.running(
        url, workers=args.workers, pool_size=max(1, args.connections // args.workers), log=log
    ) as service:
        targets = [scenarios.Target(service.base_url, t, args.seconds, each) for t, _, _ in tenants]
        warm = [scenarios.Target(service.base_url, t, 2, each) for t, _, _ in tenants]
        together(warm, "list", [listed for _, listed, _ in tenants])
        return {
            "POST payment": together(targets, "post", [spread for _, _, spread in tenants]),
            "list 10 payments": together(targets, "list", [listed for _, listed, _ in tenants]),
        }


def main() -> int:
    args = arguments()
    with database() as plain_url:
        plain = measure(plain_url, "plain", args)
    cluster = measure(os.environ["DATABASE_URL"], "citus", args)
    print(f"\n{'':18} {'plain /s':>10} {'citus /s':>10} {'citus/plain':>12} {'errors':>8}")
    for scenario, figures in plain.items():
        on_cluster = cluster[scenario]
        print(
            f"{scenario:18} {figures.per_second:10.0f} {on_cluster.per_second:10.0f} "
            f"{on_cluster.per_second / figures.per_second:12.2f} "
            f"{figures.errors + on_cluster.errors:8d}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
