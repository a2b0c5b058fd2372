"""PostgreSQL going away and coming back (a PostgreSQL of these tests' own, see conftest):
requests in the gap get 503 with Retry-After, never a 500 or a hang, and the service recovers
by itself, without a restart."""

import asyncio
import time

import asyncpg
import httpx
import pytest

from payments_service.config import Settings
from tests.support.api import create_invoice, payment_xml
from tests.support.app import serving
from tests.support.auth import Account, make_account
from tests.support.contract import ContractChecker
from tests.support.database import OwnPostgres
from tests.support.jepsen import EXPECTED, SERVER_ENV, load_started, violations
from tests.support.server import start_server

pytestmark = pytest.mark.system

# While the database is away every operation may also answer 503 (its outcome then unknown).
EXPECTED_OR_UNAVAILABLE = {kind: {*statuses, 503} for kind, statuses in EXPECTED.items()}


async def test_a_database_down_at_start_is_waited_for_and_then_served(
    own_postgres: OwnPostgres, own_db: asyncpg.Pool
) -> None:
    account = await make_account(own_db, "Early")
    own_postgres.stop()
    try:
        async with serving(Settings(database_url=own_postgres.url)) as (_, http):
            assert (await http.get("/healthz")).status_code == 200
            not_ready = await http.get("/readyz")
            assert (not_ready.status_code, not_ready.headers["Retry-After"]) == (503, "2")
            early = await http.get("/invoices", headers=account.auth)
            assert (early.status_code, early.headers["Retry-After"]) == (503, "2")

            await asyncio.to_thread(own_postgres.start)
            for _ in range(200):  # the backoff is at most 5 s
                if (await http.get("/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.1)
            assert (await http.get("/readyz")).status_code == 200
            assert await create_invoice(http, account) == 1
    finally:
        own_postgres.ensure_running()


async def _seconds_to_record_a_payment(
    http: httpx.AsyncClient, account: Account, invoice_id: int, *, within: float
) -> float | None:
    """How long until a payment POST is answered 201 (503s until then); None if never."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        paid = await http.post(
            f"/invoices/{invoice_id}/payments",
            content=payment_xml("0.01"),
            headers={**account.auth, "Content-Type": "application/xml"},
        )
        if paid.status_code == 201:
            return time.monotonic() - started
        assert paid.status_code == 503, paid.text
        await asyncio.sleep(0.1)
    return None


async def test_restarting_postgres_under_load_gives_503s_in_the_gap_then_recovers(
    own_postgres: OwnPostgres, own_db: asyncpg.Pool, contract: ContractChecker
) -> None:
    process, base = start_server(own_postgres.url, workers=2, env=SERVER_ENV)
    probe = await make_account(own_db, "Probe")  # not the workload's: its checks stay exact
    http = httpx.AsyncClient(base_url=base, timeout=30, event_hooks={"response": [contract]})
    try:
        probe_invoice = await create_invoice(http, probe)
        workload, load = await load_started(base, own_db, contract, operations=1200)
        await asyncio.to_thread(own_postgres.stop)
        stopped_at = len(workload.history)
        await asyncio.sleep(2)
        await asyncio.to_thread(own_postgres.start)
        restarted_at = len(workload.history)
        recovery = await _seconds_to_record_a_payment(http, probe, probe_invoice, within=15)
        await load
        await own_db.expire_connections()

        found = await violations(workload, own_db, allowed=EXPECTED_OR_UNAVAILABLE)
        unavailable = [op for op in workload.history if op.status == 503]
        print(
            f"\npostgres restart: {len(workload.history)} operations, {len(unavailable)} 503s, "
            f"{restarted_at - stopped_at} during the gap; a payment recorded "
            f"{None if recovery is None else round(recovery, 2)} s after PostgreSQL was back"
        )
        assert found == []
        assert unavailable, "the gap was not observed"
        assert all(op.retry_after for op in unavailable)
        assert all(op.status is not None for op in workload.history)  # none hung or was cut
        assert recovery is not None  # recovered by itself: the same server process
        assert process.poll() is None
        assert (await http.get("/readyz")).status_code == 200
    finally:
        await http.aclose()
        process.terminate()
        process.wait(timeout=30)
        own_postgres.ensure_running()
