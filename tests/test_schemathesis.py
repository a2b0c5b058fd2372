"""schemathesis against the service's own /openapi.json with every check: no 5xx, and every
answer (status, content type, headers, body) is one the document describes.

Bounded here; `make fuzz` runs it longer (SCHEMATHESIS_MAX_EXAMPLES)."""

import asyncio
import os
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.support.api import create_invoice, payment_xml
from tests.support.auth import make_account

pytestmark = pytest.mark.system

MAX_EXAMPLES = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10")
HOOKS = Path(__file__).parent / "support" / "schemathesis_hooks.py"
# Random ids would only find nothing: mostly use a real invoice and real payments.
CONFIG = """
[parameters]
"path.invoice_id" = {{ dictionary = "invoices", probability = 0.7 }}
"path.payment_id" = {{ dictionary = "payments", probability = 0.5 }}

[dictionaries.invoices]
values = [{invoice_id}]

[dictionaries.payments]
values = {payment_ids}

# Schema-valid data must be accepted: a 400, 415, 3xx or 5xx fails the check.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", 401, 403, 404, 409, 429]

# Plus 422 where a rule no schema can state refuses a valid body (overpaid, illegal transition,
# number taken, key reused, cursor not ours, `from` after `to`, webhook host refused or one
# webhook too many): see docs/testing.md, Fuzzing.
[[operations]]
include-operation-id = [
    "createInvoice", "updateInvoice", "deleteInvoice", "invoiceMarkAsSent",
    "invoiceMarkAsClosed", "invoiceReOpen", "invoiceMarkAsDraft", "createPayment",
    "v2CreateInvoicePayment", "v2CreateInvoiceMessage", "v2ListPaymentsForInvoice",
    "listInvoices", "createWebhook",
]
checks.positive_data_acceptance.expected-statuses = ["2xx", 401, 403, 404, 409, 422, 429]
"""


async def test_fuzzing_the_openapi_document_finds_no_server_error_or_undocumented_answer(
    live_server: str, db: asyncpg.Pool, tmp_path: Path
) -> None:
    account = await make_account(db, "Fuzz")
    async with httpx.AsyncClient(base_url=live_server, headers=account.auth) as http:
        invoice_id = await create_invoice(http, account, amount="1000000.00")
        payment_ids = []
        for _ in range(3):
            paid = await http.post(
                f"/invoices/{invoice_id}/payments",
                content=payment_xml("1.00"),
                headers={"Content-Type": "application/xml"},
            )
            payment_ids.append(int(paid.headers["Location"].rsplit("/", 1)[1]))
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.format(invoice_id=invoice_id, payment_ids=payment_ids))

    process = await asyncio.create_subprocess_exec(
        Path(sys.executable).parent / "schemathesis",
        "--config-file",
        config,
        "run",
        f"{live_server}/openapi.json",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        MAX_EXAMPLES,
        "--seed",
        "11",
        "--header",
        f"Authorization: Bearer {account.token}",
        "--header",
        f"Harvest-Account-Id: {account.id}",
        "--header",
        "User-Agent: schemathesis (fuzz@example.com)",
        "--no-color",
        cwd=tmp_path,
        env={**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=900)
    report = output.decode()
    print(report)
    assert process.returncode == 0, report[-12000:]
    # It really reached the service: it recorded payments of its own on the real invoice.
    assert await db.fetchval("SELECT count(*) FROM payments") > len(payment_ids)
