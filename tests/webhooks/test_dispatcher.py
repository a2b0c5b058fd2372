"""The dispatcher against a real receiver on localhost: signed, in order per invoice, retried,
dead after the give-up time, replayed, and never sent by two dispatchers at once."""

import asyncio
import contextlib
import random
from typing import Any

import asyncpg
import httpx
import pytest

from payments_service.webhooks import repository
from payments_service.webhooks.dispatcher import backoff
from tests.support.api import create_invoice, paid
from tests.support.auth import METRICS_AUTH, Account
from tests.support.contract import ContractChecker
from tests.support.metrics import value
from tests.support.webhooks import (
    MakeDispatcher,
    Receiver,
    documented_verify,
    eventually,
    nothing_owed,
    one_round,
    run_until,
    subscribe,
)

JSON = {"Accept": "application/json"}


async def webhook_of(client: httpx.AsyncClient, account: Account, webhook_id: int) -> Any:
    response = await client.get(f"/webhooks/{webhook_id}", headers={**account.auth, **JSON})
    return response.json()["webhook"]


def by_invoice(events: list[dict[str, Any]]) -> dict[int, list[int]]:
    sequences: dict[int, list[int]] = {}
    for event in events:
        sequences.setdefault(event["invoice_id"], []).append(event["sequence"])
    return sequences


def assert_in_order_per_invoice(receiver: Receiver) -> None:
    """No request for an invoice's event n+1 before its event n was accepted."""
    accepted: dict[int, int] = {}
    for request in receiver.requests:
        event = request.event
        assert event["sequence"] in (
            accepted.get(event["invoice_id"], 0),
            accepted.get(event["invoice_id"], 0) + 1,
        ), event
        if request.status == 204:
            accepted[event["invoice_id"]] = event["sequence"]


async def test_each_event_reaches_the_subscriber_signed_and_as_the_feed_shows_it(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    receiver: Receiver,
    make_dispatcher: MakeDispatcher,
) -> None:
    webhook = await subscribe(client, owner, receiver.url)
    invoice_id = await create_invoice(client, owner, amount="10.00")
    await paid(client, owner, invoice_id, "10.00")
    dispatcher = await make_dispatcher()

    await run_until(dispatcher, lambda: nothing_owed(db))

    feed = (await client.get("/events", headers={**owner.auth, **JSON})).json()
    assert [r.event for r in receiver.requests] == [item["event"] for item in feed]
    assert [r.event["type"] for r in receiver.requests] == [
        "invoice.created",
        "invoice.updated",
        "payment.created",
        "invoice.paid",
    ]
    verify = documented_verify()
    for request in receiver.requests:
        signature = request.headers["payments-signature"]
        assert verify(webhook["secret"], signature, request.body)
        assert not verify(webhook["secret"], signature, request.body.replace(b"10", b"99"))
        assert not verify("whsec_another", signature, request.body)
        assert request.headers["content-type"] == "application/json"
        assert request.headers["payments-event-id"] == str(request.event["id"])
        assert request.headers["payments-event-type"] == request.event["type"]


@pytest.mark.slow
async def test_a_failing_receiver_is_retried_and_delivery_resumes_in_order_when_it_recovers(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    receiver: Receiver,
    make_dispatcher: MakeDispatcher,
) -> None:
    webhook = await subscribe(client, owner, receiver.url)
    invoices = [await create_invoice(client, owner, number=str(n)) for n in range(3)]
    dispatcher = await make_dispatcher()

    receiver.behaviour = "fail"
    for invoice_id in invoices:
        await paid(client, owner, invoice_id, "1.00")
    await run_until(dispatcher, lambda: _attempts_at_least(db, 3))
    shown = await webhook_of(client, owner, webhook["id"])
    assert shown["last_error"] == "HTTP 500"
    assert shown["pending_deliveries"] == 9
    assert shown["dead_deliveries"] == 0

    receiver.behaviour = "hang"  # slower than the dispatcher's timeout
    await paid(client, owner, invoices[0], "2.00")
    await run_until(dispatcher, lambda: _any_error_like(db, "timeout"))

    receiver.behaviour = "ok"
    await run_until(dispatcher, lambda: nothing_owed(db))

    assert by_invoice(receiver.accepted) == {
        invoices[0]: [1, 2, 3, 4],
        invoices[1]: [1, 2, 3],
        invoices[2]: [1, 2, 3],
    }
    assert_in_order_per_invoice(receiver)
    assert len({e["id"] for e in receiver.accepted}) == len(receiver.accepted)


