"""Sends the events owed to webhook subscribers: signed, in order per invoice, retried with
exponential backoff and jitter, and dead after WEBHOOK_GIVE_UP_SECONDS until replayed.

It runs in every worker of the service and as `payments-service dispatch`, all at once if need
be: a session advisory lock per subscription lets one dispatcher at a time send to a
subscriber, and a dispatcher that dies mid-send releases it with its connection. A delivery is
deleted only after the subscriber answered 2xx, so it is sent at least once.
"""

import asyncio
import logging
import random
import time

import asyncpg
import httpx

from payments_service.config import Settings
from payments_service.database import Connection, connect_with_backoff
from payments_service.events.service import with_cursor
from payments_service.json_wire import to_json
from payments_service.webhooks import repository
from payments_service.webhooks.signing import HEADER, sign
from payments_service.wire import EVENT, Document

logger = logging.getLogger(__name__)

SUBSCRIPTIONS_PER_ROUND = 4  # each holds a connection while its sends are in flight
INVOICES_PER_ROUND = 20  # events of different invoices sent to one subscriber at once


def backoff(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, ...): doubling from `base`
    up to `cap`, then a random half to all of that, so failing deliveries spread out."""
    delay: float = min(cap, base * 2 ** min(attempt - 1, 62))
    return delay / 2 + rng.uniform(0, delay / 2)


class Dispatcher:
    def __init__(self, pool: asyncpg.Pool, http: httpx.AsyncClient, settings: Settings) -> None:
        self.pool = pool
        self.http = http
        self.settings = settings
        self.rng = random.Random()

    async def run_once(self) -> int:
        """Serve the subscriptions that have something due; how many sends were attempted."""
        async with self.pool.acquire() as conn:
            due = await repository.due_subscriptions(conn, limit=SUBSCRIPTIONS_PER_ROUND)
        sent = await asyncio.gather(
            *(self._serve(row["account_id"], row["subscription_id"]) for row in due)
        )
        return sum(sent)

    async def run_forever(self) -> None:
        while True:
            try:
                sent = await self.run_once()
            except Exception:  # the database away, or a bug: log it, keep the loop alive
                logger.exception("webhook dispatch failed; retrying")
                sent = 0
            if not sent:
                await asyncio.sleep(self.settings.webhook_poll_seconds)

    async def _serve(self, account_id: int, subscription_id: int) -> int:
        async with self.pool.acquire() as conn:
            if not await repository.try_lock(conn, subscription_id=subscription_id):
                return 0  # another dispatcher is sending to this subscriber
            try:
                return await self._send_due(conn, account_id, subscription_id)
            finally:
                try:
                    await repository.unlock(conn, subscription_id=subscription_id)
                except BaseException:
                    conn.terminate()  # the pool does not reset sessions: end this one, lock too
                    raise

    async def _send_due(self, conn: Connection, account_id: int, subscription_id: int) -> int:
        settings = self.settings
        await repository.bury_expired(
            conn,
            account_id=account_id,
            subscription_id=subscription_id,
            give_up_seconds=settings.webhook_give_up_seconds,
        )
        heads = await repository.due_heads(
            conn, account_id=account_id, subscription_id=subscription_id, limit=INVOICES_PER_ROUND
        )
        errors = await asyncio.gather(*(self._send(head) for head in heads))
        for head, error in zip(heads, errors, strict=True):
            if error is None:
                await repository.delivered(
                    conn, account_id=account_id, delivery_id=head["delivery_id"]
                )
                continue
            retry_in = backoff(
                head["attempts"] + 1,
                base=settings.webhook_retry_base_seconds,
                cap=settings.webhook_retry_max_seconds,
                rng=self.rng,
            )
            await repository.failed(
                conn,
                account_id=account_id,
                delivery_id=head["delivery_id"],
                retry_in=retry_in,
                error=error,
            )
        return len(heads)

    async def _send(self, head: asyncpg.Record) -> str | None:
        """None when the subscriber accepted the event (2xx), else what went wrong."""
        body = to_json(Document(EVENT, with_cursor(head)))
        headers = {
            "Content-Type": "application/json",
            "Payments-Event-Id": str(head["id"]),
            "Payments-Event-Type": head["type"],
            HEADER: sign(head["secret"], int(time.time()), body),
        }
        try:
            response = await self.http.post(head["url"], content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:500]
        return None if response.is_success else f"HTTP {response.status_code}"


async def dispatch(url: str, settings: Settings) -> None:
    """Run a dispatcher on its own small pool until cancelled."""
    pool_settings = settings.model_copy(update={"db_pool_size": SUBSCRIPTIONS_PER_ROUND + 1})
    pool = await connect_with_backoff(url, pool_settings)
    try:
        async with httpx.AsyncClient(timeout=settings.webhook_timeout_seconds) as http:
            await Dispatcher(pool, http, settings).run_forever()
    finally:
        await pool.close()
