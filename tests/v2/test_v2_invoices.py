"""v2 Invoices and Invoice Messages: v2 field names and states over the same invoices."""

from datetime import UTC, datetime
from typing import get_args

import asyncpg
import httpx
import pytest

from payments_service.domain.messages import MESSAGES
from payments_service.v2.invoices import MessageCreate
from tests.support.api import create_invoice, v2_headers, v2_post
from tests.support.auth import Account
from tests.support.database import snapshot


async def show(client: httpx.AsyncClient, account: Account, invoice_id: int) -> httpx.Response:
    return await client.get(f"/v2/invoices/{invoice_id}", headers=v2_headers(account))


async def message(
    client: httpx.AsyncClient, account: Account, invoice_id: int, **body: object
) -> httpx.Response:
    return await v2_post(client, account, f"/invoices/{invoice_id}/messages", body)


async def test_an_invoice_shows_with_v2_field_names_and_exact_amounts(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner, amount="60000.10")
    response = await show(client, owner, invoice_id)
    assert response.status_code == 200
    invoice = response.json()
    assert b'"amount":60000.1,"due_amount":60000.1,' in response.content
    assert invoice["id"] == invoice_id
    assert invoice["client"] == {"id": 11, "name": None}
    assert (invoice["issue_date"], invoice["due_date"]) == ("2008-02-06", "2008-03-06")
    assert (invoice["state"], invoice["currency"], invoice["number"]) == ("open", "USD", "1")
    assert invoice["sent_at"].endswith("Z") and invoice["closed_at"] is None


async def test_v1_partial_shows_as_open_in_v2_with_the_due_amount(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner)
    paid = await v2_post(client, owner, f"/invoices/{invoice_id}/payments", {"amount": 40})
    assert paid.status_code == 201
    v1 = await client.get(
        f"/invoices/{invoice_id}", headers={**owner.auth, "Accept": "application/json"}
    )
    assert v1.json()["invoice"]["state"] == "partial"
    invoice = (await show(client, owner, invoice_id)).json()
    assert (invoice["state"], invoice["due_amount"]) == ("open", 60)


async def test_an_unknown_or_foreign_invoice_is_a_404(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    invoice_id = await create_invoice(client, owner)
    assert (await show(client, stranger, invoice_id)).status_code == 404
    assert (await show(client, owner, invoice_id + 1)).json()["code"] == 404


@pytest.mark.parametrize(("event_type", "state"), [("close", "closed"), ("draft", "draft")])
async def test_message_events_change_the_state_like_v1_messages(
    client: httpx.AsyncClient, owner: Account, event_type: str, state: str
) -> None:
    invoice_id = await create_invoice(client, owner)
    response = await message(client, owner, invoice_id, event_type=event_type)
    assert response.status_code == 201
    body = response.json()
    assert (body["event_type"], body["sent_by"], body["sent_by_email"]) == (
        event_type,
        "Happy Owner",
        owner.email,
    )
    assert (await show(client, owner, invoice_id)).json()["state"] == state


def test_the_event_types_v2_documents_are_those_of_the_message_table() -> None:
    documented = get_args(MessageCreate.model_fields["event_type"].annotation)
    assert sorted(documented) == sorted(message.event_type for message in MESSAGES)


async def test_send_then_close_then_re_open(client: httpx.AsyncClient, owner: Account) -> None:
    invoice_id = await create_invoice(client, owner, sent=False)
    assert (await show(client, owner, invoice_id)).json()["state"] == "draft"
    for event_type, state in [("send", "open"), ("close", "closed"), ("re-open", "open")]:
        assert (await message(client, owner, invoice_id, event_type=event_type)).status_code == 201
        assert (await show(client, owner, invoice_id)).json()["state"] == state


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"event_type": "mail"},
        {"recipients": [{"email": "a@example.com"}]},
        {"event_type": "send"},
    ],
)
async def test_emails_unknown_events_and_illegal_transitions_are_422_and_change_nothing(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool, body: dict
) -> None:
    invoice_id = await create_invoice(client, owner)  # already sent: "send" is illegal
    before = await snapshot(db)
    response = await message(client, owner, invoice_id, **body)
    assert response.status_code == 422
    assert response.json()["code"] == 422
    assert await snapshot(db) == before


async def v2_invoices(
    client: httpx.AsyncClient, account: Account, **params: object
) -> httpx.Response:
    return await client.get("/v2/invoices", params=params, headers=v2_headers(account))


