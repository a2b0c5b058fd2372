"""A client generated from Harvest's own OpenAPI description by openapi-python-client, driven
against the running service: its requests are accepted and our answers parse into its models."""

import importlib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.api import USER_AGENT, create_invoice
from tests.support.auth import make_account
from tests.support.contract import ContractChecker
from tests.support.openapi_client import generated_client

pytestmark = pytest.mark.system

PACKAGE = "harvestapp_api_client"  # openapi-python-client's name for the spec's title


@pytest.fixture(scope="session")
def generated(harvest_spec_file: Path) -> Iterator[ModuleType]:
    with generated_client(harvest_spec_file, PACKAGE) as package:
        yield package


def api(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.default.{name}")


def models() -> Any:
    return importlib.import_module(f"{PACKAGE}.models")


async def test_the_generated_client_lists_creates_and_deletes_payments_and_reads_invoices(
    generated: ModuleType, live_server: str, db: asyncpg.Pool, contract: ContractChecker
) -> None:
    account = await make_account(db, "Generated")
    hooks = {"response": [contract]}
    async with httpx.AsyncClient(base_url=live_server, event_hooks=hooks) as http:
        invoice_id = str(await create_invoice(http, account, amount="100.00"))
    client = generated.AuthenticatedClient(
        base_url=f"{live_server}/v2",
        token=account.token,
        headers={"Harvest-Account-Id": str(account.id), "User-Agent": USER_AGENT},
        httpx_args={"event_hooks": hooks},
        raise_on_unexpected_status=True,
    )
    m = models()

    created = await api("create_invoice_payment").asyncio_detailed(
        invoice_id,
        client=client,
        body=m.CreateInvoicePaymentBody(amount=25.5, paid_date=date(2017, 7, 24), notes="gen"),
    )
    assert created.status_code == 201
    payment = created.parsed
    assert isinstance(payment, m.InvoicePayment)
    assert payment.additional_properties == {}  # every field we send is one the spec names
    assert (payment.amount, payment.paid_date, payment.notes) == (25.5, date(2017, 7, 24), "gen")
    assert isinstance(payment.paid_at, datetime) and isinstance(payment.created_at, datetime)
    assert payment.recorded_by_email == account.email

    listed = await api("list_payments_for_invoice").asyncio_detailed(invoice_id, client=client)
    page = listed.parsed
    assert isinstance(page, m.InvoicePayments) and page.additional_properties == {}
    assert [p.id for p in page.invoice_payments] == [payment.id]
    assert (page.total_entries, page.page, page.next_page) == (1, 1, None)
    assert page.links.first.startswith(f"{live_server}/v2/invoices/{invoice_id}/payments?")

    invoice = (await api("retrieve_invoice").asyncio_detailed(invoice_id, client=client)).parsed
    assert isinstance(invoice, m.Invoice) and invoice.additional_properties == {}
    assert (invoice.due_amount, invoice.state, invoice.issue_date) == (
        74.5,
        "open",
        date(2008, 2, 6),
    )

    invoices = (await api("list_invoices").asyncio_detailed(client=client, state="open")).parsed
    assert isinstance(invoices, m.Invoices) and invoices.additional_properties == {}
    assert [(i.id, i.due_amount) for i in invoices.invoices] == [(int(invoice_id), 74.5)]

    deleted = await api("delete_invoice_payment").asyncio_detailed(
        invoice_id, str(payment.id), client=client
    )
    assert deleted.status_code == 200
    after = await api("list_payments_for_invoice").asyncio_detailed(invoice_id, client=client)
    assert after.parsed.invoice_payments == []
    assert await db.fetchval("SELECT deleted_at IS NOT NULL FROM payments") is True

    closed = await api("create_invoice_message").asyncio_detailed(
        invoice_id, client=client, body=m.CreateInvoiceMessageBody(event_type="close")
    )
    assert isinstance(closed.parsed, m.InvoiceMessage) and closed.parsed.event_type == "close"

    me = await api("retrieve_the_currently_authenticated_user").asyncio_detailed(client=client)
    assert isinstance(me.parsed, m.User) and me.parsed.email == account.email


async def test_errors_parse_into_the_generated_error_model(
    generated: ModuleType, live_server: str, db: asyncpg.Pool
) -> None:
    account = await make_account(db, "GeneratedErrors")
    client = generated.AuthenticatedClient(
        base_url=f"{live_server}/v2",
        token=account.token,
        headers={"Harvest-Account-Id": str(account.id), "User-Agent": USER_AGENT},
    )
    missing = await api("retrieve_invoice").asyncio_detailed("404404", client=client)
    assert missing.status_code == 404
    assert isinstance(missing.parsed, models().Error) and missing.parsed.code == 404
