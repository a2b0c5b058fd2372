"""Webhook subscription use cases, for the API and the CLI."""

from typing import Any

import asyncpg

from payments_service.db.pool import Connection
from payments_service.errors import NotFound, Unprocessable
from payments_service.events import repository as events
from payments_service.webhooks import repository
from payments_service.webhooks.destinations import Admitted, Refused
from payments_service.webhooks.policy import WebhookPolicy
from payments_service.webhooks.signing import new_secret


def _shown(row: asyncpg.Record, secret: str | None = None) -> dict[str, Any]:
    """A subscription as the API shows it: the secret only once, when it is created."""
    return {**row, "secret": secret}


async def _with_secret(
    conn: Connection, account_id: int, subscription_id: int, secret: str
) -> dict[str, Any]:
    row = await repository.get(conn, account_id=account_id, subscription_id=subscription_id)
    assert row is not None
    return _shown(row, secret)


async def admit(policy: WebhookPolicy, url: str) -> Admitted:
    """`url` checked as a destination (before any transaction: it may look the host up)."""
    try:
        return await policy.destinations.admit(url)
    except Refused:
        raise Unprocessable(
            "Webhooks cannot be sent to this host: it is (or resolves to) a loopback, private, "
            "link-local, multicast or cloud metadata address",
            code="destination_not_allowed",
            field="url",
        ) from None


async def create_webhook(
    conn: Connection, *, account_id: int, url: Admitted, policy: WebhookPolicy
) -> dict[str, Any]:
    """A new subscription to every event of the account from now on, with its signing secret."""
    if await repository.count_locked(conn, account_id=account_id) >= policy.max_per_account:
        raise Unprocessable(
            f"An account has at most {policy.max_per_account} webhooks; delete one first",
            code="too_many_webhooks",
            field="url",
        )
    # The events committed so far are numbered (and fanned out) without it, and the account's
    # counter stays locked until it is committed: it is owed the events numbered after.
    await events.number_all_committed(conn, account_id=account_id)
    secret = new_secret()
    subscription_id = await repository.insert(
        conn, account_id=account_id, url=url, secret=policy.box.seal(secret)
    )
    return await _with_secret(conn, account_id, subscription_id, secret)


async def list_webhooks(conn: Connection, *, account_id: int) -> list[dict[str, Any]]:
    return [_shown(row) for row in await repository.list_all(conn, account_id=account_id)]


async def get_webhook(conn: Connection, *, account_id: int, subscription_id: int) -> dict[str, Any]:
    row = await repository.get(conn, account_id=account_id, subscription_id=subscription_id)
    if row is None:
        raise NotFound(f"No webhook {subscription_id}")
    return _shown(row)


async def delete_webhook(conn: Connection, *, account_id: int, subscription_id: int) -> None:
    # Not while events are fanned out to it (their deliveries would name a deleted row).
    await events.lock_feed(conn, account_id=account_id)
    if not await repository.delete(conn, account_id=account_id, subscription_id=subscription_id):
        raise NotFound(f"No webhook {subscription_id}")


async def replay_dead(conn: Connection, *, account_id: int, subscription_id: int) -> dict[str, Any]:
    """Send the subscription's dead deliveries again, in order, with a fresh give-up clock."""
    await get_webhook(conn, account_id=account_id, subscription_id=subscription_id)
    await repository.replay_dead(conn, account_id=account_id, subscription_id=subscription_id)
    return await get_webhook(conn, account_id=account_id, subscription_id=subscription_id)


async def rotate_secret(
    conn: Connection, *, account_id: int, subscription_id: int, policy: WebhookPolicy
) -> dict[str, Any]:
    """A new signing secret, shown this once; the old one still signs for the grace period."""
    secret = new_secret()
    if not await repository.rotate(
        conn,
        account_id=account_id,
        subscription_id=subscription_id,
        secret=policy.box.seal(secret),
        grace_seconds=policy.grace_seconds,
    ):
        raise NotFound(f"No webhook {subscription_id}")
    return await _with_secret(conn, account_id, subscription_id, secret)


async def oldest_pending_age(conn: Connection) -> float:
    """Seconds the deliveries due first have waited (the outbox lag); 0 when nothing is owed."""
    return await repository.oldest_pending_age(conn)
