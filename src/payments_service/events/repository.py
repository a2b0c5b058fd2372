"""SQL for the event outbox. Every statement names the account, so on a sharded database each
runs on the account's shard alone.

An account's events are numbered by `position` in the order their transactions commit: the
account's row in `event_feeds` hands out positions and stays locked until the transaction ends,
so a position is only taken once every lower one has committed (or been given back by a
rollback). A reader who sees an event therefore sees every event before it. Nothing depends on
one server's transaction ids or sequences: the numbers live in the account's rows and move with
its shard.
"""

from collections.abc import Sequence
from decimal import Decimal
from functools import cache

import asyncpg

from payments_service.database import Connection

COLUMNS = """id, position, type, account_id, invoice_id, sequence, payment_id, payment_amount,
    amount, due_amount, state, currency, created_at"""

# The invoice's last event number and the account's webhook subscriptions.
BEFORE_RECORDING = """
    SELECT coalesce(max(e.sequence), 0) AS last_sequence,
        ARRAY(SELECT s.id FROM webhook_subscriptions AS s WHERE s.account_id = $1 ORDER BY s.id)
        AS subscriptions
    FROM events AS e WHERE e.account_id = $1 AND e.invoice_id = $2
"""

# Takes $2 positions and answers the last of them. Holds the account's row until the
# transaction ends (the caller already holds the invoice's row: always in that order).
RESERVE = """
    INSERT INTO event_feeds AS f (account_id, last_position) VALUES ($1, $2)
    ON CONFLICT (account_id) DO UPDATE SET last_position = f.last_position + excluded.last_position
    RETURNING last_position
"""


@cache
def insert_statement(count: int) -> str:
    """`count` events of one invoice: $1-$8 are the same for all (account, invoice, payment,
    its amount, the invoice's amounts, state, currency), $9 and $10 the first event's position
    and sequence, then one type per event."""
    rows = ", ".join(
        f"($1, $2, $9::bigint + {n}, $10::bigint + {n}, ${11 + n}, $3, $4, $5, $6, $7, $8)"
        for n in range(count)
    )
    return f"""
        INSERT INTO events (account_id, invoice_id, position, sequence, type, payment_id,
            payment_amount, amount, due_amount, state, currency)
        VALUES {rows}
        RETURNING id, sequence
    """


# One delivery of one event to one subscription. Rows with VALUES, not INSERT ... SELECT: Citus
# runs the latter through the coordinator (the delivery's id comes from a sequence), with a
# two-phase commit.
QUEUE_DELIVERY = """
    INSERT INTO webhook_deliveries (account_id, subscription_id, event_id, invoice_id, sequence)
    VALUES ($1, $2, $3, $4, $5)
"""


async def record(
    conn: Connection,
    *,
    account_id: int,
    invoice: asyncpg.Record,
    types: Sequence[str],
    payment_id: int | None,
    payment_amount: Decimal | None,
) -> None:
    """The events of a change to `invoice` (its row after the change: id, amount, due_amount,
    state, currency), one per type, numbered after the invoice's last event and queued for
    every webhook subscription of the account. The caller holds the invoice row locked, so
    reading its last event here is race-free."""
    before = await conn.fetchrow(BEFORE_RECORDING, account_id, invoice["id"])
    assert before is not None  # an aggregate: one row
    last_position: int = await conn.fetchval(RESERVE, account_id, len(types))
    recorded = await conn.fetch(
        insert_statement(len(types)),
        account_id,
        invoice["id"],
        payment_id,
        payment_amount,
        invoice["amount"],
        invoice["due_amount"],
        invoice["state"],
        invoice["currency"],
        last_position - len(types) + 1,
        before["last_sequence"] + 1,
        *types,
    )
    if before["subscriptions"]:
        await conn.executemany(
            QUEUE_DELIVERY,
            [
                (account_id, subscription, event["id"], invoice["id"], event["sequence"])
                for event in recorded
                for subscription in before["subscriptions"]
            ],
        )


async def list_after(
    conn: Connection, *, account_id: int, after: tuple[int, int], limit: int
) -> list[asyncpg.Record]:
    """Events after the `(position, id)` cursor. Every one the reader can see is committed and
    so is every one before it (see above): nothing is held back."""
    return await conn.fetch(
        f"""
        SELECT {COLUMNS} FROM events
        WHERE account_id = $1 AND (position, id) > ($2, $3)
        ORDER BY position, id
        LIMIT $4
        """,
        account_id,
        after[0],
        after[1],
        limit,
    )
