"""tap-harvest 3.1.1 (Singer) syncs invoices and payments, as a finance team's warehouse would."""

import json
from decimal import Decimal

import asyncpg
import httpx
import pytest

from tests.support.api import create_invoice, paid
from tests.support.auth import make_account
from tests.support.harvest_clients import installed, run_driver

pytestmark = pytest.mark.system


async def test_tap_harvest_syncs_every_invoice_and_payment_of_the_account(
    live_server: str, db: asyncpg.Pool
) -> None:
    account = await make_account(db, "Warehouse")
    other = await make_account(db, "Elsewhere")
    async with httpx.AsyncClient(base_url=live_server) as http:
        settled = await create_invoice(http, account, number="settled")
        partial = await create_invoice(http, account, number="partial")
        draft = await create_invoice(http, account, number="draft", sent=False)
        payments = {
            await paid(http, account, settled, "60.00"): settled,
            await paid(http, account, settled, "40.00"): settled,
            await paid(http, account, partial, "12.34"): partial,
        }
        await create_invoice(http, other, number="not theirs")

    output = await run_driver(
        installed("tap-harvest"),
        "tap_harvest_sync.py",
        HARVEST_BASE=live_server,
        HARVEST_TOKEN=account.token,
    )
    messages = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    records: dict[str, list[dict]] = {}
    for message in messages:
        if message["type"] == "RECORD":
            records.setdefault(message["stream"], []).append(message["record"])

    invoices = {record["id"]: record for record in records["invoices"]}
    assert set(invoices) == {settled, partial, draft}
    assert (invoices[settled]["state"], Decimal(str(invoices[settled]["due_amount"]))) == (
        "paid",
        0,
    )
    assert invoices[settled]["paid_at"] is not None and invoices[partial]["paid_at"] is None
    assert invoices[draft]["state"] == "draft"
    assert {r["id"]: r["invoice_id"] for r in records["invoice_payments"]} == payments
    assert "invoice_line_items" not in records  # none here, and none invented
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    assert states[-1]["bookmarks"]["invoices"]["updated_at"] >= "2026"
