"""SQL for the event outbox. Every query is scoped by account."""

from collections.abc import Sequence

import asyncpg

from payments_service.database import Connection

COLUMNS = """id, ordering_xid, type, account_id, invoice_id, sequence, payment_id, payment_amount,
    amount, due_amount, state, currency, created_at"""

# The oldest transaction still running: every transaction numbered below it has ended.
HORIZON = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"


def recorded(*, invoice: str, types: str, payment_id: str, payment_amount: str) -> str:
    """Two CTEs for a statement that changes an invoice: its events, one row per type in
    `types` (a text[]), numbered after the invoice's last event and each queued for every webhook
    subscription of the account. `invoice` names a CTE of the invoice's row after the change
    (account_id, id, amount, due_amount, state, currency); no row there, no events.

    The caller holds the invoice row locked, so reading its last event here is race-free.
    """
    return f"""
        new_events AS (
            INSERT INTO events (account_id, invoice_id, sequence, ordering_xid, type, payment_id,
                payment_amount, amount, due_amount, state, currency)
            SELECT i.account_id, i.id, coalesce(last.sequence, 0) + t.n,
                greatest(pg_current_xact_id()::text::bigint, last.ordering_xid),
                t.type, {payment_id}, {payment_amount}, i.amount, i.due_amount, i.state,
                i.currency
            FROM {invoice} AS i CROSS JOIN unnest({types}::text[]) WITH ORDINALITY AS t(type, n)
            LEFT JOIN LATERAL (
                SELECT sequence, ordering_xid FROM events
                WHERE account_id = i.account_id AND invoice_id = i.id
                ORDER BY sequence DESC LIMIT 1
            ) AS last ON true
            ORDER BY t.n
            RETURNING account_id, id, invoice_id, sequence
        ),
        new_deliveries AS (
            INSERT INTO webhook_deliveries (account_id, subscription_id, event_id, invoice_id,
                sequence)
            SELECT e.account_id, s.id, e.id, e.invoice_id, e.sequence
            FROM new_events AS e JOIN webhook_subscriptions AS s ON s.account_id = e.account_id
        )"""


# The events of a change that leaves the balance alone: the invoice's row after it is $1, $2,
# $4-$7 and the event types $3 (built once).
INSERT = f"""
    WITH invoice AS (
        SELECT $1::bigint AS account_id, $2::bigint AS id, $4::numeric AS amount,
            $5::numeric AS due_amount, $6::text AS state, $7::text AS currency
    ), {recorded(invoice="invoice", types="$3", payment_id="NULL", payment_amount="NULL")}
    SELECT
"""


async def insert(
    conn: Connection,
    *,
    account_id: int,
    invoice: asyncpg.Record,
    types: Sequence[str],
) -> None:
    """The events of a change that leaves the balance alone (`invoice` is the row after it)."""
    await conn.execute(
        INSERT,
        account_id,
        invoice["id"],
        types,
        invoice["amount"],
        invoice["due_amount"],
        invoice["state"],
        invoice["currency"],
    )


async def list_after(
    conn: Connection, *, account_id: int, after: tuple[int, int], limit: int
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
