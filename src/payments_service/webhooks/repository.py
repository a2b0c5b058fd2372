"""SQL for webhook subscriptions and the deliveries owed to them. Scoped by account."""

import asyncpg

from payments_service.database import Connection
from payments_service.events.repository import COLUMNS as EVENT_COLUMNS

# Used where $1 is the account (named as such, not as s.account_id, so Citus sees one shard).
SUBSCRIPTION = """s.id, s.url, s.created_at,
    (SELECT count(*) FROM webhook_deliveries d
     WHERE d.account_id = $1 AND d.subscription_id = s.id AND d.state = 'pending')
     AS pending_deliveries,
    (SELECT count(*) FROM webhook_deliveries d
     WHERE d.account_id = $1 AND d.subscription_id = s.id AND d.state = 'dead')
     AS dead_deliveries,
    (SELECT d.last_error FROM webhook_deliveries d
     WHERE d.account_id = $1 AND d.subscription_id = s.id AND d.last_error IS NOT NULL
     ORDER BY d.invoice_id, d.sequence LIMIT 1) AS last_error"""

# A per-subscription session lock: one dispatcher at a time sends to a subscriber.
LOCK_KEY = "hashtextextended('payments_service.webhook', $1::bigint)"


async def insert(conn: Connection, *, account_id: int, url: str, secret: str) -> int:
    subscription_id: int = await conn.fetchval(
        "INSERT INTO webhook_subscriptions (account_id, url, secret) VALUES ($1, $2, $3) "
        "RETURNING id",
        account_id,
        url,
        secret,
    )
    return subscription_id


async def list_all(conn: Connection, *, account_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {SUBSCRIPTION} FROM webhook_subscriptions s WHERE s.account_id = $1 ORDER BY s.id",
        account_id,
    )


async def get(conn: Connection, *, account_id: int, subscription_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {SUBSCRIPTION} FROM webhook_subscriptions s WHERE s.account_id = $1 AND s.id = $2",
        account_id,
        subscription_id,
    )


async def delete(conn: Connection, *, account_id: int, subscription_id: int) -> bool:
    """Whether it existed; its owed deliveries go with it."""
    deleted = await conn.fetchval(
        "DELETE FROM webhook_subscriptions WHERE account_id = $1 AND id = $2 RETURNING id",
        account_id,
        subscription_id,
    )
    return deleted is not None


async def replay_dead(conn: Connection, *, account_id: int, subscription_id: int) -> None:
    await conn.execute(
        """
        UPDATE webhook_deliveries
        SET state = 'pending', attempts = 0, next_attempt_at = now(), failing_since = NULL
        WHERE account_id = $1 AND subscription_id = $2 AND state = 'dead'
        """,
        account_id,
        subscription_id,
    )


# The dispatcher's queries: not tied to one request's account, each names the subscription.


async def due_subscriptions(conn: Connection, *, limit: int) -> list[asyncpg.Record]:
    """Subscriptions with a pending delivery whose time has come, the longest waiting first.

    Deliveries queued behind a dead one of their invoice wait for its replay: not due.
    """
    return await conn.fetch(
        """
        SELECT account_id, subscription_id FROM webhook_deliveries d
        WHERE state = 'pending' AND next_attempt_at <= now() AND NOT EXISTS (
            SELECT FROM webhook_deliveries dead
            WHERE dead.account_id = d.account_id AND dead.subscription_id = d.subscription_id
              AND dead.invoice_id = d.invoice_id AND dead.state = 'dead'
        )
        GROUP BY account_id, subscription_id
        ORDER BY min(next_attempt_at)
        LIMIT $1
        """,
        limit,
    )


# The delivery due first, by the partial index on next_attempt_at: one index entry read
# however long the backlog (a scrape runs it).
OLDEST_DUE = """
    SELECT extract(epoch FROM now() - e.created_at)::float8
    FROM (
        SELECT account_id, event_id FROM webhook_deliveries
        WHERE state = 'pending' ORDER BY next_attempt_at LIMIT 1
    ) d
    JOIN events e ON e.account_id = d.account_id AND e.id = d.event_id
"""


async def oldest_pending_age(conn: Connection) -> float:
    """Seconds since the event behind the pending delivery due first was written (the oldest
    still owed, but for deliveries retried out of order); 0 when nothing is owed."""
    age: float | None = await conn.fetchval(OLDEST_DUE)
    return age or 0.0


async def try_lock(conn: Connection, *, subscription_id: int) -> bool:
    locked: bool = await conn.fetchval(f"SELECT pg_try_advisory_lock({LOCK_KEY})", subscription_id)
    return locked


async def unlock(conn: Connection, *, subscription_id: int) -> None:
    await conn.execute(f"SELECT pg_advisory_unlock({LOCK_KEY})", subscription_id)


async def bury_expired(
    conn: Connection, *, account_id: int, subscription_id: int, give_up_seconds: float
) -> None:
    """Pending deliveries that have been failing for longer than `give_up_seconds` go dead."""
    await conn.execute(
        """
        UPDATE webhook_deliveries SET state = 'dead'
        WHERE account_id = $1 AND subscription_id = $2 AND state = 'pending'
          AND failing_since < now() - make_interval(secs => $3)
        """,
        account_id,
        subscription_id,
        give_up_seconds,
    )


async def due_heads(
    conn: Connection, *, account_id: int, subscription_id: int, limit: int
) -> list[asyncpg.Record]:
    """Per invoice, the oldest delivery still owed, when it is pending and due: never a later
    event of an invoice before an earlier one succeeded (a dead one blocks its invoice)."""
    return await conn.fetch(
        f"""
        SELECT head.id AS delivery_id, head.attempts, s.url, s.secret, e.*
        FROM (
            SELECT DISTINCT ON (invoice_id) id, event_id, state, attempts, next_attempt_at
            FROM webhook_deliveries
            WHERE account_id = $1 AND subscription_id = $2
            ORDER BY invoice_id, sequence
        ) AS head
        JOIN webhook_subscriptions s ON s.account_id = $1 AND s.id = $2
        JOIN LATERAL (
            SELECT {EVENT_COLUMNS} FROM events WHERE account_id = $1 AND id = head.event_id
        ) AS e ON true
        WHERE head.state = 'pending' AND head.next_attempt_at <= now()
        ORDER BY head.next_attempt_at
        LIMIT $3
        """,
        account_id,
        subscription_id,
        limit,
    )


async def delivered(conn: Connection, *, account_id: int, delivery_id: int) -> None:
    await conn.execute(
        "DELETE FROM webhook_deliveries WHERE account_id = $1 AND id = $2", account_id, delivery_id
    )


async def failed(
    conn: Connection,
    *,
    account_id: int,
    delivery_id: int,
    retry_in: float,
    error: str,
) -> None:
    await conn.execute(
        """
        UPDATE webhook_deliveries SET attempts = attempts + 1,
            next_attempt_at = now() + make_interval(secs => $3), last_error = $4,
            failing_since = least(failing_since, now())  -- the first failure's time
        WHERE account_id = $1 AND id = $2
        """,
        account_id,
        delivery_id,
        retry_in,
        error,
    )
