"""The four Invoice Payments endpoints, against the source document's examples."""

from decimal import Decimal
from xml.etree import ElementTree

import asyncpg
import httpx
import pytest

from tests.support.api import create_invoice, payment_xml
from tests.support.auth import Account
from tests.support.database import snapshot

XML = {"Content-Type": "application/xml"}
JSON = {"Accept": "application/json"}

# The "Show a particular payment" example of the source document, element by element.
DOCUMENTED_PAYMENT = [
    ("amount", "decimal"),
    ("created-at", "datetime"),
    ("id", "integer"),
    ("invoice-id", "integer"),
    ("notes", None),
    ("paid-at", "datetime"),
    ("recorded-by", None),
    ("recorded-by-email", None),
]


async def record(
    client: httpx.AsyncClient, account: Account, invoice_id: int, amount: str, **kw: str
) -> httpx.Response:
    return await client.post(
        f"/invoices/{invoice_id}/payments",
        content=payment_xml(amount, **kw),
        headers={**account.auth, **XML},
    )


async def invoice_of(client: httpx.AsyncClient, account: Account, invoice_id: int) -> dict:
    response = await client.get(f"/invoices/{invoice_id}", headers={**account.auth, **JSON})
    return response.json()["invoice"]


async def test_recording_a_payment_answers_201_with_location_and_the_payment_as_the_document_shows(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner, amount="60000.00")
    response = await record(client, owner, invoice_id, "52000.0", notes="Finally.")

    assert response.status_code == 201
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    payment = ElementTree.fromstring(response.content)
    assert payment.tag == "payment"
    children = [(child.tag, child.get("type")) for child in payment]
    assert children == [*DOCUMENTED_PAYMENT, ("updated-at", "datetime")]
    values = {child.tag: child.text for child in payment}
    assert values["amount"] == "52000.0"
    assert values["invoice-id"] == str(invoice_id)
    assert values["notes"] == "Finally."
    assert values["paid-at"] == "2008-02-14T00:00:00Z"
    assert values["recorded-by"] == "Happy Owner"
    assert values["recorded-by-email"] == owner.email
    assert values["created-at"].endswith("Z")
    assert response.headers["Location"] == f"/invoice/{invoice_id}/payments/{values['id']}"

    shown = await client.get(response.headers["Location"], headers=owner.auth)
    assert shown.status_code == 200
    assert shown.content == response.content


async def test_payment_list_is_a_typed_array_in_recording_order(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner, amount="2000.00")
    await record(client, owner, invoice_id, "1238.0")
    await record(client, owner, invoice_id, "12.50")

    response = await client.get(f"/invoices/{invoice_id}/payments", headers=owner.auth)

    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    assert (root.tag, root.get("type")) == ("payments", "array")
    assert [p.findtext("amount") for p in root] == ["1238.0", "12.5"]
    assert [(c.tag, c.get("type")) for c in root[0]][:8] == DOCUMENTED_PAYMENT


async def test_an_invoice_without_payments_lists_an_empty_array(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner)
    response = await client.get(f"/invoices/{invoice_id}/payments", headers=owner.auth)
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    assert (root.tag, root.get("type"), len(root)) == ("payments", "array", 0)


@pytest.mark.parametrize(
    "path",
    [
        "/invoices/{i}/payments/{p}",
        "/invoices/{i}/payment/{p}",
        "/invoice/{i}/payments/{p}",
        "/invoice/{i}/payment/{p}",
    ],
)
async def test_a_payment_shows_under_the_documented_path_and_its_aliases(
    client: httpx.AsyncClient, owner: Account, path: str
) -> None:
    invoice_id = await create_invoice(client, owner)
    created = await record(client, owner, invoice_id, "10")
    payment_id = ElementTree.fromstring(created.content).findtext("id")

    response = await client.get(path.format(i=invoice_id, p=payment_id), headers=owner.auth)

    assert response.status_code == 200
    assert ElementTree.fromstring(response.content).findtext("id") == payment_id


