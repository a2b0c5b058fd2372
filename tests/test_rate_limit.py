"""The optional per-account rate limit (Harvest v1's 503 with Retry-After), counted in
PostgreSQL so that every worker shares it; off unless configured."""

import asyncio
from typing import Any

import asyncpg
import httpx

from payments_service.config import Settings
from tests.support.api import create_invoice, pay, v2_headers
from tests.support.app import serving
from tests.support.auth import Account
from tests.support.database import snapshot

JSON = {"Accept": "application/json"}
HOUR = 3600  # a window no test outlives


def limited(settings: Settings, requests: int, window: int = HOUR) -> Settings:
    return settings.model_copy(
        update={"rate_limit_requests": requests, "rate_limit_window_seconds": window}
    )


async def without_counts(db: asyncpg.Pool) -> dict[str, Any]:
    rows = await snapshot(db)
    del rows["rate_limit_windows"]
    return rows


async def test_over_the_limit_an_account_gets_503_or_429_on_v2_with_retry_after_and_no_write(
    client: httpx.AsyncClient, settings: Settings, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner)
    async with serving(limited(settings, 3)) as (_, http):
        assert (await pay(http, owner, invoice_id, "5.00")).status_code == 201
        for _ in range(2):
            shown = await http.get(f"/invoices/{invoice_id}", headers=owner.auth)
            assert shown.status_code == 200
        before = await without_counts(db)

        refused = await pay(http, owner, invoice_id, "10.00")

        assert refused.status_code == 503
        assert 1 <= int(refused.headers["Retry-After"]) <= HOUR
        assert refused.headers["Content-Type"].startswith("application/xml")
        assert '<error code="rate_limited"' in refused.text
        assert await without_counts(db) == before
        as_json = await http.get(f"/invoices/{invoice_id}", headers={**owner.auth, **JSON})
        assert as_json.status_code == 503
        assert as_json.json()["errors"][0]["code"] == "rate_limited"
        v2 = await http.get(f"/v2/invoices/{invoice_id}", headers=v2_headers(owner))
        assert (v2.status_code, v2.json()["code"]) == (429, 429)  # Harvest v2's status
        assert "Rate limit of 3 requests per 3600 seconds" in v2.json()["message"]
        assert "Retry-After" in v2.headers


async def test_the_limit_is_per_account_and_shared_by_workers(
    client: httpx.AsyncClient,
    settings: Settings,
    owner: Account,
    stranger: Account,
) -> None:
    invoice_id = await create_invoice(client, owner)
    async with (
        serving(limited(settings, 2)) as (_, first),
        serving(limited(settings, 2)) as (_, second),
    ):
        path = f"/invoices/{invoice_id}"
        assert (await first.get(path, headers=owner.auth)).status_code == 200
        assert (await second.get(path, headers=owner.auth)).status_code == 200
        assert (await first.get(path, headers=owner.auth)).status_code == 503
        assert (await second.get(path, headers=owner.auth)).status_code == 503
        assert (await second.get("/invoices", headers=stranger.auth)).status_code == 200
        assert (await first.get("/invoices", headers=stranger.auth)).status_code == 200


async def test_a_new_window_allows_requests_again(settings: Settings, owner: Account) -> None:
    async with serving(limited(settings, 2, window=1)) as (_, http):
        async with asyncio.timeout(10):
            while (refused := await http.get("/invoices", headers=owner.auth)).status_code == 200:
                pass
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "1"
        await asyncio.sleep(1)
        assert (await http.get("/invoices", headers=owner.auth)).status_code == 200


async def test_by_default_there_is_no_limit_and_nothing_is_counted(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    assert Settings().rate_limit_requests == 0
    for _ in range(120):
        assert (await client.get("/invoices", headers=owner.auth)).status_code == 200
    assert await db.fetchval("SELECT count(*) FROM rate_limit_windows") == 0
