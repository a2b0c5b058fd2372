"""SIGTERM: the request in flight finishes, new connections are refused, then the pool closes."""

import asyncio
import signal
import subprocess

import asyncpg
import httpx
import pytest

from tests.support.api import create_invoice, payment_xml
from tests.support.auth import make_account
from tests.support.contract import ContractChecker
from tests.support.database import LOCK_WAITERS
from tests.support.server import start_server

pytestmark = pytest.mark.system


async def test_sigterm_lets_the_request_in_flight_finish_refuses_new_ones_and_closes_the_pool(
    database_url: str, db: asyncpg.Pool, contract: ContractChecker
) -> None:
    process, base = start_server(database_url, workers=2, stderr=subprocess.PIPE)
    account = await make_account(db, "Graceful")
    async with httpx.AsyncClient(
        base_url=base, timeout=30, event_hooks={"response": [contract]}
    ) as http:
        invoice_id = await create_invoice(http, account)
        async with db.acquire() as blocker:
            locked = blocker.transaction()
            await locked.start()
            # The invoice row is held, so the payment below waits inside its transaction.
            await blocker.execute(
                "SELECT 1 FROM invoices WHERE account_id = $1 AND id = $2 FOR UPDATE",
                account.id,
                invoice_id,
            )
            in_flight = asyncio.ensure_future(
                http.post(
                    f"/invoices/{invoice_id}/payments",
                    content=payment_xml("10.00"),
                    headers={**account.auth, "Content-Type": "application/xml"},
                )
            )
            for _ in range(600):
                waiting = await db.fetchval(LOCK_WAITERS)
                if waiting:
                    break
                await asyncio.sleep(0.05)
            assert waiting == 1

            process.send_signal(signal.SIGTERM)
            refused = False
            # No keep-alive: every try is a new connection. Refused is a ConnectError or, when the
            # kernel had already queued the connection on the shared socket, a close or a reset
            # without any response (RemoteProtocolError, ReadError or WriteError).
            async with httpx.AsyncClient(
                base_url=base,
                timeout=5,
                limits=httpx.Limits(max_keepalive_connections=0),
                event_hooks={"response": [contract]},
            ) as newcomer:
                for _ in range(100):
                    try:
                        await newcomer.get("/healthz")
                    except (httpx.NetworkError, httpx.RemoteProtocolError):
                        refused = True
                        break
                    await asyncio.sleep(0.05)
            assert refused, "new connections were still accepted after SIGTERM"
            assert not in_flight.done()
            await locked.rollback()

        paid = await in_flight
    assert paid.status_code == 201
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert stderr.decode().count("Application shutdown complete.") == 2  # each worker's lifespan
    assert await db.fetchval("SELECT count(*) FROM payments WHERE invoice_id = $1", invoice_id) == 1
