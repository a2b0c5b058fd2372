"""Webhook subscription use cases, for the API and the CLI."""

from typing import Any

import asyncpg

from payments_service.database import Connection
from payments_service.errors import NotFound
from payments_service.webhooks import repository
from payments_service.webhooks.schemas import WebhookCreate
from payments_service.webhooks.signing import new_secret


def _shown(row: asyncpg.Record, secret: str | None = None) -> dict[str, Any]:
    """A subscription as the API shows it: the secret only once, when it is created."""
    return {**row, "secret": secret}


async def create_webhook(
    conn: Connection, *, account_id: int, data: WebhookCreate
) -> dict[str, Any]:
    """A new subscription to every event of the account from now on, with its signing secret."""
    secret = new_secret()
    subscription_id = await repository.insert(
        conn, account_id=account_id, url=data.url, secret=secret
    )
    row = await repository.get(conn, account_id=account_id, subscription_id=subscription_id)
    assert row is not None
    return _shown(row, secret)


async def list_webhooks(conn: Connection, *, account_id: int) -> list[dict[str, Any]]:
    return [_shown(row) for row in await repository.list_all(conn, account_id=account_id)]


async def get_webhook(conn: Connection, *, account_id: int, subscription_id: int) -> dict[str, Any]:
    row = await repository.get(conn, account_id=account_id, subscription_id=subscription_id)
    if row is None:
        raise NotFound(f"No webhook {subscription_id}")
    return _shown(row)


async def delete_webhook(conn: Connection, *, account_id: int, subscription_id: int) -> None:
    if not await repository.delete(conn, account_id=account_id, subscription_id=subscription_id):
        raise NotFound(f"No webhook {subscription_id}")


async def replay_dead(conn: Connection, *, account_id: int, subscription_id: int) -> dict[str, Any]:
    """Send the subscription's dead deliveries again, in order, with a fresh give-up clock."""
    await get_webhook(conn, account_id=account_id, subscription_id=subscription_id)
    await repository.replay_dead(conn, account_id=account_id, subscription_id=subscription_id)
    return await get_webhook(conn, account_id=account_id, subscription_id=subscription_id)
