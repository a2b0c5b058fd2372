"""Harvest v1 clients, unchanged: python-harvest-redux 4.0.0 (JSON, Basic `email:token`) and
harvest-api-client 1.1.3 (XML, OAuth2 token in the query string)."""

import json

import asyncpg
import httpx
import pytest

from tests.support.api import create_invoice, paid
from tests.support.auth import make_account
from tests.support.harvest_clients import installed, run_driver

pytestmark = pytest.mark.system


async def test_python_harvest_redux_lists_reads_and_updates_invoices(
    live_server: str, db: asyncpg.Pool
) -> None:
    account = await make_account(db, "Redux")
    async with httpx.AsyncClient(base_url=live_server) as http:
        partial = await create_invoice(http, account, number="partial")
        await paid(http, account, partial, "10.00")
        untouched = await create_invoice(http, account, number="open")
    output = await run_driver(
        installed("python-harvest-redux"),
        "python_harvest_redux_calls.py",
        HARVEST_BASE=live_server,
        HARVEST_EMAIL=account.email,
        HARVEST_TOKEN=account.token,
        INVOICE_ID=str(partial),
    )
    got = json.loads(output)
    assert [row["invoice"]["id"] for row in got["partial"]] == [partial]
    assert sorted(row["invoice"]["id"] for row in got["by_date"]) == [partial, untouched]
    assert got["updated"]["invoice"]["subject"] == "Renamed by redux"
    assert (got["invoice"]["invoice"]["due_amount"], got["invoice"]["invoice"]["state"]) == (
        90.0,
        "partial",
    )
    subject = await db.fetchval("SELECT subject FROM invoices WHERE id = $1", partial)
    assert subject == "Renamed by redux"


async def test_harvest_api_client_reads_invoices_with_a_query_string_token(
    live_server: str, db: asyncpg.Pool
) -> None:
    account = await make_account(db, "XmlClient")
    async with httpx.AsyncClient(base_url=live_server) as http:
        invoice_id = await create_invoice(http, account, amount="60000.00")
    output = await run_driver(
        installed("harvest-api-client"),
        "harvest_api_client_calls.py",
        HARVEST_BASE=live_server,
        HARVEST_TOKEN=account.token,
    )
    [invoice] = json.loads(output)
    assert (invoice["id"], invoice["amount"], invoice["state"]) == (invoice_id, 60000.0, "open")
