"""Sends the events owed to webhook subscribers: signed, in order per invoice, retried with
exponential backoff and jitter, and dead after WEBHOOK_GIVE_UP_SECONDS until replayed.

It runs in every worker of the service and as `payments-service dispatch`, all at once if need
be: a dispatcher leases a subscription before sending to it, so one dispatcher at a time sends
to a subscriber; a lease left by a dispatcher that died lapses after WEBHOOK_TIMEOUT_SECONDS
plus LEASE_MARGIN_SECONDS. A delivery is deleted only after the subscriber answered 2xx, so it
is sent at least once.

No subscriber can hold up another: each leased subscription is served by a task of its own,
every send has one deadline for resolving, connecting, writing and the answer's head, the
answer's body is never read, and any exception fails only that delivery. A subscription
deleted (or its account disabled) has its send cancelled at the next poll.
"""

import asyncio
import contextlib
import functools
import logging
import random
import ssl
import time
from datetime import datetime

import asyncpg
import httpx

from payments_service.config import Settings
from payments_service.db.pool import connect_with_backoff
from payments_service.documents import EVENT, Document
from payments_service.events import repository as events
from payments_service.events.service import with_cursor
from payments_service.http.json_codec import to_json
from payments_service.webhooks import repository
from payments_service.webhooks.destinations import IPAddress, Refused, Target, parse
from payments_service.webhooks.policy import WebhookPolicy
from payments_service.webhooks.secret_box import Unreadable
from payments_service.webhooks.signing import HEADER, sign

logger = logging.getLogger(__name__)

INVOICES_PER_ROUND = 20  # events of different invoices sent to one subscriber at once
MAX_SENDING = 500  # subscriptions one dispatcher serves at once
LEASE_MARGIN_SECONDS = 30.0  # for the database work around a round of sends
POOL_SIZE = 5  # connections are held only for queries, never across a send


def backoff(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, ...): doubling from `base`
    up to `cap`, then a random half to all of that, so failing deliveries spread out."""
    delay: float = min(cap, base * 2 ** min(attempt - 1, 62))
    return delay / 2 + rng.uniform(0, delay / 2)


def reason(exc: Exception) -> str:
    """What `last_error` says: what went wrong, never what the network looks like."""
    if isinstance(exc, Refused):
        return "not allowed or not found"
    if isinstance(exc, Unreadable):
        return "not sent: the service cannot read the signing secret"
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        return "TLS failed" if _caused_by_tls(exc) else "refused"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.DecodingError):
        return "invalid response"
    if isinstance(exc, httpx.NetworkError):
        return "connection lost"
    if isinstance(exc, ValueError):  # from parse, httpx or idna (UnicodeError)
        return "invalid URL"
    return "failed"


def _caused_by_tls(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, ssl.SSLError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def new_client(settings: Settings) -> httpx.AsyncClient:
    """No proxy from the environment, no redirects, and a new connection per send: a
    connection is made to an address checked for that send, under its subscriber's name."""
    return httpx.AsyncClient(
        timeout=settings.webhook_timeout_seconds,
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_keepalive_connections=0),
    )


