"""SQL for webhook subscriptions and the deliveries owed to them. Scoped by account."""

from datetime import datetime

import asyncpg

from payments_service.db.pool import Connection
from payments_service.events.repository import COLUMNS as EVENT_COLUMNS

# Used where $1 is the account (named as such, not as s.account_id, so Citus sees one shard).
# Pending: its queued deliveries, and the events not yet numbered, which will be queued for it.
SUBSCRIPTION = """s.id, s.url, s.created_at,
    (SELECT count(*) FROM webhook_deliveries d
     WHERE d.account_id = $1 AND d.subscription_id = s.id AND d.state = 'pending')
     + (SELECT count(*) FROM events e WHERE e.account_id = $1 AND e.position IS NULL)
     AS pending_deliveries,
    (SELECT count(*) FROM webhook_deliveries d
     WHERE d.account_id = $1 AND d.subscription_id = s.id AND d.state = 'dead')
     AS dead_deliveries,
    (SELECT d.last_error FROM webhook_deliveries d
     WHERE d.account_id = $1 AND d.subscription_id = s.id AND d.last_error IS NOT NULL
     ORDER BY d.invoice_id, d.sequence LIMIT 1) AS last_error,
    CASE WHEN s.previous_secret_expires_at > now() THEN s.previous_secret_expires_at END
     AS previous_secret_expires_at"""

# Taken by a transaction that adds a subscription, so that two cannot both pass the limit.
ADD_LOCK_KEY = "hashtextextended('payments_service.webhook_add', $1::bigint)"


async def insert(conn: Connection, *, account_id: int, url: str, secret: str) -> int:
    subscription_id: int = await conn.fetchval(
        "INSERT INTO webhook_subscriptions (account_id, url, secret) VALUES ($1, $2, $3) "
        "RETURNING id",
        account_id,
        url,
        secret,
    )
    return subscription_id


async def count_locked(conn: Connection, *, account_id: int) -> int:
    """The account's subscriptions, counted under a lock held until the transaction ends."""
    await conn.execute(f"SELECT pg_advisory_xact_lock({ADD_LOCK_KEY})", account_id)
    count: int = await conn.fetchval(
        "SELECT count(*) FROM webhook_subscriptions WHERE account_id = $1", account_id
    )
    return count


async def rotate(
    conn: Connection, *, account_id: int, subscription_id: int, secret: str, grace_seconds: float
) -> bool:
    """The secret becomes the previous one, valid `grace_seconds` more; whether it existed."""
    rotated = await conn.fetchval(
        """
        UPDATE webhook_subscriptions SET previous_secret = secret, secret = $3,
            previous_secret_expires_at = now() + make_interval(secs => $4)
        WHERE account_id = $1 AND id = $2 RETURNING id
        """,
        account_id,
        subscription_id,
        secret,
        grace_seconds,
    )
    return rotated is not None


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
    """Dead deliveries pending again, and what waited behind them due."""
    await conn.execute(
        """
        UPDATE webhook_deliveries
        SET state = 'pending', attempts = 0, next_attempt_at = now(), failing_since = NULL
        WHERE account_id = $1 AND subscription_id = $2
          AND (state = 'dead' OR next_attempt_at = 'infinity')
        """,
        account_id,
        subscription_id,
    )


# The dispatcher's queries: not tied to one request's account, each names the subscription.
# A dispatcher leases a subscription (`leased_until`) while it sends to it; a lease that was not
# released (its dispatcher died) lapses on its own.


def as_text(ids: list[int]) -> list[str]:
    """Ids for a `$n::text[]::bigint[]` parameter. asyncpg knows text[] but looks a bigint[]
    up on each new connection, which takes 0.7 s on a Citus coordinator (2.3-2.8 s beside a
    busy test suite): the dispatcher paid it on every new pool connection."""
    return [str(i) for i in ids]


# Subscriptions of enabled accounts with a delivery due and no lease, the longest waiting
# first: $1 at most, none of the ids in $2. One index probe per subscription
# (ix_webhook_deliveries_due), whatever the backlog.
DUE = """
    SELECT s.account_id, s.id AS subscription_id
    FROM webhook_subscriptions s
    JOIN accounts a ON a.id = s.account_id
    CROSS JOIN LATERAL (
        SELECT d.next_attempt_at FROM webhook_deliveries d
        WHERE d.account_id = s.account_id AND d.subscription_id = s.id AND d.state = 'pending'
        ORDER BY d.next_attempt_at LIMIT 1
    ) AS next
    WHERE a.is_active AND next.next_attempt_at <= now()
      AND (s.leased_until IS NULL OR s.leased_until < now())
      AND s.id <> ALL($2::text[]::bigint[])
    ORDER BY next.next_attempt_at
    LIMIT $1
"""


# Whatever the statistics say: a plan that sorts a subscription's deliveries (after a scan of
# the table or of the primary key) then costs more than any other, and the only plan without
# that sort reads them in order from ix_webhook_deliveries_due.
DUE_PLANNER = "SET LOCAL enable_sort = off"


async def due_subscriptions(
    conn: Connection, *, limit: int, busy: list[int]
) -> list[asyncpg.Record]:
    """Subscriptions to serve (see DUE); a delivery waiting behind its invoice's earlier one is
    never due before it (see `settle`)."""
    async with conn.transaction():
        await conn.execute(DUE_PLANNER)
        return await conn.fetch(DUE, limit, as_text(busy))


