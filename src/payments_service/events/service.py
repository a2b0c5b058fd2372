"""Emitting events in the caller's transaction, and reading the feed.

Every change to an invoice or its payments calls `emit` once, inside the transaction that holds
the invoice row locked, so an event exists exactly when its change committed, and each invoice's
events are numbered 1, 2, 3, ... in the order the changes happened.
"""

import re
from typing import Any

import asyncpg

from payments_service.db.pool import Connection
from payments_service.errors import Unprocessable
from payments_service.events import repository
from payments_service.events.catalog import EventType, event_types

CURSOR = re.compile(r"([0-9]{1,18})-([0-9]{1,18})")
START = (0, 0)


async def emit(
    conn: Connection,
    *,
    account_id: int,
    change: EventType,
    invoice: asyncpg.Record,
    before: str | None,
) -> None:
    """Record `change` to `invoice` (its row after the change; `before` its state before).
    A payment's events are written by `record_payment` and `delete_payment`, in the database."""
    await repository.record(
        conn,
        account_id=account_id,
        invoice=invoice,
        types=event_types(change, before, invoice["state"]),
    )


def with_cursor(event: asyncpg.Record) -> dict[str, Any]:
    """The event as the feed and webhooks show it: with its cursor."""
    return {**event, "cursor": f"{event['position']}-{event['id']}"}


def parse_cursor(text: str | None) -> tuple[int, int]:
    if text is None:
        return START
    match = CURSOR.fullmatch(text)
    if match is None:
        raise Unprocessable(
            "after must be the cursor of an event, as the feed gave it", field="after"
        )
    return int(match[1]), int(match[2])


async def list_events(
    conn: Connection, *, account_id: int, after: str | None, limit: int
) -> list[dict[str, Any]]:
    """The account's events after the cursor, oldest first, each with its own cursor."""
    cursor = parse_cursor(after)
    await repository.number_committed(conn, account_id=account_id)
    rows = await repository.list_after(conn, account_id=account_id, after=cursor, limit=limit)
    return [with_cursor(row) for row in rows]
