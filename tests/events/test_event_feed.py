"""The event feed: every change leaves an event, and a reader following cursors misses none."""

import asyncio
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

import asyncpg
import httpx
import pytest

from payments_service.accounts.tokens import Caller
from payments_service.payments import service as payments
from payments_service.payments.schemas import PaymentCreate
from tests.support.api import create_invoice, paid, payment_xml, v2_headers
from tests.support.auth import Account
from tests.support.database import snapshot

JSON = {"Accept": "application/json"}
XML = {"Content-Type": "application/xml"}


async def feed(client: httpx.AsyncClient, account: Account, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/events", params=params, headers={**account.auth, **JSON})
    assert response.status_code == 200, response.text
    return [item["event"] for item in response.json()]


def summary(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(e["type"], e["sequence"], e["due_amount"], e["state"]) for e in events]


async def test_each_change_leaves_numbered_events_with_the_new_balance_and_deletions_stay(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner, amount="100.00")
    first = await paid(client, owner, invoice_id, "40.00")
    second = await paid(client, owner, invoice_id, "60.00")
    deleted = await client.delete(f"/invoices/{invoice_id}/payments/{first}", headers=owner.auth)
    assert deleted.status_code == 200

    events = await feed(client, owner)

    assert summary(events) == [
        ("invoice.created", 1, 100, "draft"),
        ("invoice.updated", 2, 100, "open"),
        ("payment.created", 3, 60, "partial"),
        ("payment.created", 4, 0, "paid"),
        ("invoice.paid", 5, 0, "paid"),
        ("payment.deleted", 6, 40, "partial"),
        ("invoice.reopened", 7, 40, "partial"),
    ]
    assert [e["payment_id"] for e in events] == [None, None, first, second, second, first, first]
    assert [e["payment_amount"] for e in events] == [None, None, 40, 60, 60, 40, 40]
    assert {(e["account_id"], e["invoice_id"], e["amount"], e["currency"]) for e in events} == {
        (owner.id, invoice_id, 100, "USD")
    }
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)


async def test_the_feed_in_xml_is_a_typed_array_of_events(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner, amount="12.50", sent=False)

    response = await client.get("/events", headers=owner.auth)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    root = ElementTree.fromstring(response.content)
    assert (root.tag, root.get("type")) == ("events", "array")
    [event] = list(root)
    assert [(child.tag, child.get("type")) for child in event] == [
        ("id", "integer"),
        ("cursor", None),
        ("type", None),
        ("account-id", "integer"),
        ("invoice-id", "integer"),
        ("sequence", "integer"),
        ("payment-id", "integer"),
        ("payment-amount", "decimal"),
        ("amount", "decimal"),
        ("due-amount", "decimal"),
        ("state", None),
        ("currency", None),
        ("created-at", "datetime"),
    ]
    assert event.findtext("type") == "invoice.created"
    assert event.findtext("invoice-id") == str(invoice_id)
    assert event.findtext("due-amount") == "12.5"
    assert event.find("payment-id").get("nil") == "true"  # type: ignore[union-attr]


async def test_following_cursors_page_by_page_reads_every_event_once(
    client: httpx.AsyncClient, owner: Account
) -> None:
    for number in ("1", "2", "3"):
        invoice_id = await create_invoice(client, owner, number=number)
        await paid(client, owner, invoice_id, "10.00")
    everything = await feed(client, owner)
    assert len(everything) == 9

    pages, cursor = [], None
    while True:
        page = await feed(client, owner, limit=2, **({"after": cursor} if cursor else {}))
        if not page:
            break
        assert len(page) <= 2
        pages.extend(page)
        cursor = page[-1]["cursor"]

    assert pages == everything
    assert await feed(client, owner, after=cursor) == []


async def test_the_feed_shows_only_the_callers_account(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    await create_invoice(client, owner)
    assert await feed(client, stranger) == []
    assert len(await feed(client, owner)) == 2


async def test_a_refused_change_leaves_no_event(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner, amount="10.00")
    before = await snapshot(db)

    response = await client.post(
        f"/invoices/{invoice_id}/payments",
        content=payment_xml("10.01"),
        headers={**owner.auth, **XML},
    )

    assert response.status_code == 422
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    "params",
    [
        {"after": "12"},
        {"after": "a-b"},
        {"after": "1-2-3"},
        {"after": "99999999999999999999-1"},
        {"limit": "0"},
        {"limit": "1001"},
        {"limit": "ten"},
    ],
)
@pytest.mark.parametrize("accept", ["application/json", "application/xml"])
async def test_a_bad_cursor_or_limit_is_a_422_in_the_requested_format(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool, params: dict[str, str], accept: str
) -> None:
    await create_invoice(client, owner)
    before = await snapshot(db)

    response = await client.get("/events", params=params, headers={**owner.auth, "Accept": accept})

    assert response.status_code == 422
    assert response.headers["content-type"].startswith(accept)
    field = next(iter(params))
    if accept == "application/json":
        assert [e["field"] for e in response.json()["errors"]] == [field]
    else:
        assert ElementTree.fromstring(response.content)[0].get("field") == field
    assert await snapshot(db) == before


