"""v2 Invoice Payments over the same data as v1: list, create, delete, transaction ids."""

import asyncio
from decimal import Decimal

import asyncpg
import httpx
import pytest

from tests.support.api import create_invoice, payment_xml, v2_headers, v2_post
from tests.support.auth import Account
from tests.support.database import snapshot


async def pay(
    client: httpx.AsyncClient, account: Account, invoice_id: int, **body: object
) -> httpx.Response:
    return await v2_post(client, account, f"/invoices/{invoice_id}/payments", body)


async def v2_list(
    client: httpx.AsyncClient, account: Account, invoice_id: int, **params: object
) -> httpx.Response:
    return await client.get(
        f"/v2/invoices/{invoice_id}/payments", params=params, headers=v2_headers(account)
    )


async def test_creating_a_payment_answers_201_with_the_v2_payment_object(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner, amount="60000.00")
    response = await pay(
        client, owner, invoice_id, amount=52000.05, paid_at="2017-07-24T13:32:18Z", notes="Paid"
    )
    assert response.status_code == 201
    payment = response.json()
    assert list(payment) == [
        "id",
        "amount",
        "paid_at",
        "paid_date",
        "recorded_by",
        "recorded_by_email",
        "notes",
        "transaction_id",
        "payment_gateway",
        "created_at",
        "updated_at",
    ]
    assert b'"amount":52000.05,' in response.content  # written from the exact Decimal
    assert payment["paid_at"] == "2017-07-24T13:32:18Z"
    assert payment["paid_date"] == "2017-07-24"
    assert (payment["recorded_by"], payment["recorded_by_email"]) == ("Happy Owner", owner.email)
    assert payment["transaction_id"] is None
    assert payment["payment_gateway"] == {"id": None, "name": None}


async def test_paid_date_means_midnight_utc_and_nothing_means_now(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner)
    dated = (await pay(client, owner, invoice_id, amount=1, paid_date="2017-07-24")).json()
    assert (dated["paid_at"], dated["paid_date"]) == ("2017-07-24T00:00:00Z", "2017-07-24")
    undated = (await pay(client, owner, invoice_id, amount=2, send_thank_you=True)).json()
    now = await db.fetchval("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
    assert undated["paid_date"] == now


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 1, "paid_at": "2017-07-24T00:00:00Z", "paid_date": "2017-07-24"},
        {"paid_date": "2017-07-24"},
        {"amount": None},
        {"amount": 0},
        {"amount": -5},
        {"amount": "1e3"},
        {"amount": 1.005},
        {"amount": 500},
        {"amount": 1, "paid_date": "yesterday"},
    ],
)
async def test_bad_payments_are_422_in_v2_shape_and_change_nothing(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool, body: dict
) -> None:
    invoice_id = await create_invoice(client, owner)
    before = await snapshot(db)
    response = await pay(client, owner, invoice_id, **body)
    assert response.status_code == 422
    assert response.json()["code"] == 422 and response.json()["message"]
    assert await snapshot(db) == before


async def test_a_body_that_is_not_json_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner)
    before = await snapshot(db)
    url = f"/v2/invoices/{invoice_id}/payments"
    xml = {**v2_headers(owner), "Content-Type": "application/xml"}
    json = {**v2_headers(owner), "Content-Type": "application/json"}
    assert (await client.post(url, content=payment_xml("1"), headers=xml)).status_code == 415
    assert (await client.post(url, content=b"{nope", headers=json)).status_code == 400
    assert (await client.post(url, content=b"[1]", headers=json)).status_code == 400
    assert await snapshot(db) == before


