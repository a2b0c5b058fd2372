"""The load runs against a running service: each returns its figures, by scenario name."""

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import wrk
from bench.figures import Figures, from_latencies

PAYMENT_XML = (
    b'<payment><paid-at type="datetime">2008-02-14T00:00:00Z</paid-at>'
    b'<amount type="decimal">1.00</amount><notes>bench</notes></payment>'
)
# The same payment as a typical JSON API takes it (the peer's body).
PAYMENT_JSON = b'{"paid_at": "2008-02-14T00:00:00Z", "amount": "1.00", "notes": "bench"}'


@dataclass
class Target:
    """Where requests go and who sends them."""

    base_url: str
    token: str
    seconds: float
    connections: int

    def headers(self, accept: str = "application/xml") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": accept}


def post_payments(target: Target, invoice_ids: list[int], *, json: bool = False) -> Figures:
    media_type = "application/json" if json else "application/xml"
    return wrk.run(
        target.base_url,
        paths=[f"/invoices/{i}/payments" for i in invoice_ids],
        method="POST",
        body=PAYMENT_JSON if json else PAYMENT_XML,
        headers={**target.headers(media_type), "Content-Type": media_type},
        seconds=target.seconds,
        connections=target.connections,
    )


def list_payments(target: Target, invoice_ids: list[int], accept: str) -> Figures:
    return wrk.run(
        target.base_url,
        paths=[f"/invoices/{i}/payments" for i in invoice_ids],
        headers=target.headers(accept),
        seconds=target.seconds,
        connections=target.connections,
    )


def get_payment(target: Target, payments: list[tuple[int, int]]) -> Figures:
    return wrk.run(
        target.base_url,
        paths=[f"/invoices/{i}/payments/{p}" for i, p in payments],
        headers=target.headers(),
        seconds=target.seconds,
        connections=target.connections,
    )


def post_payments_at_rate(
    target: Target, invoice_ids: list[int], rate: float, seconds: float
) -> Figures:
    """Scenario 1 at a constant rate, from the open-loop generator in its own process."""
    host, port = target.base_url.removeprefix("http://").split(":")
    spec = {
        "host": host,
        "port": int(port),
        "rate": rate,
        "seconds": seconds,
        # As many as the other runs: a request due while all are busy waits in the generator,
        # and that wait counts. Twice as many (more than the workers' pools hold) once gave p99
        # 194-242 ms against 35-84 ms; measured again, the gap was small (docs/performance.md).
        "connections": target.connections,
        "method": "POST",
        "paths": [f"/invoices/{i}/payments" for i in invoice_ids],
        "headers": {**target.headers(), "Content-Type": "application/xml"},
        "body": PAYMENT_XML.decode(),
    }
    out = subprocess.run(
        [sys.executable, "-m", "bench.openloop", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    raw = json.loads(out)
    if raw["errors"]:
        print(f"    non-2xx answers by status: {raw['errors']}", flush=True)
    return from_latencies(raw["latencies"], sum(raw["errors"].values()), raw["seconds"])


def baseline(
    url: str,
    *,
    account_id: int,
    invoice_ids: list[int],
    seconds: float,
    connections: int,
    processes: int,
) -> Figures:
    """Raw asyncpg "record a payment" from `connections` connections split over processes."""
    per_process = max(1, connections // processes)
    with tempfile.TemporaryDirectory() as folder:
        outputs = [Path(folder, f"baseline-{n}.json") for n in range(processes)]
        command = [sys.executable, "-m", "bench.baseline", url, str(seconds), str(per_process)]
        ids = [str(account_id), *map(str, invoice_ids)]
        runs = [subprocess.Popen([*command, str(output), *ids]) for output in outputs]
        if any(run.wait() for run in runs):
            raise SystemExit("bench: the baseline failed")
        results = [json.loads(output.read_text()) for output in outputs]
    latencies = [latency for result in results for latency in result["latencies"]]
    figures = from_latencies(latencies, 0, max(result["seconds"] for result in results))
    client_cpu = sum(result["cpu_seconds"] for result in results)
    figures.service_cpu_us = round(client_cpu / max(1, len(latencies)) * 1e6, 1)
    return figures