@pytest.mark.system
async def test_outbox_lag_shows_the_oldest_undelivered_event_until_it_is_delivered(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    receiver: Receiver,
    make_dispatcher: MakeDispatcher,
    live_server: str,
    contract: ContractChecker,
) -> None:
    receiver.behaviour = "fail"
    await subscribe(client, owner, receiver.url)
    await create_invoice(client, owner, sent=False)
    dispatcher = await make_dispatcher()
    await run_until(dispatcher, lambda: _attempts_at_least(db, 1))

    # A new connection per scrape, so that both workers of the live server answer.
    async with httpx.AsyncClient(
        base_url=live_server,
        limits=httpx.Limits(max_keepalive_connections=0),
        event_hooks={"response": [contract]},
    ) as http:

        async def lags() -> list[float]:
            return [
                value((await http.get("/metrics", headers=METRICS_AUTH)).text, "outbox_lag_seconds")
                for _ in "1234"
            ]

        waiting = await lags()
        receiver.behaviour = "ok"
        await run_until(dispatcher, lambda: nothing_owed(db))
        delivered = await lags()

    assert all(lag > 0 for lag in waiting), waiting
    assert delivered == [0.0] * 4


async def _attempts_at_least(db: asyncpg.Pool, attempts: int) -> bool:
    return await db.fetchval("SELECT max(attempts) FROM webhook_deliveries") >= attempts


async def _any_error_like(db: asyncpg.Pool, text: str) -> bool:
    return (
        await db.fetchval(
            "SELECT count(*) FROM webhook_deliveries WHERE last_error LIKE $1", f"%{text}%"
        )
        > 0
    )


async def test_retries_wait_longer_each_time(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    receiver: Receiver,
    make_dispatcher: MakeDispatcher,
) -> None:
    await subscribe(client, owner, receiver.url)
    await create_invoice(client, owner, sent=False)
    dispatcher = await make_dispatcher(webhook_retry_base_seconds=0.1, webhook_retry_max_seconds=10)
    receiver.behaviour = "fail"

    # The wait starts after the receiver answered and before the read below, so it is at least
    # next_attempt_at - answered and at most next_attempt_at - read, however slow the machine.
    # On a busy machine a round may already have sent the next attempt when the row is read,
    # so each wait is paired with the attempt the row says it follows.
    waits = {}
    for attempt in range(1, 5):
        await run_until(dispatcher, lambda a=attempt: _attempts_at_least(db, a))
        row = await db.fetchrow(
            "SELECT attempts, extract(epoch FROM next_attempt_at) AS due,"
            " extract(epoch FROM now()) AS read FROM webhook_deliveries"
        )
        answered = receiver.requests[row["attempts"] - 1].received_at
        waits[row["attempts"]] = (float(row["due"]) - answered, float(row["due"] - row["read"]))

    # Attempt n waits between half and all of 0.1 * 2^(n-1) seconds.
    for n, (longest, shortest) in waits.items():
        assert 0.05 * 2 ** (n - 1) <= longest and shortest <= 0.1 * 2 ** (n - 1), waits
    assert max(waits) >= 4


def test_backoff_doubles_up_to_the_cap_with_jitter_between_half_and_all() -> None:
    rng = random.Random(1)
    for attempt, full in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 30.0), (100, 30.0), (5000, 30.0)]:
        waits = [backoff(attempt, base=1.0, cap=30.0, rng=rng) for _ in range(200)]
        assert all(full / 2 <= w <= full for w in waits)
        assert max(waits) - min(waits) > full / 4  # spread out, not all at once