async def test_the_list_is_the_v2_envelope_newest_issued_first(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    ids = [await create_invoice(client, owner, number=str(n)) for n in (1, 2, 3)]
    await create_invoice(client, stranger)
    response = await v2_invoices(client, owner, per_page=2)
    assert response.status_code == 200
    body = response.json()
    assert [i["id"] for i in body["invoices"]] == ids[::-1][:2]  # same issue date: newest id
    assert (body["total_entries"], body["total_pages"], body["page"], body["next_page"]) == (
        3,
        2,
        1,
        2,
    )
    assert body["links"]["next"] == "http://testserver/v2/invoices?page=2&per_page=2"
    second = (await client.get(body["links"]["next"], headers=v2_headers(owner))).json()
    assert [i["id"] for i in second["invoices"]] == [ids[0]]
    assert (second["previous_page"], second["next_page"]) == (1, None)


async def test_state_open_includes_v1_partial_and_filters_combine(
    client: httpx.AsyncClient, owner: Account
) -> None:
    draft = await create_invoice(client, owner, number="d", sent=False)
    opened = await create_invoice(client, owner, number="o")
    partial = await create_invoice(client, owner, number="p")
    await v2_post(client, owner, f"/invoices/{partial}/payments", {"amount": 1})

    async def ids(**params: object) -> list[int]:
        body = (await v2_invoices(client, owner, **params)).json()
        return sorted(invoice["id"] for invoice in body["invoices"])

    assert await ids(state="open") == [opened, partial]
    assert await ids(state="draft") == [draft]
    assert await ids(state="paid") == []
    assert await ids(client_id=11, **{"from": "2008-02-06", "to": "2008-02-06"}) == [
        draft,
        opened,
        partial,
    ]
    assert await ids(client_id=12) == []
    assert await ids(**{"from": "2008-02-07"}) == []
    assert await ids(project_id=1) == []


@pytest.mark.parametrize(
    "params",
    [
        {"state": "partial"},
        {"per_page": 2001},
        {"page": 0},
        {"from": "2008-13-01"},
        {"client_id": 0},
    ],
)
async def test_bad_list_parameters_are_422(
    client: httpx.AsyncClient, owner: Account, params: dict
) -> None:
    response = await v2_invoices(client, owner, **params)
    assert response.status_code == 422
    assert response.json()["code"] == 422


async def test_an_invoice_names_its_creator_and_when_it_became_paid(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner)
    fresh = (await show(client, owner, invoice_id)).json()
    user_id = await db.fetchval("SELECT id FROM users WHERE email = $1", owner.email)
    assert fresh["creator"] == {"id": user_id, "name": "Happy Owner"}
    assert (fresh["paid_at"], fresh["paid_date"], fresh["line_items"]) == (None, None, [])
    assert (fresh["tax_amount"], fresh["discount_amount"], fresh["estimate"]) == (0, 0, None)

    first = {"amount": 40, "paid_at": "2017-07-20T10:00:00Z"}
    last = {"amount": 60, "paid_at": "2017-07-24T13:32:18Z"}
    await v2_post(client, owner, f"/invoices/{invoice_id}/payments", first)
    assert (await show(client, owner, invoice_id)).json()["paid_at"] is None
    settled = await v2_post(client, owner, f"/invoices/{invoice_id}/payments", last)
    paid = (await show(client, owner, invoice_id)).json()
    assert (paid["state"], paid["paid_at"], paid["paid_date"]) == (
        "paid",
        "2017-07-24T13:32:18Z",
        "2017-07-24",
    )

    payment_id = settled.json()["id"]
    deleted = await client.delete(
        f"/v2/invoices/{invoice_id}/payments/{payment_id}", headers=v2_headers(owner)
    )
    assert deleted.status_code == 200
    reopened = (await show(client, owner, invoice_id)).json()
    assert (reopened["state"], reopened["paid_at"], reopened["paid_date"]) == ("open", None, None)
    assert await db.fetchval("SELECT paid_at FROM invoices") is None


@pytest.mark.parametrize(
    ("due", "term"),
    [("2008-02-06", "upon receipt"), ("2008-03-07", "net 30"), ("2008-03-06", "custom")],
)
async def test_the_payment_term_is_named_from_issue_and_due_dates(
    client: httpx.AsyncClient, owner: Account, due: str, term: str
) -> None:
    invoice_id = await create_invoice(client, owner)
    changed = await client.put(
        f"/invoices/{invoice_id}",
        json={"invoice": {"due_at": due}},
        headers={**owner.auth, "Accept": "application/json"},
    )
    assert changed.status_code == 200, changed.text
    assert (await show(client, owner, invoice_id)).json()["payment_term"] == term


async def test_an_invoice_lowered_to_what_was_paid_is_paid_from_then(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner)
    part = {"amount": 40, "paid_at": "2017-07-20T10:00:00Z"}
    await v2_post(client, owner, f"/invoices/{invoice_id}/payments", part)
    before = datetime.now(UTC).replace(microsecond=0)
    lowered = await client.put(
        f"/invoices/{invoice_id}",
        json={"invoice": {"amount": "40.00"}},
        headers={**owner.auth, "Accept": "application/json"},
    )
    after = datetime.now(UTC)
    assert lowered.status_code == 200, lowered.text
    invoice = (await show(client, owner, invoice_id)).json()
    assert invoice["state"] == "paid"
    assert before <= datetime.fromisoformat(invoice["paid_at"]) <= after
