"""Examples for the OpenAPI document, keyed by the schema they illustrate.

The payment examples are the source document's (Harvest v1 "Invoice Payments"), plus the
`updated-at` this service adds; the invoice ones are the README's curl session's. Responses are
sample rows written by the XML codec, so they show every declared field (a column missing from
a sample is NULL); the JSON examples are derived from the XML ones, so each example exists once.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from payments_service.documents import Document, Resource
from payments_service.fields import Fields
from payments_service.http.xml_codec import DECLARATION, to_xml
from payments_service.invoices.fields import INVOICE as INVOICE_FIELDS
from payments_service.payments.fields import PAYMENT as PAYMENT_FIELDS


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _row(fields: Fields, **values: Any) -> dict[str, Any]:
    return dict.fromkeys(fields.columns) | values


def _xml(resource: Resource, value: dict[str, Any] | list[dict[str, Any]]) -> str:
    return to_xml(Document(resource, value)).removeprefix(DECLARATION).removesuffix("\n")


PAYMENT = _xml(
    PAYMENT_FIELDS.v1,
    _row(
        PAYMENT_FIELDS,
        amount=Decimal("52000.0"),
        created_at=_at("2008-03-13T11:29:18"),
        id=54664,
        invoice_id=2393,
        notes="Finally.",
        paid_at=_at("2008-02-14T00:00:00"),
        recorded_by="Happy Owner",
        recorded_by_email="happy@owner.com",
        updated_at=_at("2008-03-13T11:29:18"),
    ),
)

PAYMENTS = _xml(
    PAYMENT_FIELDS.v1,
    [
        _row(
            PAYMENT_FIELDS,
            amount=Decimal("1238.0"),
            created_at=_at("2008-02-14T19:36:52"),
            id=1334,
            invoice_id=4393,
            notes="check",
            paid_at=_at("2008-02-14T00:00:00"),
            recorded_by="Happy Owner",
            recorded_by_email="happy@owner.com",
            updated_at=_at("2008-02-14T19:36:52"),
        )
    ],
)

PAYMENT_CREATE = """<payment>
  <!-- required -->
  <paid-at type="datetime">2008-02-14T00:00:00Z</paid-at>
  <!-- required -->
  <amount type="decimal">52000.0</amount>
  <notes>Some optional notes go here</notes>
</payment>"""

INVOICE_ROW = _row(
    INVOICE_FIELDS,
    id=2393,
    client_id=11,
    number="2008-001",
    currency="USD",
    amount=Decimal("60000.0"),
    due_amount=Decimal("8000.0"),
    state="partial",
    issued_at=_at("2008-02-06T00:00:00").date(),
    due_at=_at("2008-03-06T00:00:00").date(),
    subject="Services",
    notes="Thanks",
    sent_at=_at("2008-02-06T10:00:00"),
    created_at=_at("2008-02-06T09:58:12"),
    updated_at=_at("2008-03-13T11:29:18"),
)
INVOICE = _xml(INVOICE_FIELDS.v1, INVOICE_ROW)
INVOICES = _xml(INVOICE_FIELDS.v1, [INVOICE_ROW])

INVOICE_CREATE = """<invoice>
  <client-id type="integer">11</client-id>
  <number>2008-001</number>
  <currency>USD</currency>
  <amount type="decimal">60000.00</amount>
  <issued-at type="date">2008-02-06</issued-at>
  <due-at type="date">2008-03-06</due-at>
  <subject>Services</subject>
  <notes>Thanks</notes>
</invoice>"""

ERRORS = """<errors>
  <error code="required" field="amount">amount is required</error>
</errors>"""

# Schema component name -> its XML example.
EXAMPLES = {
    "Payment": PAYMENT,
    "PaymentList": PAYMENTS,
    "PaymentCreate": PAYMENT_CREATE,
    "Invoice": INVOICE,
    "InvoiceList": INVOICES,
    "InvoiceCreate": INVOICE_CREATE,
    "Errors": ERRORS,
}
