"""Idempotency-Key: a retry replays the first response and changes nothing; a different
request with the key is refused; a key in use is a 409; keys expire and are purged."""

import asyncio
from datetime import timedelta
from xml.etree import ElementTree

import asyncpg
import httpx
import pytest

from payments_service.config import Settings
from tests.support.api import INVOICE_XML, create_invoice, payment_xml
from tests.support.app import serving
from tests.support.auth import Account
from tests.support.database import snapshot

XML = {"Content-Type": "application/xml"}


def pay(
    client: httpx.AsyncClient,
    account: Account,
    invoice_id: int,
    amount: str,
    key: str | None,
    notes: str = "check",
) -> "asyncio.Future[httpx.Response]":
    headers = {**account.auth, **XML, **({"Idempotency-Key": key} if key else {})}
    return asyncio.ensure_future(
        client.post(
            f"/invoices/{invoice_id}/payments",
            content=payment_xml(amount, notes=notes),
            headers=headers,
        )
    )


async def test_a_retried_payment_replays_the_first_response_and_pays_once(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner, amount="100.00")
    first = await pay(client, owner, invoice_id, "30.00", "key-1")
    retried = await pay(client, owner, invoice_id, "30.00", "key-1")

    assert (first.status_code, retried.status_code) == (201, 201)
    assert retried.content == first.content
    assert retried.headers["Location"] == first.headers["Location"]
    assert retried.headers["Content-Type"] == first.headers["Content-Type"]
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert await db.fetchval("SELECT count(*) FROM payments") == 1
    due = await db.fetchval("SELECT due_amount FROM invoices WHERE id = $1", invoice_id)
    assert due == 70
    kept = await db.fetchval("SELECT expires_at - created_at FROM idempotency_keys")
    assert kept == timedelta(hours=24)  # the default IDEMPOTENCY_KEY_TTL_SECONDS


