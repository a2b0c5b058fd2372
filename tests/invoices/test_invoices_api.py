"""Invoices: list with filters, show, create, update, delete (Harvest v1 Invoices)."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import asyncpg
import httpx
import pytest

from tests.support.api import create_invoice, pay
from tests.support.auth import Account
from tests.support.database import snapshot

JSON = {"Accept": "application/json"}
XML_BODY = {"Content-Type": "application/xml"}

# Harvest v1's <invoice> elements and types for the fields we keep, plus sent-at and closed-at.
INVOICE_ELEMENTS = [
    ("id", "integer"),
    ("client-id", "integer"),
    ("number", None),
    ("currency", None),
    ("amount", "decimal"),
    ("due-amount", "decimal"),
    ("state", None),
    ("issued-at", "date"),
    ("due-at", "date"),
    ("subject", None),
    ("notes", None),
    ("purchase-order", None),
    ("period-start", "date"),
    ("period-end", "date"),
    ("sent-at", "datetime"),
    ("closed-at", "datetime"),
    ("created-at", "datetime"),
    ("updated-at", "datetime"),
]


async def new_invoice(client: httpx.AsyncClient, account: Account, **fields: Any) -> int:
    """A draft invoice via the JSON API with sensible defaults; returns its id."""
    body = {
        "client_id": 11,
        "number": "1",
        "currency": "USD",
        "amount": "100.00",
        "issued_at": "2008-02-06",
        "due_at": "2008-03-06",
        **fields,
    }
    response = await client.post("/invoices", json={"invoice": body}, headers=account.auth)
    assert response.status_code == 201, response.text
    return int(response.headers["Location"].rsplit("/", 1)[1])


async def message(
    client: httpx.AsyncClient, account: Account, invoice_id: int, action: str
) -> None:
    response = await client.post(f"/invoices/{invoice_id}/messages/{action}", headers=account.auth)
    assert response.status_code == 200, response.text


async def listed(
    client: httpx.AsyncClient, account: Account, params: dict[str, str] | None = None
) -> list[str]:
    """The numbers of the invoices GET /invoices answers, in order."""
    response = await client.get("/invoices", params=params, headers={**account.auth, **JSON})
    assert response.status_code == 200, response.text
    return [item["invoice"]["number"] for item in response.json()]


async def shown(client: httpx.AsyncClient, account: Account, invoice_id: int) -> dict[str, Any]:
    response = await client.get(f"/invoices/{invoice_id}", headers={**account.auth, **JSON})
    assert response.status_code == 200, response.text
    invoice: dict[str, Any] = response.json()["invoice"]
    return invoice


async def put(
    client: httpx.AsyncClient, account: Account, invoice_id: int, fields: dict[str, Any]
) -> httpx.Response:
    return await client.put(
        f"/invoices/{invoice_id}", json={"invoice": fields}, headers={**account.auth, **JSON}
    )


def first_error(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["errors"][0]
    return error


# --- GET /invoices ------------------------------------------------------------------------


async def test_the_list_is_a_typed_array_of_harvest_shaped_invoices_newest_issued_first(
    client: httpx.AsyncClient, owner: Account
) -> None:
    await new_invoice(client, owner, number="old", issued_at="2008-01-01")
    await new_invoice(client, owner, number="new", issued_at="2008-03-01")
    await new_invoice(client, owner, number="mid", issued_at="2008-02-01")
    await new_invoice(client, owner, number="mid-later", issued_at="2008-02-01")

    response = await client.get("/invoices", headers=owner.auth)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    root = ElementTree.fromstring(response.content)
    assert (root.tag, root.get("type")) == ("invoices", "array")
    assert [i.findtext("number") for i in root] == ["new", "mid-later", "mid", "old"]
    first = root[0]
    assert [(c.tag, c.get("type")) for c in first] == INVOICE_ELEMENTS
    assert first.find("period-start").attrib == {"type": "date", "nil": "true"}  # type: ignore[union-attr]
    assert first.find("sent-at").attrib == {"type": "datetime", "nil": "true"}  # type: ignore[union-attr]
    assert first.findtext("issued-at") == "2008-03-01"


async def test_the_list_pages_by_50(client: httpx.AsyncClient, owner: Account) -> None:
    for n in range(51):
        await new_invoice(client, owner, number=f"N{n:02}", issued_at=f"2008-01-{n % 28 + 1:02}")

    first = await listed(client, owner)
    second = await listed(client, owner, {"page": "2"})
    third = await listed(client, owner, {"page": "3"})

    assert (len(first), len(second), third) == (50, 1, [])
    assert sorted(first + second) == [f"N{n:02}" for n in range(51)]
    assert first == await listed(client, owner, {"page": "1"})


@pytest.fixture
async def one_of_each_state(client: httpx.AsyncClient, owner: Account) -> None:
    """Invoices named after their state; "late" is open and due yesterday."""
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    await new_invoice(client, owner, number="draft", due_at=yesterday)
    ids = {}
    for number in ("open", "partial", "paid", "closed", "late"):
        due = yesterday if number == "late" else tomorrow
        ids[number] = await new_invoice(client, owner, number=number, due_at=due)
        await message(client, owner, ids[number], "mark_as_sent")
    assert (await pay(client, owner, ids["partial"], "40")).status_code == 201
    assert (await pay(client, owner, ids["paid"], "100")).status_code == 201
    await message(client, owner, ids["closed"], "mark_as_closed")


@pytest.mark.parametrize(
    ("status", "numbers"),
    [
        ("draft", {"draft"}),
        ("open", {"open", "late"}),
        ("partial", {"partial"}),
        ("paid", {"paid"}),
        ("closed", {"closed"}),
        ("unpaid", {"open", "partial", "late"}),
        ("pastdue", {"late"}),
    ],
)
@pytest.mark.usefixtures("one_of_each_state")
async def test_the_status_filter_picks_invoices_by_state(
    client: httpx.AsyncClient, owner: Account, status: str, numbers: set[str]
) -> None:
    assert set(await listed(client, owner, {"status": status})) == numbers


async def test_the_client_and_issued_date_filters_combine(
    client: httpx.AsyncClient, owner: Account
) -> None:
    await new_invoice(client, owner, number="a-jan", client_id=1, issued_at="2008-01-31")
    await new_invoice(client, owner, number="a-feb", client_id=1, issued_at="2008-02-01")
    await new_invoice(client, owner, number="a-mar", client_id=1, issued_at="2008-03-01")
    await new_invoice(client, owner, number="b-feb", client_id=2, issued_at="2008-02-15")

    assert await listed(client, owner, {"client": "1"}) == ["a-mar", "a-feb", "a-jan"]
    assert await listed(client, owner, {"from": "20080201", "to": "20080229"}) == [
        "b-feb",
        "a-feb",
    ]
    assert await listed(client, owner, {"client": "1", "from": "20080201"}) == ["a-mar", "a-feb"]
    assert await listed(client, owner, {"to": "20080131"}) == ["a-jan"]
    assert await listed(client, owner, {"client": "3"}) == []


async def test_updated_since_lists_invoices_changed_at_or_after_that_utc_time(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    stale = await new_invoice(client, owner, number="stale")
    fresh = await new_invoice(client, owner, number="fresh")
    await db.execute("UPDATE invoices SET updated_at = '2010-09-25T18:00:00Z' WHERE id = $1", stale)
    await db.execute("UPDATE invoices SET updated_at = '2010-09-25T18:30:00Z' WHERE id = $1", fresh)

    assert await listed(client, owner, {"updated_since": "2010-09-25 18:30"}) == ["fresh"]
    assert await listed(client, owner, {"updated_since": "2010-09-25T20:29:00+02:00"}) == ["fresh"]
    assert len(await listed(client, owner, {"updated_since": "2010-09-25"})) == 2
    assert await listed(client, owner, {"updated_since": "2010-09-26T00:00:00Z"}) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "unknown"}, "status"),
        ({"status": ""}, "status"),
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"page": "99999999999999999999"}, "page"),
        ({"client": "abc"}, "client"),
        ({"client": "-1"}, "client"),
        ({"from": "2008-02-06"}, "from"),
        ({"from": "20081301"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"updated_since": "last week"}, "updated_since"),
        ({"from": "20080301", "to": "20080201"}, "to"),
    ],
)
@pytest.mark.parametrize("accept", ["application/xml", "application/json"])
async def test_an_invalid_filter_gets_422_naming_it_in_the_requested_format(
    client: httpx.AsyncClient,
    owner: Account,
    params: dict[str, str],
    field: str | None,
    accept: str,
) -> None:
    await new_invoice(client, owner)
    response = await client.get(
        "/invoices", params=params, headers={**owner.auth, "Accept": accept}
    )

    assert response.status_code == 422
    assert response.headers["content-type"].startswith(accept)
    if accept == "application/json":
        error = first_error(response)
    else:
        element = ElementTree.fromstring(response.content)[0]
        error = {
            "field": element.get("field"),
            "code": element.get("code"),
            "message": element.text,
        }
    assert (error["field"], error["code"]) == (field, "invalid")
    assert error["message"].startswith(f"{field} ")


async def test_a_repeated_filter_is_refused_not_guessed(
    client: httpx.AsyncClient, owner: Account
) -> None:
    response = await client.get("/invoices?status=open&status=paid", headers={**owner.auth, **JSON})
    assert response.status_code == 422
    assert (first_error(response)["code"], first_error(response)["field"]) == (
        "duplicate_field",
        "status",
    )
    assert "status" in first_error(response)["message"]


async def test_unknown_parameters_are_ignored_as_harvest_does(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await new_invoice(client, owner)
    response = await client.get(
        "/invoices?stauts=paid&callback=x&callback=y&status=draft",
        headers={**owner.auth, **JSON},
    )
    assert response.status_code == 200
    assert [row["invoice"]["id"] for row in response.json()] == [invoice_id]


# --- GET /invoices/{id} -----------------------------------------------------------------------


async def test_an_invoice_shows_as_harvest_rendered_it(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner, amount="60000.00")

    response = await client.get(f"/invoices/{invoice_id}", headers=owner.auth)

    assert response.status_code == 200
    invoice = ElementTree.fromstring(response.content)
    assert [(c.tag, c.get("type")) for c in invoice] == INVOICE_ELEMENTS
    values = {c.tag: c.text for c in invoice}
    assert values["amount"] == values["due-amount"] == "60000.0"
    assert (values["state"], values["currency"], values["issued-at"]) == (
        "open",
        "USD",
        "2008-02-06",
    )
    assert values["sent-at"].endswith("Z")  # type: ignore[union-attr]


# --- POST /invoices -------------------------------------------------------------------------


async def test_a_new_invoice_ignores_state_and_due_amount_and_defaults_its_dates(
    client: httpx.AsyncClient, owner: Account
) -> None:
    today = datetime.now(UTC).date().isoformat()
    response = await client.post(
        "/invoices",
        json={
            "client_id": 3,
            "number": "N",
            "currency": "eur",
            "amount": 12.5,
            "state": "paid",
            "due_amount": 0,
        },
        headers={**owner.auth, **JSON},
    )

    assert response.status_code == 201
    invoice = response.json()["invoice"]
    assert response.headers["Location"] == f"/invoices/{invoice['id']}"
    assert (invoice["state"], invoice["amount"], invoice["due_amount"]) == ("draft", 12.5, 12.5)
    assert (invoice["currency"], invoice["issued_at"], invoice["due_at"]) == ("EUR", today, today)


async def test_a_duplicate_number_or_missing_fields_get_422_and_change_nothing(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    await new_invoice(client, owner, number="2008-001")
    before = await snapshot(db)

    duplicate = await client.post(
        "/invoices",
        json={"client_id": 1, "number": "2008-001", "currency": "USD", "amount": 1},
        headers={**owner.auth, **JSON},
    )
    missing = await client.post("/invoices", json={"notes": "x"}, headers={**owner.auth, **JSON})

    assert duplicate.status_code == 422
    assert (first_error(duplicate)["code"], first_error(duplicate)["field"]) == ("taken", "number")
    assert missing.status_code == 422
    assert {(e["code"], e["field"]) for e in missing.json()["errors"]} == {
        ("required", field) for field in ("client_id", "number", "currency", "amount")
    }
    assert await snapshot(db) == before


# --- PUT /invoices/{id} -----------------------------------------------------------------------


async def test_an_xml_update_changes_only_the_fields_sent(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner)
    before = await shown(client, owner, invoice_id)

    response = await client.put(
        f"/invoices/{invoice_id}",
        content="<invoice><subject>New subject</subject>"
        '<purchase-order>PO-7</purchase-order><due-at type="date">2008-04-01</due-at>'
        '<notes nil="true"></notes></invoice>',
        headers={**owner.auth, **XML_BODY},
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    values = {c.tag: c.text for c in ElementTree.fromstring(response.content)}
    assert values["subject"] == "New subject"
    assert values["purchase-order"] == "PO-7"
    assert values["due-at"] == "2008-04-01"
    assert values["notes"] is None
    after = await shown(client, owner, invoice_id)
    unchanged = {"subject", "purchase_order", "due_at", "notes", "updated_at"}
    assert {k: v for k, v in after.items() if k not in unchanged} == {
        k: v for k, v in before.items() if k not in unchanged
    }
    assert after["updated_at"] >= before["updated_at"]


async def test_changing_the_amount_recomputes_due_amount_and_state(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner, amount="100.00")
    assert (await pay(client, owner, invoice_id, "100")).status_code == 201
    assert (await shown(client, owner, invoice_id))["state"] == "paid"

    raised = await put(client, owner, invoice_id, {"amount": "150.50"})
    assert raised.status_code == 200
    invoice = raised.json()["invoice"]
    assert (invoice["amount"], invoice["due_amount"], invoice["state"]) == (150.5, 50.5, "partial")

    lowered = await put(client, owner, invoice_id, {"amount": 100})
    invoice = lowered.json()["invoice"]
    assert (invoice["amount"], invoice["due_amount"], invoice["state"]) == (100, 0, "paid")


async def test_state_and_due_amount_sent_by_a_client_are_ignored(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner, amount="100.00")

    response = await put(
        client, owner, invoice_id, {"state": "paid", "due_amount": "0", "notes": "n"}
    )

    assert response.status_code == 200
    invoice = response.json()["invoice"]
    assert (invoice["state"], invoice["due_amount"], invoice["notes"]) == ("open", 100, "n")


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"amount": "39.99"}, "amount_below_paid", "amount"),
        ({"currency": "EUR"}, "currency_locked", "currency"),
        ({"number": "taken"}, "taken", "number"),
        ({"amount": "50.001"}, "too_many_decimals", "amount"),
        ({"amount": "-1"}, "invalid", "amount"),
        ({"amount": None}, "invalid", "amount"),
        ({"number": ""}, "invalid", "number"),
        ({"number": None}, "invalid", "number"),
        ({"client_id": 0}, "invalid", "client_id"),
        ({"currency": "XYZ"}, "invalid", "currency"),
        ({"issued_at": "2008-02-30"}, "invalid", "issued_at"),
        ({"due_at": None}, "invalid", "due_at"),
        ({"subject": "bad\u0000text"}, "invalid", "subject"),
    ],
)
async def test_an_update_that_breaks_a_rule_gets_422_and_changes_nothing(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    fields: dict[str, Any],
    code: str,
    field: str,
) -> None:
    await create_invoice(client, owner, number="taken")
    invoice_id = await create_invoice(client, owner, number="mine", amount="100.00")
    assert (await pay(client, owner, invoice_id, "40")).status_code == 201
    before = await snapshot(db)

    response = await put(client, owner, invoice_id, fields)

    assert response.status_code == 422
    assert (first_error(response)["code"], first_error(response)["field"]) == (code, field)
    assert await snapshot(db) == before


async def test_a_currency_change_is_allowed_without_payments_and_checks_the_amount(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner, amount="100.50")
    payment = await pay(client, owner, invoice_id, "10")
    payment_id = ElementTree.fromstring(payment.content).findtext("id")
    deleted = await client.delete(
        f"/invoices/{invoice_id}/payments/{payment_id}", headers=owner.auth
    )
    assert deleted.status_code == 200

    to_yen = await put(client, owner, invoice_id, {"currency": "JPY"})
    assert (to_yen.status_code, first_error(to_yen)["code"]) == (422, "too_many_decimals")

    response = await put(client, owner, invoice_id, {"currency": "jpy", "amount": "12000"})
    assert response.status_code == 200
    invoice = response.json()["invoice"]
    assert (invoice["currency"], invoice["amount"], invoice["due_amount"]) == ("JPY", 12000, 12000)


async def test_an_update_of_an_unknown_invoice_is_404(
    client: httpx.AsyncClient, owner: Account
) -> None:
    response = await put(client, owner, 999999, {"notes": "x"})
    assert (response.status_code, first_error(response)["code"]) == (404, "not_found")


async def test_amount_changes_racing_payments_keep_the_balance_exact(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner, amount="1000.00")

    async def change(amount: str) -> int:
        return (await put(client, owner, invoice_id, {"amount": amount})).status_code

    async def record() -> int:
        return (await pay(client, owner, invoice_id, "30")).status_code

    for _ in range(3):
        statuses = await asyncio.gather(
            *[change(f"{a}.00") for a in (400, 900, 600, 1000)], *[record() for _ in range(8)]
        )
        assert set(statuses) <= {200, 201, 422}

    paid = await db.fetchval(
        "SELECT coalesce(sum(amount), 0) FROM payments WHERE invoice_id = $1", invoice_id
    )
    invoice = await db.fetchrow(
        "SELECT amount, due_amount, state FROM invoices WHERE id = $1", invoice_id
    )
    assert invoice["due_amount"] == invoice["amount"] - paid
    assert invoice["due_amount"] >= 0
    assert invoice["state"] == ("paid" if invoice["due_amount"] == 0 else "partial")
    assert paid > Decimal(0)


# --- DELETE /invoices/{id} --------------------------------------------------------------------


async def test_an_invoice_without_payments_is_deleted_and_its_number_freed(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner, number="2008-001")

    response = await client.delete(f"/invoices/{invoice_id}", headers=owner.auth)

    assert (response.status_code, response.content) == (200, b"")
    assert (await client.get(f"/invoices/{invoice_id}", headers=owner.auth)).status_code == 404
    assert await listed(client, owner) == []
    again = await client.delete(f"/invoices/{invoice_id}", headers=owner.auth)
    assert again.status_code == 404
    row = await db.fetchrow(
        "SELECT deleted_at, deleted_by_email FROM invoices WHERE id = $1", invoice_id
    )
    assert row["deleted_at"] is not None
    assert row["deleted_by_email"] == owner.email
    assert await create_invoice(client, owner, number="2008-001") != invoice_id


async def test_an_invoice_with_live_payments_cannot_be_deleted_until_they_are(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner)
    payment = await pay(client, owner, invoice_id, "10")
    payment_id = ElementTree.fromstring(payment.content).findtext("id")
    before = await snapshot(db)

    refused = await client.delete(f"/invoices/{invoice_id}", headers={**owner.auth, **JSON})

    assert refused.status_code == 422
    assert first_error(refused)["code"] == "has_payments"
    assert await snapshot(db) == before

    await client.delete(f"/invoices/{invoice_id}/payments/{payment_id}", headers=owner.auth)
    assert (await client.delete(f"/invoices/{invoice_id}", headers=owner.auth)).status_code == 200
    gone = await client.get(f"/invoices/{invoice_id}/payments", headers=owner.auth)
    assert gone.status_code == 404
    assert (await pay(client, owner, invoice_id, "1")).status_code == 404
    assert await db.fetchval("SELECT count(*) FROM payments WHERE invoice_id = $1", invoice_id) == 1


async def test_a_deleted_invoice_takes_no_update_or_message(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner, sent=False)
    await client.delete(f"/invoices/{invoice_id}", headers=owner.auth)
    before = await snapshot(db)

    update = await put(client, owner, invoice_id, {"notes": "x"})
    sent = await client.post(f"/invoices/{invoice_id}/messages/mark_as_sent", headers=owner.auth)

    assert (update.status_code, sent.status_code) == (404, 404)
    assert await snapshot(db) == before


# --- events ---------------------------------------------------------------------------------


async def test_updates_and_deletion_leave_events_in_the_feed(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner, amount="100.00")
    payment = await pay(client, owner, invoice_id, "40")
    payment_id = ElementTree.fromstring(payment.content).findtext("id")
    assert (await put(client, owner, invoice_id, {"amount": "40"})).status_code == 200
    assert (await put(client, owner, invoice_id, {"amount": "90"})).status_code == 200
    await client.delete(f"/invoices/{invoice_id}/payments/{payment_id}", headers=owner.auth)
    assert (await client.delete(f"/invoices/{invoice_id}", headers=owner.auth)).status_code == 200

    response = await client.get("/events", headers={**owner.auth, **JSON})

    events = [item["event"] for item in response.json()]
    assert [(e["type"], e["amount"], e["due_amount"], e["state"]) for e in events[2:]] == [
        ("payment.created", 100, 60, "partial"),
        ("invoice.updated", 40, 0, "paid"),
        ("invoice.paid", 40, 0, "paid"),
        ("invoice.updated", 90, 50, "partial"),
        ("invoice.reopened", 90, 50, "partial"),
        ("payment.deleted", 90, 90, "open"),
        ("invoice.deleted", 90, 90, "open"),
    ]