async def test_json_mirrors_the_xml_wrapped_in_the_root_key(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner)
    created = await client.post(
        f"/invoices/{invoice_id}/payments",
        json={"payment": {"paid_at": "2008-02-14T00:00:00Z", "amount": 12.5, "notes": "check"}},
        headers={**owner.auth, **JSON},
    )
    assert created.status_code == 201
    assert created.headers["content-type"] == "application/json"
    payment = created.json()["payment"]
    assert payment["amount"] == 12.5
    assert payment["paid_at"] == "2008-02-14T00:00:00Z"
    assert list(payment) == [
        "amount",
        "created_at",
        "id",
        "invoice_id",
        "notes",
        "paid_at",
        "recorded_by",
        "recorded_by_email",
        "updated_at",
    ]

    listed = await client.get(f"/invoices/{invoice_id}/payments", headers={**owner.auth, **JSON})
    assert listed.json() == [{"payment": payment}]


async def test_payments_update_the_balance_and_state_and_deleting_restores_them(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner, amount="100.00")
    first = await record(client, owner, invoice_id, "40")
    invoice = await invoice_of(client, owner, invoice_id)
    assert (invoice["due_amount"], invoice["state"]) == (60.0, "partial")

    await record(client, owner, invoice_id, "60")
    invoice = await invoice_of(client, owner, invoice_id)
    assert (invoice["due_amount"], invoice["state"]) == (0.0, "paid")

    payment_id = ElementTree.fromstring(first.content).findtext("id")
    deleted = await client.delete(
        f"/invoices/{invoice_id}/payments/{payment_id}", headers=owner.auth
    )
    assert deleted.status_code == 200
    invoice = await invoice_of(client, owner, invoice_id)
    assert (invoice["due_amount"], invoice["state"]) == (40.0, "partial")

    again = await client.delete(f"/invoices/{invoice_id}/payments/{payment_id}", headers=owner.auth)
    assert again.status_code == 404
    gone = await client.get(f"/invoices/{invoice_id}/payments/{payment_id}", headers=owner.auth)
    assert gone.status_code == 404
    row = await db.fetchrow(
        "SELECT deleted_at, deleted_by_email FROM payments WHERE id = $1", int(payment_id or 0)
    )
    assert row["deleted_at"] is not None
    assert row["deleted_by_email"] == owner.email


async def test_a_draft_stays_draft_when_part_paid_and_returns_to_draft_when_emptied(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner, sent=False)
    created = await record(client, owner, invoice_id, "10")
    assert (await invoice_of(client, owner, invoice_id))["state"] == "draft"
    payment_id = ElementTree.fromstring(created.content).findtext("id")
    await client.delete(f"/invoices/{invoice_id}/payments/{payment_id}", headers=owner.auth)
    assert (await invoice_of(client, owner, invoice_id))["state"] == "draft"


async def test_a_missing_field_list_names_every_problem_and_changes_nothing(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner)
    before = await snapshot(db)

    response = await client.post(
        f"/invoices/{invoice_id}/payments",
        content="<payment><notes>no amount, no date</notes></payment>",
        headers={**owner.auth, **XML},
    )

    assert response.status_code == 422
    errors = ElementTree.fromstring(response.content)
    assert errors.tag == "errors"
    assert sorted(e.get("field") for e in errors) == ["amount", "paid_at"]
    assert {e.get("code") for e in errors} == {"required"}
    assert await snapshot(db) == before


async def test_json_errors_have_a_stable_code_per_problem(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner)
    response = await client.post(
        f"/invoices/{invoice_id}/payments",
        json={"payment": {"amount": "abc", "paid_at": "yesterday"}},
        headers={**owner.auth, **JSON},
    )
    assert response.status_code == 422
    problems = response.json()["errors"]
    assert {(p["field"], p["code"]) for p in problems} == {
        ("amount", "invalid"),
        ("paid_at", "invalid"),
    }
    assert all(p["message"] for p in problems)


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("-5.00", "invalid"),
        ("0", "invalid"),
        ("10.001", "too_many_decimals"),
        ("100.01", "overpayment"),
        ("1e3", "invalid"),
        ("NaN", "invalid"),
        ("", "invalid"),
        ("Infinity", "invalid"),
        ("-Infinity", "invalid"),
        ("1E3", "invalid"),
        ("0x10", "invalid"),
        ("1,000.00", "invalid"),
        (" ", "invalid"),
        ("10.0000001", "too_many_decimals"),
        ("1000000000000000.00", "invalid"),  # beyond NUMERIC(19, 4)
        ("99999999999999999999999999999999", "invalid"),
        ("\u0661\u0660", "invalid"),  # Arabic-Indic digits
    ],
)
async def test_bad_amounts_get_422_and_change_nothing(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool, amount: str, code: str
) -> None:
    invoice_id = await create_invoice(client, owner, amount="100.00")
    before = await snapshot(db)
    response = await record(client, owner, invoice_id, amount)
    assert response.status_code == 422
    assert ElementTree.fromstring(response.content)[0].get("code") == code
    assert await snapshot(db) == before