async def test_a_payment_made_in_v2_is_the_same_payment_in_v1(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner)
    created = (await pay(client, owner, invoice_id, amount=25.5, notes="v2")).json()
    v1 = await client.get(
        f"/invoices/{invoice_id}/payments/{created['id']}",
        headers={**owner.auth, "Accept": "application/json"},
    )
    assert v1.status_code == 200
    shown = v1.json()["payment"]
    assert (shown["id"], shown["amount"], shown["notes"]) == (created["id"], 25.5, "v2")
    assert shown["paid_at"] == created["paid_at"]
    invoice = (
        await client.get(
            f"/invoices/{invoice_id}", headers={**owner.auth, "Accept": "application/json"}
        )
    ).json()["invoice"]
    assert (invoice["due_amount"], invoice["state"]) == (74.5, "partial")


async def test_a_payment_made_in_v1_is_listed_by_v2_and_deleted_through_v2(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner)
    v1 = await client.post(
        f"/invoices/{invoice_id}/payments",
        content=payment_xml("12.34", notes="v1"),
        headers={**owner.auth, "Content-Type": "application/xml"},
    )
    payment_id = int(v1.headers["Location"].rsplit("/", 1)[1])

    listed = (await v2_list(client, owner, invoice_id)).json()["invoice_payments"]
    assert [(p["id"], p["amount"], p["notes"]) for p in listed] == [(payment_id, 12.34, "v1")]

    deleted = await client.delete(
        f"/v2/invoices/{invoice_id}/payments/{payment_id}", headers=v2_headers(owner)
    )
    assert (deleted.status_code, deleted.content) == (200, b"")
    gone = await client.get(f"/invoices/{invoice_id}/payments/{payment_id}", headers=owner.auth)
    assert gone.status_code == 404
    assert await db.fetchval("SELECT due_amount FROM invoices") == Decimal("100.00")
    again = await client.delete(
        f"/v2/invoices/{invoice_id}/payments/{payment_id}", headers=v2_headers(owner)
    )
    assert again.status_code == 404 and again.json()["code"] == 404


async def test_a_second_payment_with_the_same_transaction_id_is_a_422_and_changes_nothing(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner)
    first = await pay(client, owner, invoice_id, amount=10, transaction_id="ch_1")
    assert first.status_code == 201 and first.json()["transaction_id"] == "ch_1"
    before = await snapshot(db)

    again = await pay(client, owner, invoice_id, amount=10, transaction_id="ch_1")

    assert again.status_code == 422
    assert again.json()["errors"][0] == {
        "code": "taken",
        "field": "transaction_id",
        "message": "transaction_id 'ch_1' is already recorded on this invoice",
    }
    assert await snapshot(db) == before
    other_invoice = await create_invoice(client, owner, number="2")
    assert (await pay(client, owner, other_invoice, amount=10, transaction_id="ch_1")).is_success


async def test_a_transaction_id_is_free_again_once_its_payment_is_deleted(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner)
    first = (await pay(client, owner, invoice_id, amount=10, transaction_id="ch_1")).json()
    await client.delete(
        f"/v2/invoices/{invoice_id}/payments/{first['id']}", headers=v2_headers(owner)
    )
    assert (await pay(client, owner, invoice_id, amount=10, transaction_id="ch_1")).is_success


async def test_concurrent_callbacks_with_one_transaction_id_record_one_payment(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner)
    responses = await asyncio.gather(
        *(pay(client, owner, invoice_id, amount=5, transaction_id="ch_9") for _ in range(8))
    )
    assert sorted(r.status_code for r in responses) == [201] + [422] * 7
    assert await db.fetchval("SELECT count(*) FROM payments") == 1
    assert await db.fetchval("SELECT due_amount FROM invoices") == Decimal("95.00")


async def test_v1_ignores_a_transaction_id(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner)
    for _ in range(2):
        response = await client.post(
            f"/invoices/{invoice_id}/payments",
            json={"amount": 1, "paid_at": "2008-02-14", "transaction_id": "ch_1"},
            headers=owner.auth,
        )
        assert response.status_code == 201
    assert await db.fetchval("SELECT array_agg(transaction_id) FROM payments") == [None, None]