class Dispatcher:
    def __init__(self, pool: asyncpg.Pool, settings: Settings, policy: WebhookPolicy) -> None:
        self.pool = pool
        self.settings = settings
        self.policy = policy
        self.http = new_client(settings)
        self.rng = random.Random()
        self.sending: dict[int, asyncio.Task[None]] = {}  # by subscription id

    @property
    def lease_seconds(self) -> float:
        return self.settings.webhook_timeout_seconds + LEASE_MARGIN_SECONDS

    async def run_once(self) -> int:
        """Number the committed events (which queues their deliveries); cancel the sends no
        longer wanted; start serving each subscription that has something due and no
        dispatcher. How many were started."""
        async with self.pool.acquire() as conn:
            # Queue the deliveries of the events committed since the last poll. An account
            # another transaction is numbering is skipped: this one's poll does not wait for it.
            for account_id in await events.accounts_to_number(conn):
                try:
                    await events.number_committed(conn, account_id=account_id, wait=False)
                except asyncpg.PostgresError:  # this account's, for the next poll to retry
                    logger.exception("numbering the events of account %s failed", account_id)
            if self.sending:
                wanted = await repository.still_wanted(conn, subscription_ids=list(self.sending))
                for subscription_id, task in self.sending.items():
                    if subscription_id not in wanted:
                        task.cancel()
            due = await repository.due_subscriptions(
                conn, limit=MAX_SENDING - len(self.sending), busy=list(self.sending)
            )
            started = 0
            for row in due:
                account_id, subscription_id = row["account_id"], row["subscription_id"]
                lease = await repository.lease(
                    conn,
                    account_id=account_id,
                    subscription_id=subscription_id,
                    seconds=self.lease_seconds,
                )
                if lease is None:  # another dispatcher was quicker
                    continue
                task = asyncio.create_task(self._serve(account_id, subscription_id, lease))
                self.sending[subscription_id] = task
                task.add_done_callback(functools.partial(self._done, subscription_id))
                started += 1
        return started

    def _done(self, subscription_id: int, task: asyncio.Task[None]) -> None:
        del self.sending[subscription_id]

    async def run_forever(self) -> None:
        try:
            while True:
                try:
                    await self.run_once()
                except Exception:  # the database away, or a bug: log it, keep the loop alive
                    logger.exception("webhook dispatch failed; retrying")
                await asyncio.sleep(self.settings.webhook_poll_seconds)
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Stop every send (their deliveries stay owed) and release their leases."""
        for task in list(self.sending.values()):
            task.cancel()
        await asyncio.gather(*self.sending.values(), return_exceptions=True)
        await self.http.aclose()

    async def _serve(self, account_id: int, subscription_id: int, lease: datetime) -> None:
        """Send the subscription's due heads, round after round, while it has some."""
        try:
            while await self._round(account_id, subscription_id):
                async with self.pool.acquire() as conn:
                    renewed = await repository.renew_lease(
                        conn,
                        account_id=account_id,
                        subscription_id=subscription_id,
                        lease=lease,
                        seconds=self.lease_seconds,
                    )
                if renewed is None:  # lapsed, or the account was disabled
                    return
                lease = renewed
        except Exception:  # the database away: a later round retries
            logger.exception("webhook subscription %s: serving failed", subscription_id)
        finally:
            await self._release(account_id, subscription_id, lease)

    async def _release(self, account_id: int, subscription_id: int, lease: datetime) -> None:
        try:
            async with self.pool.acquire() as conn:
                await repository.release_lease(
                    conn, account_id=account_id, subscription_id=subscription_id, lease=lease
                )
        except Exception as exc:  # it lapses on its own
            logger.warning("webhook subscription %s: lease not released (%r)", subscription_id, exc)

    async def _round(self, account_id: int, subscription_id: int) -> bool:
        """Send what is due to one subscription; whether anything was."""
        settings = self.settings
        key = {"account_id": account_id, "subscription_id": subscription_id}
        async with self.pool.acquire() as conn:
            await repository.bury_expired(
                conn, **key, give_up_seconds=settings.webhook_give_up_seconds
            )
            await repository.settle(conn, **key)
            heads = await repository.due_heads(conn, **key, limit=INVOICES_PER_ROUND)
        if not heads:
            return False
        errors = await asyncio.gather(*(self._send(subscription_id, head) for head in heads))
        async with self.pool.acquire() as conn:
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
        return True

    async def _send(self, subscription_id: int, head: asyncpg.Record) -> str | None:
        """None when the subscriber accepted the event (2xx), else what went wrong."""
        try:
            async with asyncio.timeout(self.settings.webhook_timeout_seconds):
                return await self._post(head)
        except Exception as exc:  # anything at all fails this delivery, and only it
            logger.info(
                "webhook delivery %s to subscription %s failed: %s (%s)",
                head["delivery_id"],
                subscription_id,
                reason(exc),
                type(exc).__name__,
            )
            return reason(exc)

    async def _post(self, head: asyncpg.Record) -> str | None:
        target = parse(head["url"])
        secrets = [head["secret"], *([head["previous_secret"]] if head["previous_secret"] else [])]
        body = to_json(Document(EVENT, with_cursor(head)))
        headers = {
            "Host": target.host_header,
            "Content-Type": "application/json",
            "Payments-Event-Id": str(head["id"]),
            "Payments-Event-Type": head["type"],
            HEADER: sign([self.policy.box.open(s) for s in secrets], int(time.time()), body),
        }
        *others, last = await self.policy.destinations.addresses(target)
        for address in others:  # the next address when one refuses the connection
            with contextlib.suppress(httpx.ConnectError):
                return await self._post_to(target, address, body, headers)
        return await self._post_to(target, last, body, headers)

    async def _post_to(
        self, target: Target, address: IPAddress, body: bytes, headers: dict[str, str]
    ) -> str | None:
        """POST to `address` as to the target's host (its Host header, TLS name and
        certificate); only the answer's status line and headers are read."""
        url = httpx.URL(
            scheme=target.scheme, host=str(address), port=target.port, raw_path=target.raw_path
        )
        named = target.scheme == "https" and target.address is None
        extensions = {"sni_hostname": target.host} if named else {}
        async with self.http.stream(
            "POST", url, content=body, headers=headers, extensions=extensions
        ) as response:
            return None if response.is_success else f"HTTP {response.status_code}"


async def dispatch(url: str, settings: Settings, policy: WebhookPolicy) -> None:
    """Run a dispatcher on its own small pool until cancelled."""
    pool = await connect_with_backoff(url, settings.model_copy(update={"db_pool_size": POOL_SIZE}))
    try:
        await Dispatcher(pool, settings, policy).run_forever()
    finally:
        await pool.close()