async def test_a_zero_decimal_currency_refuses_cents(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner, amount="5000", currency="JPY")
    assert (await record(client, owner, invoice_id, "1000.5")).status_code == 422
    assert (await record(client, owner, invoice_id, "1000")).status_code == 201
    assert (await invoice_of(client, owner, invoice_id))["due_amount"] == 4000


async def test_a_closed_invoice_refuses_payments(client: httpx.AsyncClient, owner: Account) -> None:
    invoice_id = await create_invoice(client, owner)
    closed = await client.post(
        f"/invoices/{invoice_id}/messages/mark_as_closed", headers=owner.auth
    )
    assert closed.status_code == 200
    response = await record(client, owner, invoice_id, "10")
    assert response.status_code == 422
    assert ElementTree.fromstring(response.content)[0].get("code") == "invoice_closed"


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("<payment><amount>1", "application/xml", 400),
        ('{"payment": ', "application/json", 400),
        ("<invoice></invoice>", "application/xml", 400),
        ("amount=10", "application/x-www-form-urlencoded", 415),
        ("<payment/>", "", 415),
    ],
)
async def test_malformed_or_unsupported_bodies_get_4xx_and_change_nothing(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    body: str,
    content_type: str,
    status: int,
) -> None:
    invoice_id = await create_invoice(client, owner)
    before = await snapshot(db)
    response = await client.post(
        f"/invoices/{invoice_id}/payments",
        content=body,
        headers={**owner.auth, "Content-Type": content_type},
    )
    assert response.status_code == status
    assert ElementTree.fromstring(response.content).tag == "errors"
    assert await snapshot(db) == before


async def test_an_accept_we_cannot_serve_gets_406(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner)
    response = await client.get(
        f"/invoices/{invoice_id}/payments", headers={**owner.auth, "Accept": "text/html"}
    )
    assert response.status_code == 406


@pytest.mark.parametrize(
    "path",
    [
        "/invoices/999999/payments",
        "/invoices/abc/payments",
        "/invoices/99999999999999999999999/payments",
    ],
)
async def test_unknown_or_malformed_invoice_ids_are_404(
    client: httpx.AsyncClient, owner: Account, path: str
) -> None:
    response = await client.get(path, headers={**owner.auth, **JSON})
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


async def test_another_accounts_invoice_and_payment_are_answered_like_missing_ones(
    client: httpx.AsyncClient, owner: Account, stranger: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner)
    created = await record(client, owner, invoice_id, "10")
    payment_id = ElementTree.fromstring(created.content).findtext("id")
    before = await snapshot(db)

    attempts = [
        await client.get(f"/invoices/{invoice_id}/payments", headers=stranger.auth),
        await client.get(f"/invoices/{invoice_id}/payments/{payment_id}", headers=stranger.auth),
        await record(client, stranger, invoice_id, "5"),
        await client.delete(f"/invoices/{invoice_id}/payments/{payment_id}", headers=stranger.auth),
    ]

    assert [r.status_code for r in attempts] == [404, 404, 404, 404]
    assert await snapshot(db) == before


async def test_the_payment_rows_hold_exact_decimals(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner, amount="0.30")
    for _ in range(3):
        assert (await record(client, owner, invoice_id, "0.1")).status_code == 201
    row = await db.fetchrow("SELECT due_amount, state FROM invoices WHERE id = $1", invoice_id)
    assert row["due_amount"] == Decimal("0")
    assert row["state"] == "paid"
