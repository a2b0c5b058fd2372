"""A consuming service's view: a client generated from the live /openapi.json, used for real."""

import importlib
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from types import ModuleType

import asyncpg
import httpx
import pytest

from tests.support.auth import make_account
from tests.support.contract import ContractChecker
from tests.support.openapi_client import generated_client

pytestmark = pytest.mark.system

PACKAGE = "payments_client"


@pytest.fixture(scope="session")
def generated(live_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The package openapi-python-client writes from the running server's document."""
    root = tmp_path_factory.mktemp("generated")
    document = root / "openapi.json"
    document.write_bytes(httpx.get(f"{live_server}/openapi.json").content)
    with generated_client(document, PACKAGE) as package:
        yield package


def module(generated: ModuleType, name: str) -> ModuleType:
    return importlib.import_module(f"{generated.__name__}.{name}")


async def test_a_generated_client_records_lists_shows_and_deletes_payments(
    generated: ModuleType, live_server: str, db: asyncpg.Pool, contract: ContractChecker
) -> None:
    account = await make_account(db, "Generated")
    models = module(generated, "models")
    invoices = {
        n: module(generated, f"api.invoices.{n}")
        for n in ("create_invoice", "get_invoice", "invoice_mark_as_sent")
    }
    payments = {
        n: module(generated, f"api.payments.{n}")
        for n in ("create_payment", "list_payments", "get_payment", "delete_payment")
    }
    client = generated.AuthenticatedClient(
        base_url=live_server,
        token=account.token,
        headers={"Accept": "application/json"},
        httpx_args={"event_hooks": {"response": [contract]}},
        raise_on_unexpected_status=True,
    )
    async with client:
        created = await invoices["create_invoice"].asyncio(
            client=client,
            body=models.InvoiceCreateEnvelope(
                invoice=models.InvoiceCreate(
                    client_id=11, number="G-1", currency=models.Currency.EUR, amount="100.00"
                )
            ),
        )
        assert isinstance(created, models.InvoiceEnvelope), created
        invoice_id = created.invoice.id
        assert created.invoice.state == "draft"
        await invoices["invoice_mark_as_sent"].asyncio(invoice_id, client=client)

        recorded = []
        for amount in ("25.50", "30.00"):
            paid = await payments["create_payment"].asyncio(
                invoice_id,
                client=client,
                body=models.PaymentCreateEnvelope(
                    payment=models.PaymentCreate(
                        paid_at=datetime(2008, 2, 14, tzinfo=UTC), amount=amount, notes="check"
                    )
                ),
            )
            assert isinstance(paid, models.PaymentEnvelope), paid
            recorded.append(paid.payment)

        listed = await payments["list_payments"].asyncio(invoice_id, client=client)
        assert [item.payment.id for item in listed] == [p.id for p in recorded]
        assert [Decimal(str(item.payment.amount)) for item in listed] == [
            Decimal("25.5"),
            Decimal("30"),
        ]

        shown = await payments["get_payment"].asyncio(invoice_id, recorded[0].id, client=client)
        assert shown.payment.recorded_by_email == account.email
        assert shown.payment.paid_at.isoformat() == "2008-02-14T00:00:00+00:00"

        deleted = await payments["delete_payment"].asyncio_detailed(
            invoice_id, recorded[0].id, client=client, x_request_id="billing-42"
        )
        assert deleted.status_code == 200
        assert deleted.headers["X-Request-ID"] == "billing-42"
        gone = await payments["get_payment"].asyncio(invoice_id, recorded[0].id, client=client)
        assert isinstance(gone, models.Errors)
        assert [error.code for error in gone.errors] == ["not_found"]

        balance = await invoices["get_invoice"].asyncio(invoice_id, client=client)
        assert Decimal(str(balance.invoice.due_amount)) == Decimal("70.00")
        assert balance.invoice.state == "partial"
