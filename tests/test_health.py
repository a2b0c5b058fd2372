"""Liveness and readiness probes, and 503 (never a hang or a 500) when the database is out of
reach: not yet reachable at start, or no free connection in the pool."""

import asyncio

import asyncpg
import httpx

from payments_service.config import Settings
from tests.support.api import create_invoice, payment_xml
from tests.support.app import serving
from tests.support.auth import Account
from tests.support.database import snapshot
from tests.support.server import free_port


async def test_liveness_and_readiness_are_200_when_the_database_answers(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


async def test_an_unreachable_database_at_start_keeps_the_process_alive_and_not_ready(
    owner: Account,
) -> None:
    nowhere = f"postgresql://nobody@127.0.0.1:{free_port()}/nothing"
    async with serving(Settings(database_url=nowhere)) as (app, http):
        assert (await http.get("/healthz")).status_code == 200
        ready = await http.get("/readyz", headers={"Accept": "application/json"})
        assert ready.status_code == 503
        assert ready.headers["Retry-After"] == "2"
        assert ready.json()["errors"][0]["code"] == "unavailable"
        paid = await http.post(
            "/invoices/1/payments",
            content=payment_xml("1.00"),
            headers={**owner.auth, "Content-Type": "application/xml"},
        )
        assert paid.status_code == 503
        assert paid.headers["Retry-After"] == "2"
        assert app.state.pool is None  # still trying in the background, not crashed


async def test_an_exhausted_pool_answers_503_with_retry_after_and_changes_nothing(
    database_url: str, owner: Account, db: asyncpg.Pool
) -> None:
    settings = Settings(database_url=database_url, db_pool_size=1, db_pool_timeout=0.2)
    async with serving(settings) as (app, http):
        invoice_id = await create_invoice(http, owner)
        before = await snapshot(db)
        async with app.state.pool.acquire():  # the only connection is busy
            paid = await asyncio.wait_for(
                http.post(
                    f"/invoices/{invoice_id}/payments",
                    content=payment_xml("1.00"),
                    headers={**owner.auth, "Content-Type": "application/xml"},
                ),
                timeout=10,
            )
        assert paid.status_code == 503
        assert paid.headers["Retry-After"] == "1"
        assert "busy" in paid.text
        assert await snapshot(db) == before
        again = await http.post(
            f"/invoices/{invoice_id}/payments",
            content=payment_xml("1.00"),
            headers={**owner.auth, "Content-Type": "application/xml"},
        )
        assert again.status_code == 201


async def test_readiness_is_503_while_the_database_lags_behind_the_migrations(
    client: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    current = await db.fetchval("SELECT version_num FROM alembic_version")
    await db.execute("UPDATE alembic_version SET version_num = '0001'")
    try:
        ready = await client.get("/readyz", headers={"Accept": "application/json"})
    finally:
        await db.execute("UPDATE alembic_version SET version_num = $1", current)
    assert ready.status_code == 503
    assert "payments-service migrate" in ready.json()["errors"][0]["message"]
    assert ready.headers["Retry-After"] == "10"
    assert (await client.get("/readyz")).status_code == 200
