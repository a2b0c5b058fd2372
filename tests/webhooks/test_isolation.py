"""No tenant can stop or slow another's webhooks: a healthy tenant's event arrives within 5 s
while another tenant's 16 subscriptions trickle, answer 100 MB, refuse connections, do not
resolve or are no valid host; memory stays flat; deleting a subscription stops its send; a
disabled account's deliveries wait; an account has at most 16 subscriptions."""

import asyncio
import contextlib
import time

import asyncpg
import httpx
import psutil
import pytest

from payments_service.accounts import service as accounts
from payments_service.webhooks import repository
from tests.support.api import create_invoice
from tests.support.auth import Account
from tests.support.server import free_port
from tests.support.webhooks import (
    MakeDispatcher,
    Receiver,
    eventually,
    in_background,
    nothing_owed,
    one_round,
    subscribe,
)
from tests.webhooks.hostile import HUNDRED_MB, Hostile, hostile_receiver

JSON = {"Accept": "application/json"}
SHORT_REASONS = {"timeout", "HTTP 500", "refused", "not allowed or not found", "invalid URL"}


async def _peak_rss(peak: list[int], stop: asyncio.Event) -> None:
    process = psutil.Process()
    while not stop.is_set():
        peak[0] = max(peak[0], process.memory_info().rss)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.02)


async def _hostile_webhooks(
    client: httpx.AsyncClient, db: asyncpg.Pool, tenant: Account, trickle: Hostile, huge: Hostile
) -> None:
    urls = (
        [f"http://127.0.0.1:{trickle.port}/trickle/{n}" for n in range(4)]
        + [f"http://127.0.0.1:{huge.port}/huge/{n}" for n in range(3)]
        + [f"http://127.0.0.1:{free_port()}/refused/{n}" for n in range(3)]
        + [f"https://nowhere-{n}.invalid/" for n in range(3)]
    )
    for url in urls:
        await subscribe(client, tenant, url)
    # IDNA-invalid hosts are refused now; these were subscribed before that check existed.
    async with db.acquire() as conn:
        for n in range(3):
            await repository.insert(
                conn, account_id=tenant.id, url=f"http://xn--a/{n}", secret="whsec_x"
            )


@pytest.mark.slow
async def test_a_healthy_tenants_event_arrives_within_5_s_beside_16_hostile_webhooks(
    client: httpx.AsyncClient,
    owner: Account,
    stranger: Account,
    db: asyncpg.Pool,
    receiver: Receiver,
    make_dispatcher: MakeDispatcher,
) -> None:
    async with hostile_receiver("trickle") as trickle, hostile_receiver("huge") as huge:
        await _hostile_webhooks(client, db, stranger, trickle, huge)
        await subscribe(client, owner, receiver.url)
        for number in ("1", "2"):
            await create_invoice(client, stranger, number=number, sent=False)
        # The service's defaults: one 10 s deadline per send, polls a second apart.
        dispatcher = await make_dispatcher(
            webhook_timeout_seconds=10.0,
            webhook_poll_seconds=1.0,
            webhook_retry_base_seconds=1.0,
            webhook_retry_max_seconds=300.0,
        )
        baseline = psutil.Process().memory_info().rss
        peak, stop = [baseline], asyncio.Event()
        sampling = asyncio.create_task(_peak_rss(peak, stop))
        running = asyncio.create_task(dispatcher.run_forever())
        try:
            # Every hostile kind is being served: trickles hold their sends, 100 MB flows.
            await eventually(lambda: _started(trickle, huge), within=30)
            started = time.time()
            await create_invoice(client, owner, sent=False)
            await eventually(lambda: _accepted(receiver), within=30)
            delay = receiver.requests[0].received_at - started
            await eventually(lambda: _every_hostile_delivery_tried(db, stranger), within=60)
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
            stop.set()
            await sampling

    print(f"\nhealthy tenant's delivery delay beside the hostile mix: {delay:.3f} s")
    print(f"RSS growth while 100 MB answers were offered: {(peak[0] - baseline) / 2**20:.1f} MB")
    assert delay < 5.0
    assert [e["type"] for e in receiver.accepted] == ["invoice.created"]
    assert peak[0] - baseline < 50 * 2**20
    assert huge.requests >= 3 and huge.bytes_sent < HUNDRED_MB  # offered, never read whole
    errors = await db.fetch(
        "SELECT DISTINCT last_error FROM webhook_deliveries WHERE account_id = $1", stranger.id
    )
    assert {row["last_error"] for row in errors} == SHORT_REASONS


