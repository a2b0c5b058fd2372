"""schemathesis against the running service with Harvest's own v2 description (the in-scope
part): no 5xx, and every answer matches that description (status, content type, headers, body)."""

import asyncio
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.support.api import USER_AGENT, create_invoice, v2_post
from tests.support.auth import make_account

pytestmark = pytest.mark.system

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)
# Generated ids would only ever find nothing: mostly use real invoices and payments. Messages
# get their own invoice, so closing it does not stop payments on the other.
CONFIG = """
[parameters]
"path.invoiceId" = {{ dictionary = "invoices", probability = 0.8 }}
"path.paymentId" = {{ dictionary = "payments", probability = 0.5 }}

[[operations]]
include-path = "/invoices/{{invoiceId}}/messages"
parameters = {{ "path.invoiceId" = {{ dictionary = "messaged", probability = 0.8 }} }}

[dictionaries.invoices]
values = ["{invoice_id}"]

[dictionaries.messaged]
values = ["{messaged_id}"]

[dictionaries.payments]
values = {payment_ids}
"""


async def test_schemathesis_finds_no_server_error_and_no_answer_that_breaks_harvests_spec(
    harvest_spec_file: Path,
    live_server: str,
    db: asyncpg.Pool,
    tmp_path: Path,
) -> None:
    account = await make_account(db, "Fuzzed")
    async with httpx.AsyncClient(base_url=live_server) as http:
        invoice_id = await create_invoice(http, account, amount="1000000.00")
        messaged_id = await create_invoice(http, account, number="messages")
        payment_ids = [
            (
                await v2_post(http, account, f"/invoices/{invoice_id}/payments", {"amount": 1})
            ).json()["id"]
            for _ in range(3)
        ]
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        CONFIG.format(
            invoice_id=invoice_id,
            messaged_id=messaged_id,
            payment_ids=[str(id_) for id_ in payment_ids],
        )
    )

    process = await asyncio.create_subprocess_exec(
        Path(sys.executable).parent / "schemathesis",
        "--config-file",
        config,
        "run",
        harvest_spec_file,
        "--url",
        f"{live_server}/v2",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "25",
        "--seed",
        "7",
        "--workers",
        "1",
        "--header",
        f"Authorization: Bearer {account.token}",
        "--header",
        f"Harvest-Account-Id: {account.id}",
        "--header",
        f"User-Agent: {USER_AGENT}",
        "--no-color",
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=600)
    report = output.decode()[-8000:]
    print(report)
    assert process.returncode == 0, report
    # it really exercised the service: it recorded payments and deleted one of ours
    assert await db.fetchval("SELECT count(*) FROM payments") > len(payment_ids)
    assert await db.fetchval("SELECT count(*) FROM payments WHERE deleted_at IS NOT NULL")
