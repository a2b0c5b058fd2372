"""Field declarations and named SQL parameters: what a new field line brings with it."""

import ast
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from payments_service.db.statement import statement
from payments_service.documents import Document, Kind
from payments_service.fields import TEXT, Field, Fields, nullable
from payments_service.http.json_codec import to_json
from payments_service.http.validation import body
from payments_service.http.xml_codec import to_xml
from payments_service.invoices.fields import INVOICE
from payments_service.payments.fields import PAYMENT
from payments_service.payments.schemas import PaymentTime
from payments_service.v2.schemas import InvoicePayment, InvoicePaymentExtras

PACKAGE = Path(__file__).parent.parent / "src" / "payments_service"


def test_parameters_are_numbered_by_first_use_and_casts_are_left_alone() -> None:
    found = statement("SELECT :b::bigint, s.id::text WHERE a = :a AND b = :b")

    assert found.sql == "SELECT $1::bigint, s.id::text WHERE a = $2 AND b = $1"
    assert found.bind(a=1, b=2) == (found.sql, 2, 1)


def test_every_parameter_is_given_by_name_and_none_more() -> None:
    found = statement("SELECT :a, :b")

    with pytest.raises(KeyError):
        found.bind(a=1, c=2)
    with pytest.raises(TypeError):
        found.bind(a=1, b=2, c=3)


def test_a_new_field_line_reaches_the_columns_both_apis_and_their_schemas() -> None:
    fields = (*PAYMENT.fields[:-2], Field("reference", nullable=True), *PAYMENT.fields[-2:])
    extended = Fields(root="payment", plural="payments", fields=fields)
    moment = datetime(2008, 2, 14, tzinfo=UTC)
    row = {column: None for column in extended.columns} | {
        "id": 1,
        "invoice_id": 2,
        "amount": Decimal("5.00"),
        "paid_at": moment,
        "recorded_by": "Owner",
        "recorded_by_email": "owner@example.com",
        "created_at": moment,
        "updated_at": moment,
        "reference": "R-1 & co",
    }

    assert "reference" in extended.columns and "reference" in extended.written
    assert "<reference>R-1 &amp; co</reference>" in to_xml(Document(extended.v1, row))
    assert orjson.loads(to_json(Document(extended.v1, row)))["payment"]["reference"] == "R-1 & co"
    assert extended.v2_object(row)["reference"] == "R-1 & co"
    assert extended.v2_schema["properties"]["reference"] == nullable(TEXT)
    # v1 lists a payment's elements alphabetically, as Harvest v1 did.
    names = [element.name for element in extended.v1.elements]
    assert names == sorted(names) and "reference" in names


def test_a_field_clients_write_joins_both_payment_bodies_after_the_ones_written_out() -> None:
    fields = (
        *PAYMENT.fields[:-4],
        Field("reference", nullable=True, write=True),
        *PAYMENT.fields[-4:],
    )
    extended = Fields(root="payment", plural="payments", fields=fields)
    v1 = body("PaymentCreate", extended, "v1", PaymentTime)
    v2 = body("InvoicePaymentCreate", extended, "v2", InvoicePayment, InvoicePaymentExtras)

    assert list(v1.model_fields) == ["paid_at", "amount", "notes", "reference"]
    assert list(v2.model_fields) == [
        "amount",
        "paid_at",
        "paid_date",
        "notes",
        "reference",
        "send_thank_you",
        "transaction_id",
    ]
    sent = v1.model_validate({"paid_at": "2008-02-14", "amount": "5", "reference": "R-1"})
    assert sent.model_dump()["reference"] == "R-1"
    assert v2.model_json_schema()["properties"]["reference"]["anyOf"][1] == {"type": "null"}


def test_v1_order_names_every_v1_element() -> None:
    with pytest.raises(ValueError, match="v1_order must name each of"):
        Fields(
            root="thing",
            plural="things",
            fields=(Field("id", Kind.INTEGER), Field("name")),
            v1_order=("id",),
        )


def test_declarations_cover_both_apis() -> None:
    assert [element.key for element in INVOICE.v1.elements][:3] == ["id", "client_id", "number"]
    assert list(INVOICE.v2_schema["properties"])[:3] == ["id", "client", "line_items"]
    assert "transaction_id" in PAYMENT.v2_schema["properties"]
    assert "transaction_id" not in {element.key for element in PAYMENT.v1.elements}


def _imports(package: str) -> set[str]:
    found = set()
    for path in (PACKAGE / package).glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return found


def test_payments_and_invoices_do_not_import_each_other() -> None:
    assert not any(name.startswith("payments_service.invoices") for name in _imports("payments"))
    assert not any(name.startswith("payments_service.payments") for name in _imports("invoices"))