async def test_a_retried_invoice_and_message_replay_without_a_second_change(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    headers = {**owner.auth, **XML, "Idempotency-Key": "invoice-1"}
    body = INVOICE_XML.format(number="I-1", amount="10.00", currency="EUR")
    first = await client.post("/invoices", content=body, headers=headers)
    retried = await client.post("/invoices", content=body, headers=headers)
    assert (first.status_code, retried.status_code) == (201, 201)
    assert retried.headers["Location"] == first.headers["Location"]
    assert retried.content == first.content
    assert await db.fetchval("SELECT count(*) FROM invoices") == 1

    sent = first.headers["Location"] + "/messages/mark_as_sent"
    message_headers = {**owner.auth, "Idempotency-Key": "send-1"}
    once = await client.post(sent, headers=message_headers)
    twice = await client.post(sent, headers=message_headers)
    without_key = await client.post(sent, headers=owner.auth)
    assert (once.status_code, twice.status_code, without_key.status_code) == (200, 200, 422)
    assert twice.content == once.content
    assert twice.headers["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize(
    ("path", "amount"),
    [("/invoices/{id}/payments", "31.00"), ("/invoice/{id}/payments", "30.00")],
)
async def test_the_same_key_for_a_different_request_is_422_and_changes_nothing(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool, path: str, amount: str
) -> None:
    invoice_id = await create_invoice(client, owner, amount="100.00")
    assert (await pay(client, owner, invoice_id, "30.00", "key-1")).status_code == 201
    before = await snapshot(db)
    response = await client.post(
        path.format(id=invoice_id),
        content=payment_xml(amount),
        headers={**owner.auth, **XML, "Idempotency-Key": "key-1", "Accept": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "code": "idempotency_key_reused",
            "field": "Idempotency-Key",
            "message": "This Idempotency-Key was used for a different request",
        }
    ]
    assert await snapshot(db) == before


async def test_keys_belong_to_one_account(
    client: httpx.AsyncClient, owner: Account, stranger: Account, db: asyncpg.Pool
) -> None:
    mine = await create_invoice(client, owner, amount="100.00")
    theirs = await create_invoice(client, stranger, amount="100.00")
    assert (await pay(client, owner, mine, "30.00", "shared")).status_code == 201
    other = await pay(client, stranger, theirs, "30.00", "shared")
    assert other.status_code == 201
    assert "Idempotent-Replayed" not in other.headers
    assert await db.fetchval("SELECT count(*) FROM payments") == 2


async def test_the_same_key_while_the_first_request_runs_is_409(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner, amount="100.00")
    async with db.acquire() as blocker, blocker.transaction():
        # Hold the invoice row, so the first request waits inside its transaction, key held.
        await blocker.execute(
            "SELECT 1 FROM invoices WHERE account_id = $1 AND id = $2 FOR UPDATE",
            owner.id,
            invoice_id,
        )
        first = pay(client, owner, invoice_id, "30.00", "slow")
        for _ in range(1000):
            if await db.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"):
                break
            await asyncio.sleep(0.01)
        second = await pay(client, owner, invoice_id, "30.00", "slow")
        assert second.status_code == 409
        assert second.headers["Retry-After"] == "1"
        assert ElementTree.fromstring(second.content)[0].get("code") == "idempotency_key_in_use"
    assert (await first).status_code == 201
    third = await pay(client, owner, invoice_id, "30.00", "slow")
    assert third.headers["Idempotent-Replayed"] == "true"
    assert third.content == (await first).content
    assert await db.fetchval("SELECT count(*) FROM payments") == 1


async def test_a_failed_request_stores_no_key_and_can_be_retried(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner, amount="100.00")
    before = await snapshot(db)
    refused = await pay(client, owner, invoice_id, "100.01", "k")
    assert refused.status_code == 422
    assert await snapshot(db) == before
    assert (await pay(client, owner, invoice_id, "100.00", "k")).status_code == 201


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "caf\u00e9"])
async def test_a_malformed_key_is_422_and_changes_nothing(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool, key: str
) -> None:
    invoice_id = await create_invoice(client, owner, amount="100.00")
    before = await snapshot(db)
    response = await client.post(
        f"/invoices/{invoice_id}/payments",
        content=payment_xml("1.00"),
        headers=[
            *owner.auth.items(),
            *XML.items(),
            ("Accept", "application/json"),
            ("Idempotency-Key", key.encode()),
        ],
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await snapshot(db) == before


async def test_expired_keys_are_purged_by_the_service_and_free_again(
    database_url: str, owner: Account, db: asyncpg.Pool
) -> None:
    settings = Settings(
        database_url=database_url,
        idempotency_key_ttl_seconds=1,
        idempotency_purge_interval_seconds=0.2,
    )
    async with serving(settings) as (_, http):
        invoice_id = await create_invoice(http, owner, amount="100.00")
        assert (await pay(http, owner, invoice_id, "30.00", "short-lived")).status_code == 201
        assert await db.fetchval("SELECT count(*) FROM idempotency_keys") == 1
        for _ in range(100):
            if not await db.fetchval("SELECT count(*) FROM idempotency_keys"):
                break
            await asyncio.sleep(0.1)
        assert await db.fetchval("SELECT count(*) FROM idempotency_keys") == 0
        again = await pay(http, owner, invoice_id, "31.00", "short-lived")
        assert again.status_code == 201
        assert "Idempotent-Replayed" not in again.headers


async def test_an_expired_key_not_yet_purged_is_not_replayed(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner, amount="100.00")
    assert (await pay(client, owner, invoice_id, "30.00", "k")).status_code == 201
    await db.execute("UPDATE idempotency_keys SET expires_at = now() - interval '1 second'")
    again = await pay(client, owner, invoice_id, "31.00", "k")
    assert again.status_code == 201
    assert await db.fetchval("SELECT count(*) FROM idempotency_keys") == 1
    assert await db.fetchval("SELECT count(*) FROM payments") == 2
