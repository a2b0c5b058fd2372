"""Account A against account B's ids: every endpoint answers exactly as for an unknown id and
changes nothing.

"Exactly" is checked byte for byte: the same request by a third account that has no data at
all (so every id is unknown to it) must get the same status, headers and body.
"""

from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from tests.support.api import INVOICE_XML, create_invoice, pay, payment_xml
from tests.support.auth import Account, make_account
from tests.support.database import account_rows, snapshot


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # {draft}: B's invoice without payments; {paid}/{payment}: B's invoice and payment
    body: str | None = None


PUT_BODY = "<invoice><notes>hijacked</notes><amount>1</amount></invoice>"
PAYMENT_ITEMS = [
    "/invoices/{paid}/payments/{payment}",
    "/invoices/{paid}/payment/{payment}",
    "/invoice/{paid}/payments/{payment}",
    "/invoice/{paid}/payment/{payment}",
]
CALLS = [
    Call("GET", "/invoices/{draft}"),
    Call("PUT", "/invoices/{draft}", PUT_BODY),
    Call("DELETE", "/invoices/{draft}"),
    *[
        Call("POST", f"/invoices/{{draft}}/messages/{action}")
        for action in ("mark_as_sent", "mark_as_closed", "re_open", "mark_as_draft")
    ],
    Call("GET", "/invoices/{paid}/payments"),
    Call("GET", "/invoice/{paid}/payments"),
    Call("POST", "/invoices/{paid}/payments", payment_xml("1")),
    Call("POST", "/invoice/{paid}/payments", payment_xml("1")),
    *[Call("GET", path) for path in PAYMENT_ITEMS],
    *[Call("DELETE", path) for path in PAYMENT_ITEMS],
]


@dataclass(frozen=True)
class Victim:
    account: Account
    ids: dict[str, int]


@pytest.fixture
async def victim(client: httpx.AsyncClient, stranger: Account) -> Victim:
    """Account B with a draft invoice and a sent invoice that has a payment."""
    draft = await create_invoice(client, stranger, number="B-1", sent=False)
    paid = await create_invoice(client, stranger, number="B-2")
    payment = await pay(client, stranger, paid, "10")
    payment_id = int(ElementTree.fromstring(payment.content).findtext("id") or 0)
    return Victim(stranger, {"draft": draft, "paid": paid, "payment": payment_id})


async def send(
    client: httpx.AsyncClient, account: Account, call: Call, ids: dict[str, int], accept: str
) -> httpx.Response:
    headers = {**account.auth, "Accept": accept, "Content-Type": "application/xml"}
    return await client.request(
        call.method, call.path.format(**ids), content=call.body, headers=headers
    )


def visible(response: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    # Date and X-Request-ID differ between any two responses.
    headers = {
        k: v for k, v in response.headers.items() if k.lower() not in ("date", "x-request-id")
    }
    return response.status_code, headers, response.content


@pytest.mark.parametrize("accept", ["application/xml", "application/json"])
@pytest.mark.parametrize("call", CALLS, ids=lambda c: f"{c.method} {c.path}")
async def test_another_accounts_id_answers_exactly_like_an_unknown_one_and_changes_nothing(
    client: httpx.AsyncClient,
    db: asyncpg.Pool,
    owner: Account,
    victim: Victim,
    call: Call,
    accept: str,
) -> None:
    nobody = await make_account(db, "Nobody")
    before = await snapshot(db)

    response = await send(client, owner, call, victim.ids, accept)
    unknown = await send(client, nobody, call, victim.ids, accept)

    assert response.status_code == 404
    assert visible(response) == visible(unknown)
    if accept == "application/json":
        assert response.json()["errors"][0]["code"] == "not_found"
    else:
        assert ElementTree.fromstring(response.content)[0].get("code") == "not_found"
    assert await snapshot(db) == before


async def test_the_matrix_covers_every_v1_endpoint_that_takes_an_invoice_id(app: FastAPI) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if "{invoice_id}" in path and not path.startswith("/v2/")
        for method in operations
    }
    as_route = {"draft": "{invoice_id}", "paid": "{invoice_id}", "payment": "{payment_id}"}
    covered = {(c.method, c.path.format(**as_route)) for c in CALLS}
    assert documented <= covered


async def listed_numbers(http: httpx.AsyncClient, account: Account, **params: Any) -> list[str]:
    response = await http.get(
        "/invoices", params=params, headers={**account.auth, "Accept": "application/json"}
    )
    assert response.status_code == 200
    return [item["invoice"]["number"] for item in response.json()]


async def test_the_list_shows_only_the_callers_invoices(
    client: httpx.AsyncClient, db: asyncpg.Pool, owner: Account, victim: Victim
) -> None:
    await create_invoice(client, owner, number="A-1")
    before = await snapshot(db)

    assert await listed_numbers(client, owner) == ["A-1"]
    assert await listed_numbers(client, owner, client="11", status="draft") == []
    assert await listed_numbers(client, victim.account) == ["B-2", "B-1"]
    assert await snapshot(db) == before


async def test_creating_an_invoice_with_another_accounts_number_leaves_that_account_alone(
    client: httpx.AsyncClient, db: asyncpg.Pool, owner: Account, victim: Victim
) -> None:
    before = await account_rows(db, victim.account.id)

    response = await client.post(
        "/invoices",
        content=INVOICE_XML.format(number="B-1", amount="5.00", currency="EUR"),
        headers={**owner.auth, "Content-Type": "application/xml"},
    )

    assert response.status_code == 201
    assert int(response.headers["Location"].rsplit("/", 1)[1]) not in victim.ids.values()
    assert await account_rows(db, victim.account.id) == before