async def lease(
    conn: Connection, *, account_id: int, subscription_id: int, seconds: float
) -> datetime | None:
    """The subscription leased for `seconds`, unless another dispatcher holds it."""
    leased: datetime | None = await conn.fetchval(
        """
        UPDATE webhook_subscriptions SET leased_until = now() + make_interval(secs => $3)
        WHERE account_id = $1 AND id = $2 AND (leased_until IS NULL OR leased_until < now())
        RETURNING leased_until
        """,
        account_id,
        subscription_id,
        seconds,
    )
    return leased


async def renew_lease(
    conn: Connection, *, account_id: int, subscription_id: int, lease: datetime, seconds: float
) -> datetime | None:
    """The lease extended, or None when it is no longer ours or the account was disabled."""
    renewed: datetime | None = await conn.fetchval(
        """
        UPDATE webhook_subscriptions s SET leased_until = now() + make_interval(secs => $4)
        FROM accounts a
        WHERE s.account_id = $1 AND s.id = $2 AND s.leased_until = $3
          AND a.id = s.account_id AND a.is_active
        RETURNING s.leased_until
        """,
        account_id,
        subscription_id,
        lease,
        seconds,
    )
    return renewed


async def release_lease(
    conn: Connection, *, account_id: int, subscription_id: int, lease: datetime
) -> None:
    await conn.execute(
        "UPDATE webhook_subscriptions SET leased_until = NULL "
        "WHERE account_id = $1 AND id = $2 AND leased_until = $3",
        account_id,
        subscription_id,
        lease,
    )


async def still_wanted(conn: Connection, *, subscription_ids: list[int]) -> set[int]:
    """Which of these subscriptions still exist, in enabled accounts."""
    rows = await conn.fetch(
        "SELECT s.id FROM webhook_subscriptions s JOIN accounts a ON a.id = s.account_id "
        "WHERE s.id = ANY($1::text[]::bigint[]) AND a.is_active",
        as_text(subscription_ids),
    )
    return {row["id"] for row in rows}


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


# The oldest event not numbered yet (so not yet queued) of each account with subscriptions,
# the first by id in ix_events_unnumbered (ids grow with time): one probe per such account,
# however many events accounts without subscriptions have waiting.
OLDEST_UNNUMBERED = """
    SELECT extract(epoch FROM now() - min(first.created_at))::float8
    FROM (SELECT DISTINCT account_id FROM webhook_subscriptions) AS s
    CROSS JOIN LATERAL (
        SELECT e.created_at FROM events AS e
        WHERE e.account_id = s.account_id AND e.position IS NULL
        ORDER BY e.id LIMIT 1
    ) AS first
"""


async def oldest_pending_age(conn: Connection) -> float:
    """Seconds since the oldest event still owed to a subscriber was written: the one behind
    the pending delivery due first (but for deliveries retried out of order), or one not
    queued yet; 0 when nothing is owed."""
    due: float | None = await conn.fetchval(OLDEST_DUE)
    unqueued: float | None = await conn.fetchval(OLDEST_UNNUMBERED)
    return max(due or 0.0, unqueued or 0.0)


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


async def settle(conn: Connection, *, account_id: int, subscription_id: int) -> None:
    """Due deliveries behind their invoice's earlier one take its time: never (infinity)
    behind a dead one, its retry time behind a failing one. So a subscription is due only when
    something of it can be sent."""
    await conn.execute(
        """
        UPDATE webhook_deliveries d SET next_attempt_at =
            -- a searched CASE: Citus deparses `CASE head.state WHEN ...` wrongly (text = bool)
            CASE WHEN head.state = 'dead' THEN 'infinity' ELSE head.next_attempt_at END
        FROM webhook_deliveries d2
        CROSS JOIN LATERAL (
            SELECT h.id, h.state, h.next_attempt_at FROM webhook_deliveries h
            WHERE h.account_id = $1 AND h.subscription_id = $2 AND h.invoice_id = d2.invoice_id
            ORDER BY h.sequence LIMIT 1
        ) AS head
        WHERE d2.account_id = $1 AND d2.subscription_id = $2 AND d2.state = 'pending'
          AND d2.next_attempt_at <= now() AND head.id <> d2.id
          AND (head.state = 'dead' OR head.next_attempt_at > now())
          AND d.account_id = $1 AND d.id = d2.id
        """,
        account_id,
        subscription_id,
    )


async def due_heads(
    conn: Connection, *, account_id: int, subscription_id: int, limit: int
) -> list[asyncpg.Record]:
    """Per invoice, the oldest delivery still owed, when it is pending and due: never a later
    event of an invoice before an earlier one succeeded (a dead one blocks its invoice). An
    event not yet numbered waits for the next round (its cursor is part of the payload)."""
    return await conn.fetch(
        f"""
        SELECT head.id AS delivery_id, head.attempts, s.url, s.secret,
            CASE WHEN s.previous_secret_expires_at > now() THEN s.previous_secret END
             AS previous_secret,
            e.*
        FROM (
            SELECT DISTINCT ON (invoice_id) id, event_id, state, attempts, next_attempt_at
            FROM webhook_deliveries
            WHERE account_id = $1 AND subscription_id = $2
            ORDER BY invoice_id, sequence
        ) AS head
        JOIN webhook_subscriptions s ON s.account_id = $1 AND s.id = $2
        JOIN LATERAL (
            SELECT {EVENT_COLUMNS} FROM events
            WHERE account_id = $1 AND id = head.event_id AND position IS NOT NULL
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