async def test_a_delivery_that_keeps_failing_goes_dead_and_replay_sends_it_again_in_order(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    receiver: Receiver,
    make_dispatcher: MakeDispatcher,
) -> None:
    webhook = await subscribe(client, owner, receiver.url)
    stuck = await create_invoice(client, owner, number="stuck")
    dispatcher = await make_dispatcher(webhook_give_up_seconds=1.0)
    receiver.behaviour = "fail"

    await run_until(dispatcher, lambda: _attempts_at_least(db, 2))
    await run_until(dispatcher, lambda: _any_dead(db))
    shown = await webhook_of(client, owner, webhook["id"])
    # invoice.created gave up; invoice.updated waits behind it, never tried
    assert (shown["pending_deliveries"], shown["dead_deliveries"]) == (1, 1)
    assert shown["last_error"] == "HTTP 500"
    async with db.acquire() as conn:  # nothing of it is due: no dispatcher takes it
        assert await repository.due_subscriptions(conn, limit=10, busy=[]) == []

    # Dead is final: no more attempts. A later event of the same invoice waits behind it,
    # while other invoices' events flow.
    receiver.behaviour = "ok"
    attempts = len(receiver.requests)
    await paid(client, owner, stuck, "1.00")
    other = await create_invoice(client, owner, number="other", sent=False)
    await run_until(dispatcher, lambda: _accepted_count(receiver, 1))
    for _ in range(10):
        await one_round(dispatcher)
    assert [(e["invoice_id"], e["sequence"]) for e in receiver.accepted] == [(other, 1)]
    assert len(receiver.requests) == attempts + 1

    replayed = await client.post(
        f"/webhooks/{webhook['id']}/replay", headers={**owner.auth, **JSON}
    )
    assert replayed.status_code == 200
    assert replayed.json()["webhook"]["dead_deliveries"] == 0
    await run_until(dispatcher, lambda: nothing_owed(db))

    assert by_invoice(receiver.accepted) == {other: [1], stuck: [1, 2, 3]}
    assert_in_order_per_invoice(receiver)


async def _any_dead(db: asyncpg.Pool) -> bool:
    return await db.fetchval("SELECT count(*) FROM webhook_deliveries WHERE state = 'dead'") > 0


async def _accepted_count(receiver: Receiver, count: int) -> bool:
    return len(receiver.accepted) >= count


async def test_two_dispatchers_never_send_an_event_twice_or_out_of_order(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    receiver: Receiver,
    make_dispatcher: MakeDispatcher,
) -> None:
    await subscribe(client, owner, receiver.url)
    invoices = [await create_invoice(client, owner, number=str(n), amount="100") for n in range(4)]
    workers = [asyncio.create_task((await make_dispatcher()).run_forever()) for _ in range(2)]
    try:
        await asyncio.gather(
            *(paid(client, owner, invoice_id, "1.00") for invoice_id in invoices for _ in range(5))
        )
        await eventually(lambda: nothing_owed(db))
    finally:
        for worker in workers:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    assert len(receiver.requests) == len(receiver.accepted) == 4 * 7
    assert all(
        sequences == list(range(1, 8)) for sequences in by_invoice(receiver.accepted).values()
    )


async def test_a_dispatcher_stopped_mid_send_leaves_the_event_for_the_next_one(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    receiver: Receiver,
    make_dispatcher: MakeDispatcher,
) -> None:
    await subscribe(client, owner, receiver.url)
    receiver.behaviour = "hang"
    await create_invoice(client, owner, sent=False)
    first = await make_dispatcher(webhook_timeout_seconds=30)
    await first.run_once()
    await eventually(lambda: _requests_count(receiver, 1))
    await first.aclose()  # the worker stops (restart, deploy) before the receiver answered

    receiver.behaviour = "ok"
    await run_until(await make_dispatcher(), lambda: nothing_owed(db))

    assert [e["sequence"] for e in receiver.accepted] == [1]  # at least once: sent again
    assert receiver.requests[0].hung_up_at is not None


async def _requests_count(receiver: Receiver, count: int) -> bool:
    return len(receiver.requests) >= count
