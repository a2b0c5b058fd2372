"""Deliveries are queued after the change commits, when its events are numbered (by a
dispatcher's poll or a feed reader): a change writes its events only, whatever the number of
subscriptions, and every subscriber still receives each event once."""

from collections import Counter

import asyncpg
import httpx

from payments_service.accounts import service as accounts
from payments_service.events import repository as events
from payments_service.webhooks import service as webhooks
from tests.support.api import create_invoice, paid
from tests.support.auth import Account
from tests.support.webhooks import (
    MakeDispatcher,
    Receiver,
    Request,
    in_background,
    nothing_owed,
    one_round,
    read_feed,
    run_until,
    subscribe,
)

JSON = {"Accept": "application/json"}


def _accepted(receiver: Receiver) -> list[Request]:
    return [r for r in receiver.requests if r.status == 204]


async def _deliveries(db: asyncpg.Pool) -> int:
    count: int = await db.fetchval("SELECT count(*) FROM webhook_deliveries")
    return count


async def test_with_16_subscriptions_a_payment_writes_no_delivery_yet_each_subscriber_gets_it_once(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    receiver: Receiver,
    make_dispatcher: MakeDispatcher,
) -> None:
    for n in range(16):
        await subscribe(client, owner, f"{receiver.url}/{n}")

    invoice_id = await create_invoice(client, owner, amount="10.00", sent=False)
    await paid(client, owner, invoice_id, "10.00")

    assert await _deliveries(db) == 0  # the requests wrote events only
    listed = (await client.get("/webhooks", headers={**owner.auth, **JSON})).json()
    assert [w["webhook"]["pending_deliveries"] for w in listed] == [3] * 16  # yet all are owed

    dispatcher = await make_dispatcher()
    async with in_background(dispatcher):
        await run_until(dispatcher, lambda: nothing_owed(db))

    received = Counter((r.path, r.event["type"]) for r in _accepted(receiver))
    expected = ["invoice.created", "payment.created", "invoice.paid"]
    assert received == Counter((f"/hooks/{n}", t) for n in range(16) for t in expected)
    assert all(count == 1 for count in received.values())


async def test_a_subscription_made_after_an_event_is_not_sent_it(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    receiver: Receiver,
    make_dispatcher: MakeDispatcher,
) -> None:
    await subscribe(client, owner, f"{receiver.url}/earlier")
    before = await create_invoice(client, owner, number="before", sent=False)
    await subscribe(client, owner, f"{receiver.url}/later")  # no poll, no feed read between
    after = await create_invoice(client, owner, number="after", sent=False)

    await run_until(await make_dispatcher(), lambda: nothing_owed(db))

    received = sorted((r.path, r.event["invoice_id"]) for r in _accepted(receiver))
    assert received == [
        ("/hooks/earlier", before),
        ("/hooks/earlier", after),
        ("/hooks/later", after),
    ]


async def test_a_deleted_subscription_is_sent_nothing_more(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    receiver: Receiver,
    make_dispatcher: MakeDispatcher,
) -> None:
    await subscribe(client, owner, f"{receiver.url}/kept")
    deleted = await subscribe(client, owner, f"{receiver.url}/deleted")
    invoice_id = await create_invoice(client, owner, sent=False)
    removed = await client.delete(f"/webhooks/{deleted['id']}", headers=owner.auth)
    assert removed.status_code == 200

    await run_until(await make_dispatcher(), lambda: nothing_owed(db))

    assert [(r.path, r.event["invoice_id"]) for r in _accepted(receiver)] == [
        ("/hooks/kept", invoice_id)
    ]


async def test_events_numbered_by_a_feed_reader_are_still_sent_to_subscribers(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    receiver: Receiver,
    make_dispatcher: MakeDispatcher,
) -> None:
    await subscribe(client, owner, receiver.url)
    invoice_id = await create_invoice(client, owner, amount="10.00")
    await paid(client, owner, invoice_id, "10.00")

    feed = await read_feed(client, owner)  # numbers the events before any dispatcher sees them
    assert await _deliveries(db) == len(feed) == 4

    await run_until(await make_dispatcher(), lambda: nothing_owed(db))

    assert [r.event for r in receiver.requests] == feed


async def test_the_outbox_lag_counts_an_event_not_queued_yet(
    client: httpx.AsyncClient,
    owner: Account,
    stranger: Account,
    db: asyncpg.Pool,
    receiver: Receiver,
    make_dispatcher: MakeDispatcher,
) -> None:
    await create_invoice(client, stranger, sent=False)  # no subscriber: owed to nobody
    async with db.acquire() as conn:
        assert await webhooks.oldest_pending_age(conn) == 0.0
    await subscribe(client, owner, receiver.url)
    await create_invoice(client, owner, sent=False)

    async with db.acquire() as conn:
        assert await webhooks.oldest_pending_age(conn) > 0.0
        await run_until(await make_dispatcher(), lambda: nothing_owed(db))
        assert await webhooks.oldest_pending_age(conn) == 0.0


async def test_one_accounts_backlog_is_numbered_a_batch_per_poll_and_holds_no_other_up(
    client: httpx.AsyncClient,
    owner: Account,
    stranger: Account,
    db: asyncpg.Pool,
    receiver: Receiver,
    make_dispatcher: MakeDispatcher,
) -> None:
    await subscribe(client, owner, f"{receiver.url}/busy")
    await subscribe(client, stranger, receiver.url)
    async with db.acquire() as conn:  # numbered, not sent: the test looks at the numbering
        await accounts.set_account_active(conn, account_id=owner.id, active=False)
    await db.execute(  # a backlog of 2.5 batches, as after an outage of every dispatcher
        "INSERT INTO events (account_id, invoice_id, sequence, type, amount, due_amount, state,"
        " currency) SELECT $1, n, 1, 'invoice.created', 1, 1, 'draft', 'USD'"
        " FROM generate_series(1, $2::int) AS n",
        owner.id,
        events.BATCH * 5 // 2,
    )
    await create_invoice(client, stranger, sent=False)
    dispatcher = await make_dispatcher()

    await one_round(dispatcher)

    assert [e["type"] for e in receiver.accepted] == ["invoice.created"]
    assert await _unnumbered(db, owner) == events.BATCH * 3 // 2
    await one_round(dispatcher)
    assert await _unnumbered(db, owner) == events.BATCH // 2


async def _unnumbered(db: asyncpg.Pool, account: Account) -> int:
    count: int = await db.fetchval(
        "SELECT count(*) FROM events WHERE account_id = $1 AND position IS NULL", account.id
    )
    return count
