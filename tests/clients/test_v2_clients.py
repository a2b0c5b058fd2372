"""Harvest v2 client libraries, unchanged but for their base URL: tapioca-harvest 2.0 (Python)
and harvest-v2 3.0.0 (JavaScript) record, list and delete payments and read invoices, the
company and the current user."""

import json
from decimal import Decimal

import asyncpg
import httpx
import pytest

from tests.support.api import create_invoice
from tests.support.auth import Account, make_account
from tests.support.harvest_clients import installed, run_driver

pytestmark = pytest.mark.system


async def account_with_invoice(
    db: asyncpg.Pool, live_server: str, name: str
) -> tuple[Account, int]:
    account = await make_account(db, name)
    async with httpx.AsyncClient(base_url=live_server) as http:
        return account, await create_invoice(http, account, amount="100.00")


async def live_payments(db: asyncpg.Pool, invoice_id: int) -> list[tuple[Decimal, str | None]]:
    rows = await db.fetch(
        "SELECT amount, notes FROM payments WHERE invoice_id = $1 AND deleted_at IS NULL",
        invoice_id,
    )
    return [(row["amount"], row["notes"]) for row in rows]


async def test_tapioca_harvest_records_lists_and_deletes_payments(
    live_server: str, db: asyncpg.Pool
) -> None:
    account, invoice_id = await account_with_invoice(db, live_server, "Tapioca")
    output = await run_driver(
        installed("tapioca-harvest"),
        "tapioca_harvest_calls.py",
        HARVEST_BASE=live_server,
        HARVEST_TOKEN=account.token,
        HARVEST_ACCOUNT_ID=str(account.id),
        INVOICE_ID=str(invoice_id),
    )
    got = json.loads(output)
    assert (got["company"]["name"], got["me"]["email"]) == ("Tapioca", account.email)
    assert (got["created"]["paid_date"], got["created"]["notes"]) == ("2024-02-01", "tapioca")
    assert [p["id"] for p in got["payments"]["invoice_payments"]] == [got["created"]["id"]]
    assert (got["invoice"]["id"], got["invoice"]["due_amount"]) == (invoice_id, 74.5)
    assert [i["id"] for i in got["open"]["invoices"]] == [invoice_id]
    assert await live_payments(db, invoice_id) == [(Decimal("25.5"), "tapioca")]


async def test_the_harvest_v2_npm_library_records_and_lists_payments(
    live_server: str, db: asyncpg.Pool
) -> None:
    account, invoice_id = await account_with_invoice(db, live_server, "Node")
    output = await run_driver(
        "node",
        "harvest_v2_calls.js",
        HARVEST_BASE=live_server,
        HARVEST_TOKEN=account.token,
        HARVEST_ACCOUNT_ID=str(account.id),
        INVOICE_ID=str(invoice_id),
        NODE_PATH=str(installed("harvest-v2", "node_modules")),
    )
    got = json.loads(output)
    assert (got["company"]["name"], got["me"]["email"]) == ("Node", account.email)
    assert [i["id"] for i in got["listed"]["invoices"]] == [invoice_id]  # via `/v2/invoices/?`
    assert (got["invoice"]["id"], got["created"]["paid_at"]) == (invoice_id, "2024-03-01T10:00:00Z")
    assert [p["id"] for p in got["payments"]["invoice_payments"]] == [got["created"]["id"]]
    assert await live_payments(db, invoice_id) == [(Decimal("12.5"), "node")]
    # The deletion happened; the library then parses the empty 200 body as JSON and fails, as
    # it would against Harvest, whose DELETE answers 200 without a body too.
    assert got["deleted"].startswith("FetchError: invalid json response body")
