"""Webhook subscriptions over the API: the secret is shown once, each account sees its own."""

from xml.etree import ElementTree

import asyncpg
import httpx
import pytest

from tests.support.api import create_invoice
from tests.support.auth import Account
from tests.support.database import snapshot
from tests.support.webhooks import read_feed, subscribe

JSON = {"Accept": "application/json"}


async def test_subscribing_answers_201_with_the_secret_shown_only_then(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    created = await client.post(
        "/webhooks",
        content="<webhook><url>https://hooks.example/payments</url></webhook>",
        headers={**owner.auth, "Content-Type": "application/xml"},
    )

    assert created.status_code == 201
    webhook = ElementTree.fromstring(created.content)
    secret = webhook.findtext("secret") or ""
    assert secret.startswith("whsec_") and len(secret) > 40
    assert created.headers["Location"] == f"/webhooks/{webhook.findtext('id')}"
    assert await db.fetchval("SELECT secret FROM webhook_subscriptions") == secret

    shown = await client.get(created.headers["Location"], headers={**owner.auth, **JSON})
    assert shown.status_code == 200
    assert shown.json()["webhook"] == {
        "id": int(webhook.findtext("id") or 0),
        "url": "https://hooks.example/payments",
        "secret": None,
        "pending_deliveries": 0,
        "dead_deliveries": 0,
        "last_error": None,
        "created_at": webhook.findtext("created-at"),
        "previous_secret_expires_at": None,
    }


async def test_each_account_lists_and_removes_only_its_own_webhooks(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    mine = await subscribe(client, owner, "http://127.0.0.1:9/one")
    await subscribe(client, stranger, "http://127.0.0.1:9/two")

    listed = await client.get("/webhooks", headers={**owner.auth, **JSON})
    assert [w["webhook"]["url"] for w in listed.json()] == ["http://127.0.0.1:9/one"]
    assert listed.json()[0]["webhook"]["secret"] is None

    url = f"/webhooks/{mine['id']}"
    assert (await client.get(url, headers=stranger.auth)).status_code == 404
    assert (await client.delete(url, headers=stranger.auth)).status_code == 404
    assert (await client.delete(url, headers=owner.auth)).status_code == 200
    assert (await client.get(url, headers=owner.auth)).status_code == 404
    assert (await client.delete(url, headers=owner.auth)).status_code == 404


async def test_a_subscription_is_owed_the_events_after_it_was_made_until_it_is_removed(
    client: httpx.AsyncClient, owner: Account, stranger: Account, db: asyncpg.Pool
) -> None:
    await create_invoice(client, owner, number="before")
    webhook = await subscribe(client, owner, "http://127.0.0.1:9/hooks")
    await subscribe(client, stranger, "http://127.0.0.1:9/theirs")
    await create_invoice(client, owner, number="after", sent=False)

    shown = await client.get(f"/webhooks/{webhook['id']}", headers={**owner.auth, **JSON})
    assert shown.json()["webhook"]["pending_deliveries"] == 1
    await read_feed(client, owner)
    owed = await db.fetch(
        "SELECT e.type, e.invoice_id FROM webhook_deliveries d "
        "JOIN events e ON e.account_id = d.account_id AND e.id = d.event_id"
    )
    assert [tuple(r) for r in owed] == [("invoice.created", 2)]

    await client.delete(f"/webhooks/{webhook['id']}", headers=owner.auth)
    assert await db.fetchval("SELECT count(*) FROM webhook_deliveries") == 0


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://hooks.example/x"},
        {"url": "not a url"},
        {"url": "https://"},
        {"url": "http://0*"},  # not a host name: the document's pattern refuses it too
        {"url": "https://hooks.example/a b"},
        {"url": "https://hooks.example/" + "x" * 2000},
        {},
    ],
)
async def test_a_bad_url_is_a_422_and_changes_nothing(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool, body: dict[str, str]
) -> None:
    before = await snapshot(db)

    response = await client.post("/webhooks", json=body, headers={**owner.auth, **JSON})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "url"
    assert await snapshot(db) == before


async def test_replaying_an_unknown_webhook_is_a_404(
    client: httpx.AsyncClient, owner: Account
) -> None:
    response = await client.post("/webhooks/99/replay", headers={**owner.auth, **JSON})
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"