async def test_the_feed_needs_credentials(client: httpx.AsyncClient) -> None:
    response = await client.get("/events", headers=JSON)
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "unauthorized"


def caller_of(account: Account) -> Caller:
    return Caller(account_id=account.id, user_id=1, name=account.name, email=account.email)


PAID_AT = datetime(2008, 2, 14, tzinfo=UTC)


def payment(amount: str) -> PaymentCreate:
    return PaymentCreate.model_validate({"paid_at": "2008-02-14", "amount": amount})


async def test_a_late_commit_comes_after_what_a_reader_saw_so_no_event_is_skipped(
    client: httpx.AsyncClient, owner: Account, database_url: str
) -> None:
    slow_invoice = await create_invoice(client, owner, number="slow")
    fast_invoice = await create_invoice(client, owner, number="fast")
    seen = await feed(client, owner)
    conn = await asyncpg.connect(database_url)
    try:
        slow = conn.transaction()
        await slow.start()
        await payments.record_payment(
            conn,
            caller=caller_of(owner),
            invoice_id=slow_invoice,
            data=payment("1.00"),
            paid_at=PAID_AT,
        )
        # A payment on another invoice does not wait for the open one, and the feed shows it
        # at once; the open one's event is not there yet.
        await asyncio.wait_for(paid(client, owner, fast_invoice, "2.00"), timeout=30)
        first = await feed(client, owner, after=seen[-1]["cursor"])
        assert [(e["type"], e["invoice_id"]) for e in first] == [("payment.created", fast_invoice)]
        await slow.commit()
    finally:
        await conn.close()

    # Committed late, it comes after what the reader has seen: its cursor finds it.
    late = await feed(client, owner, after=first[-1]["cursor"])
    assert [(e["type"], e["invoice_id"]) for e in late] == [("payment.created", slow_invoice)]


async def test_a_rolled_back_change_leaves_no_gap_in_the_feed(
    client: httpx.AsyncClient, owner: Account, database_url: str
) -> None:
    invoice_id = await create_invoice(client, owner)
    conn = await asyncpg.connect(database_url)
    try:
        rolled_back = conn.transaction()
        await rolled_back.start()
        await payments.record_payment(
            conn,
            caller=caller_of(owner),
            invoice_id=invoice_id,
            data=payment("1.00"),
            paid_at=PAID_AT,
        )
        await rolled_back.rollback()
    finally:
        await conn.close()
    await paid(client, owner, invoice_id, "2.00")

    events = await feed(client, owner)
    positions = [int(e["cursor"].split("-")[0]) for e in events]
    assert positions == list(range(positions[0], positions[0] + len(events)))
    assert [(e["sequence"], e["payment_amount"]) for e in events[-1:]] == [(3, 2)]


async def test_feed_order_follows_each_invoices_sequence_even_when_transaction_ids_do_not(
    client: httpx.AsyncClient, owner: Account, database_url: str
) -> None:
    invoice_id = await create_invoice(client, owner)
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_current_xact_id()")  # an older transaction id
            await paid(client, owner, invoice_id, "1.00")  # a newer one commits first
            await payments.record_payment(
                conn,
                caller=caller_of(owner),
                invoice_id=invoice_id,
                data=payment("2.00"),
                paid_at=PAID_AT,
            )
    finally:
        await conn.close()

    events = await feed(client, owner)

    assert [(e["sequence"], e["payment_amount"]) for e in events] == [
        (1, None),
        (2, None),
        (3, 1),
        (4, 2),
    ]


async def test_concurrent_changes_number_an_invoices_events_without_gaps(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner, amount="1000.00")

    await asyncio.gather(*[paid(client, owner, invoice_id, "1.00") for _ in range(30)])

    events = await feed(client, owner)
    assert [e["sequence"] for e in events] == list(range(1, 33))
    assert [e["due_amount"] for e in events[2:]] == list(range(999, 969, -1))


async def test_payments_made_and_deleted_through_v2_leave_the_same_events(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner, amount="10.00")
    url = f"/v2/invoices/{invoice_id}/payments"
    created = await client.post(url, json={"amount": 10}, headers=v2_headers(owner))
    assert created.status_code == 201, created.text
    payment_id = created.json()["id"]
    deleted = await client.delete(f"{url}/{payment_id}", headers=v2_headers(owner))
    assert deleted.status_code == 200

    events = await feed(client, owner)

    assert [(e["type"], e["payment_id"], e["state"]) for e in events[2:]] == [
        ("payment.created", payment_id, "paid"),
        ("invoice.paid", payment_id, "paid"),
        ("payment.deleted", payment_id, "open"),
        ("invoice.reopened", payment_id, "open"),
    ]