async def _started(trickle: Hostile, huge: Hostile) -> bool:
    return trickle.requests >= 4 and huge.requests >= 3 and huge.bytes_sent > 0


async def _accepted(receiver: Receiver) -> bool:
    return len(receiver.accepted) >= 1


async def _every_hostile_delivery_tried(db: asyncpg.Pool, tenant: Account) -> bool:
    untried: int = await db.fetchval(
        "SELECT count(*) FROM webhook_deliveries WHERE account_id = $1 AND last_error IS NULL",
        tenant.id,
    )
    return untried == 0


async def test_deleting_a_subscription_stops_its_send_in_flight(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    receiver: Receiver,
    make_dispatcher: MakeDispatcher,
) -> None:
    webhook = await subscribe(client, owner, receiver.url)
    receiver.behaviour = "hang"
    await create_invoice(client, owner, sent=False)
    dispatcher = await make_dispatcher(webhook_timeout_seconds=120)
    async with in_background(dispatcher):
        await eventually(lambda: _requests(receiver))
        deleted = await client.delete(f"/webhooks/{webhook['id']}", headers=owner.auth)
        assert deleted.status_code == 200
        # Far sooner than the send's 120 s deadline: the dispatcher hung up on it.
        await eventually(lambda: _hung_up(receiver), within=30)
        await eventually(lambda: _idle(dispatcher.sending), within=30)

    assert len(receiver.requests) == 1
    assert await nothing_owed(db)


async def _requests(receiver: Receiver) -> bool:
    return len(receiver.requests) >= 1


async def _hung_up(receiver: Receiver) -> bool:
    return receiver.requests[0].hung_up_at is not None


async def _idle(sending: dict[int, asyncio.Task[None]]) -> bool:
    return not sending


async def test_a_disabled_accounts_deliveries_wait_and_arrive_once_it_is_enabled(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    receiver: Receiver,
    make_dispatcher: MakeDispatcher,
) -> None:
    await subscribe(client, owner, receiver.url)
    await create_invoice(client, owner, sent=False)
    async with db.acquire() as conn:
        await accounts.set_account_active(conn, account_id=owner.id, active=False)
    dispatcher = await make_dispatcher()

    for _ in range(20):
        await one_round(dispatcher)
        await asyncio.sleep(0.05)
    assert receiver.requests == []
    owed = await db.fetchrow("SELECT state, attempts FROM webhook_deliveries")
    assert dict(owed) == {"state": "pending", "attempts": 0}

    async with db.acquire() as conn:
        await accounts.set_account_active(conn, account_id=owner.id, active=True)
    async with in_background(dispatcher):
        await eventually(lambda: nothing_owed(db))
    assert [e["type"] for e in receiver.accepted] == ["invoice.created"]


async def test_disabling_an_account_stops_its_sends_in_flight_and_keeps_them_owed(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    receiver: Receiver,
    make_dispatcher: MakeDispatcher,
) -> None:
    await subscribe(client, owner, receiver.url)
    receiver.behaviour = "hang"
    await create_invoice(client, owner, sent=False)
    dispatcher = await make_dispatcher(webhook_timeout_seconds=120)
    async with in_background(dispatcher):
        await eventually(lambda: _requests(receiver))
        async with db.acquire() as conn:
            await accounts.set_account_active(conn, account_id=owner.id, active=False)
        await eventually(lambda: _hung_up(receiver), within=30)
        receiver.behaviour = "ok"
        async with db.acquire() as conn:
            await accounts.set_account_active(conn, account_id=owner.id, active=True)
        await eventually(lambda: nothing_owed(db), within=30)
    assert [e["type"] for e in receiver.accepted] == ["invoice.created"]


async def test_the_17th_subscription_is_a_422_even_when_requests_race(
    client: httpx.AsyncClient, owner: Account, stranger: Account, db: asyncpg.Pool
) -> None:
    for n in range(16):
        await subscribe(client, owner, f"http://127.0.0.1:9/{n}")
    refused = await client.post(
        "/webhooks", json={"url": "http://127.0.0.1:9/17"}, headers={**owner.auth, **JSON}
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "too_many_webhooks"

    racing = await asyncio.gather(
        *(
            client.post("/webhooks", json={"url": f"http://127.0.0.1:9/{n}"}, headers=stranger.auth)
            for n in range(24)
        )
    )
    assert sorted(r.status_code for r in racing) == [201] * 16 + [422] * 8
    counts = await db.fetch(
        "SELECT account_id, count(*) FROM webhook_subscriptions GROUP BY 1 ORDER BY 1"
    )
    assert [tuple(row) for row in counts] == [(owner.id, 16), (stranger.id, 16)]
