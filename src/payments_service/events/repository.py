"""SQL for the event outbox. Every query is scoped by account."""

from decimal import Decimal

import asyncpg

COLUMNS = """id, ordering_xid, type, account_id, invoice_id, sequence, payment_id, payment_amount,
    amount, due_amount, state, currency, created_at"""

# The oldest transaction still running: every transaction numbered below it has ended.
HORIZON = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"


async def insert(
    conn: asyncpg.Connection,
    *,
    account_id: int,
    invoice: asyncpg.Record,
    types: list[str],
    payment_id: int | None,
    payment_amount: Decimal | None,
) -> None:
    """One row per type, numbered after the invoice's last event, each queued for every
    webhook subscription of the account: all in one statement.

    The caller holds the invoice row locked, so reading its last event here is race-free.
    """
    await conn.execute(
        """
        WITH new AS (
            INSERT INTO events (account_id, invoice_id, sequence, ordering_xid, type, payment_id,
                payment_amount, amount, due_amount, state, currency)
            SELECT $1, $2, coalesce(last.sequence, 0) + t.n,
                greatest(pg_current_xact_id()::text::bigint, last.ordering_xid),
                t.type, $4, $5, $6, $7, $8, $9
            FROM unnest($3::text[]) WITH ORDINALITY AS t(type, n)
            LEFT JOIN LATERAL (
                SELECT sequence, ordering_xid FROM events
                WHERE account_id = $1 AND invoice_id = $2
                ORDER BY sequence DESC LIMIT 1
            ) AS last ON true
            ORDER BY t.n
            RETURNING account_id, id, invoice_id, sequence
        )
        INSERT INTO webhook_deliveries (account_id, subscription_id, event_id, invoice_id, sequence)
        SELECT new.account_id, s.id, new.id, new.invoice_id, new.sequence
        FROM new JOIN webhook_subscriptions AS s ON s.account_id = new.account_id
        """,
        account_id,
        invoice["id"],
        types,
        payment_id,
        payment_amount,
        invoice["amount"],
        invoice["due_amount"],
        invoice["state"],
        invoice["currency"],
    )


async def list_after(
    conn: asyncpg.Connection, *, account_id: int, after: tuple[int, int], limit: int
) -> list[asyncpg.Record]:
    """Events after the `(ordering_xid, id)` position, only from transactions that have ended."""
    return await conn.fetch(
        f"""
        SELECT {COLUMNS} FROM events
        WHERE account_id = $1 AND (ordering_xid, id) > ($2, $3) AND ordering_xid < {HORIZON}
        ORDER BY ordering_xid, id
        LIMIT $4
        """,
        account_id,
        after[0],
        after[1],
        limit,
    )
