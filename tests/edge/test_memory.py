"""System test (marker `system`): the v1 payment list of an invoice with 10^5 payments, served
by a real one-worker `serve`, grows the worker's RSS by less than 30 MB (it is streamed from
the database in chunks)."""

import asyncio
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.support.auth import make_account
from tests.support.database import invoice_with_payments
from tests.support.server import start_server

pytestmark = pytest.mark.system

PAYMENTS = 100_000
CEILING = 30 * 1024 * 1024


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.mark.parametrize("accept", ["application/xml", "application/json"])
async def test_listing_10_5_payments_grows_the_worker_by_less_than_30_mb(
    database_url: str, db: asyncpg.Pool, accept: str
) -> None:
    account = await make_account(db, "Big")
    async with db.acquire() as conn:
        big = await invoice_with_payments(conn, account.id, PAYMENTS)
        small = await invoice_with_payments(conn, account.id, 10)
    process, base = start_server(database_url, workers=1)  # the process is the worker
    try:
        headers = {**account.auth, "Accept": accept}
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as http:
            for _ in range(3):  # everything a list needs is loaded before the baseline
                assert (await http.get(f"/invoices/{small}/payments")).status_code == 200
            baseline = peak = rss(process.pid)
            received, tail, started = 0, b"", time.monotonic()
            async with http.stream("GET", f"/invoices/{big}/payments") as response:
                assert response.status_code == 200
                async for chunk in response.aiter_bytes():
                    received += len(chunk)
                    peak = max(peak, rss(process.pid))
                    tail = (tail + chunk)[-32:]
                    await asyncio.sleep(0)
            seconds = time.monotonic() - started
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(
        f"\n{PAYMENTS} payments as {accept}: {received / 1e6:.1f} MB in {seconds:.1f} s, "
        f"worker RSS {baseline / 2**20:.1f} MB -> peak {peak / 2**20:.1f} MB "
        f"(+{(peak - baseline) / 2**20:.1f} MB)"
    )
    assert tail.endswith(b"</payments>\n" if accept == "application/xml" else b"}}]")
    assert peak - baseline < CEILING
