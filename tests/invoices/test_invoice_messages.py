"""Invoice Messages over HTTP: every legal transition and every illegal one."""

from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.api import create_invoice, pay
from tests.support.auth import Account
from tests.support.database import snapshot

JSON = {"Accept": "application/json"}
ACTIONS = ["mark_as_sent", "mark_as_closed", "re_open", "mark_as_draft"]


async def invoice_in(client: httpx.AsyncClient, account: Account, state: str) -> int:
    """An invoice of 100.00 brought to `state` through the API."""
    invoice_id = await create_invoice(client, account, sent=state != "draft")
    if state in ("partial", "paid"):
        amount = "40" if state == "partial" else "100"
        assert (await pay(client, account, invoice_id, amount)).status_code == 201
    if state == "closed":
        await send(client, account, invoice_id, "mark_as_closed")
    return invoice_id


async def send(
    client: httpx.AsyncClient, account: Account, invoice_id: int, action: str
) -> httpx.Response:
    return await client.post(
        f"/invoices/{invoice_id}/messages/{action}", headers={**account.auth, **JSON}
    )


def invoice(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()["invoice"]
    return body


LEGAL = [
    ("draft", "mark_as_sent", "open"),
    ("open", "mark_as_closed", "closed"),
    ("partial", "mark_as_closed", "closed"),
    ("open", "mark_as_draft", "draft"),
]


@pytest.mark.parametrize(("start", "action", "end"), LEGAL)
async def test_a_legal_message_moves_the_invoice_and_answers_it(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool, start: str, action: str, end: str
) -> None:
    invoice_id = await invoice_in(client, owner, start)

    after = invoice(await send(client, owner, invoice_id, action))

    assert after["state"] == end
    assert after == invoice(
        await client.get(f"/invoices/{invoice_id}", headers={**owner.auth, **JSON})
    )
    assert await db.fetchval("SELECT state FROM invoices WHERE id = $1", invoice_id) == end
    assert (after["sent_at"] is None) == (end == "draft")
    assert (after["closed_at"] is None) == (end != "closed")


@pytest.mark.parametrize(("paid", "state"), [("0", "open"), ("40", "partial")])
async def test_re_open_returns_a_closed_invoice_to_what_its_balance_says(
    client: httpx.AsyncClient, owner: Account, paid: str, state: str
) -> None:
    invoice_id = await create_invoice(client, owner)
    if paid != "0":
        assert (await pay(client, owner, invoice_id, paid)).status_code == 201
    invoice(await send(client, owner, invoice_id, "mark_as_closed"))

    after = invoice(await send(client, owner, invoice_id, "re_open"))

    assert (after["state"], after["closed_at"]) == (state, None)
    assert after["due_amount"] == 100 - int(paid)


async def test_mark_as_sent_records_when_and_a_draft_paid_in_full_stays_paid(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await invoice_in(client, owner, "draft")
    assert (await pay(client, owner, invoice_id, "100")).status_code == 201

    after = invoice(await send(client, owner, invoice_id, "mark_as_sent"))

    assert after["state"] == "paid"
    assert after["sent_at"].endswith("Z")


ALLOWED = {(start, action) for start, action, _ in LEGAL} | {("closed", "re_open")}
ILLEGAL = [
    (state, action)
    for state in ("draft", "open", "partial", "paid", "closed")
    for action in ACTIONS
    if (state, action) not in ALLOWED
]


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
async def test_an_illegal_message_gets_422_naming_the_current_state_and_changes_nothing(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool, state: str, action: str
) -> None:
    invoice_id = await invoice_in(client, owner, state)
    before = await snapshot(db)

    response = await send(client, owner, invoice_id, action)

    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["code"] == "illegal_transition"
    assert error["message"].endswith(f"the invoice is {state}")
    assert await snapshot(db) == before
