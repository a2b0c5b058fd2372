"""airbyte-source-harvest 1.0.19 passes its connection check and reads every page."""

import asyncpg
import httpx
import pytest

from tests.support.api import create_invoice, paid
from tests.support.auth import make_account
from tests.support.harvest_clients import installed, json_lines, run_driver

pytestmark = pytest.mark.system

PAGE = 50  # the source asks for 50 a page and follows links.next


async def test_airbyte_checks_the_company_and_reads_invoices_and_payments(
    live_server: str, db: asyncpg.Pool
) -> None:
    account = await make_account(db, "Airbyte")
    other = await make_account(db, "Elsewhere")
    async with httpx.AsyncClient(base_url=live_server) as http:
        invoices = [
            await create_invoice(http, account, number=str(n), sent=n < 2) for n in range(PAGE + 2)
        ]
        payments = {
            await paid(http, account, invoices[0], "100.00"): invoices[0],
            await paid(http, account, invoices[1], "0.01"): invoices[1],
        }
        await create_invoice(http, other, number="not theirs")

    output = await run_driver(
        installed("airbyte-source-harvest"),
        "airbyte_source_harvest.py",
        HARVEST_BASE=live_server,
        HARVEST_TOKEN=account.token,
        HARVEST_ACCOUNT_ID=str(account.id),
    )
    messages = json_lines(output)
    statuses = [
        m["connectionStatus"]["status"] for m in messages if m["type"] == "CONNECTION_STATUS"
    ]
    assert statuses == ["SUCCEEDED"]
    records: dict[str, list[dict]] = {}
    for message in messages:
        if message["type"] == "RECORD":
            records.setdefault(message["record"]["stream"], []).append(message["record"]["data"])

    [company] = records["company"]
    assert (company["name"], company["base_uri"]) == ("Airbyte", live_server)
    assert sorted(r["id"] for r in records["invoices"]) == invoices  # both pages, no repeats
    assert {r["id"]: int(r["parent_id"]) for r in records["invoice_payments"]} == payments
    settled = next(r for r in records["invoices"] if r["id"] == invoices[0])
    assert (settled["state"], settled["due_amount"], settled["paid_date"]) == (
        "paid",
        0,
        settled["paid_at"][:10],
    )