async def test_the_list_is_newest_first_in_the_v2_envelope_with_absolute_links(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner)
    ids = [(await pay(client, owner, invoice_id, amount=n)).json()["id"] for n in (1, 2, 3)]

    first = (await v2_list(client, owner, invoice_id, per_page=2)).json()
    assert [p["id"] for p in first["invoice_payments"]] == ids[::-1][:2]
    assert {k: first[k] for k in first if k not in ("invoice_payments", "links")} == {
        "per_page": 2,
        "total_pages": 2,
        "total_entries": 3,
        "next_page": 2,
        "previous_page": None,
        "page": 1,
    }
    base = f"http://testserver/v2/invoices/{invoice_id}/payments"
    assert first["links"]["first"] == f"{base}?page=1&per_page=2"
    assert first["links"]["last"] == f"{base}?page=2&per_page=2"
    assert first["links"]["previous"] is None
    assert first["links"]["next"].startswith(f"{base}?cursor=")

    # a payment arriving meanwhile does not shift the cursor's next page
    await pay(client, owner, invoice_id, amount=4)
    following = await client.get(first["links"]["next"], headers=v2_headers(owner))
    second = following.json()
    assert [p["id"] for p in second["invoice_payments"]] == [ids[0]]
    assert (second["page"], second["next_page"], second["links"]["next"]) == (2, None, None)
    assert second["previous_page"] == 1

    by_page = (await v2_list(client, owner, invoice_id, per_page=2, page=2)).json()
    assert [p["id"] for p in by_page["invoice_payments"]] == [ids[1], ids[0]]


async def test_updated_since_keeps_only_payments_changed_since_then(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner)
    old = (await pay(client, owner, invoice_id, amount=1)).json()["id"]
    new = (await pay(client, owner, invoice_id, amount=2)).json()["id"]
    await db.execute("UPDATE payments SET updated_at = '2020-01-01Z' WHERE id = $1", old)
    since = (await v2_list(client, owner, invoice_id, updated_since="2021-01-01T00:00:00Z")).json()
    assert [p["id"] for p in since["invoice_payments"]] == [new]
    assert since["total_entries"] == 1


@pytest.mark.parametrize(
    "params",
    [
        {"per_page": 0},
        {"per_page": 2001},
        {"page": 0},
        {"page": "x"},
        {"updated_since": "yesterday"},
        {"cursor": "not-a-cursor"},
    ],
)
async def test_bad_list_parameters_are_422(
    client: httpx.AsyncClient, owner: Account, params: dict
) -> None:
    invoice_id = await create_invoice(client, owner)
    response = await v2_list(client, owner, invoice_id, **params)
    assert response.status_code == 422
    assert response.json()["code"] == 422


async def test_per_page_2000_is_allowed(client: httpx.AsyncClient, owner: Account) -> None:
    invoice_id = await create_invoice(client, owner)
    assert (await v2_list(client, owner, invoice_id, per_page=2000)).status_code == 200


@pytest.mark.parametrize("invoice", ["999", "abc", "99999999999999999999"])
async def test_an_unknown_invoice_is_a_404(
    client: httpx.AsyncClient, owner: Account, invoice: str
) -> None:
    response = await client.get(f"/v2/invoices/{invoice}/payments", headers=v2_headers(owner))
    assert response.status_code == 404
    assert response.json()["code"] == 404


async def test_another_accounts_invoice_is_a_404_and_unchanged(
    client: httpx.AsyncClient, owner: Account, stranger: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner)
    before = await snapshot(db)
    assert (await pay(client, stranger, invoice_id, amount=1)).status_code == 404
    assert (await v2_list(client, stranger, invoice_id)).status_code == 404
    assert await snapshot(db) == before


async def test_an_idempotency_key_replays_the_first_answer_as_in_v1(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner)
    headers = {**v2_headers(owner), "Idempotency-Key": "retry-1"}
    url = f"/v2/invoices/{invoice_id}/payments"
    first = await client.post(url, json={"amount": 10}, headers=headers)
    again = await client.post(url, json={"amount": 10}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await db.fetchval("SELECT count(*) FROM payments") == 1
