"""SQL for the event outbox. Every statement names the account, so on a sharded database each
runs on the account's shard alone.

An account's events are numbered by `position` in the order they are seen committed. A change
writes its events unnumbered, so writers of one account never wait for each other; whoever reads
the feed or sends webhooks first numbers what has committed since (`number_committed`), one
reader at a time per account (the account's row in `event_feeds` is locked while it does). A
number is therefore only handed out once every lower one is visible, and an event committed
later gets a higher one: a reader who sees an event sees every event before it. Nothing depends
on one server's transaction ids or sequences: the numbers live in the account's rows and move
with its shard.
"""

from collections.abc import Sequence
from decimal import Decimal
from functools import cache

import asyncpg

from payments_service.db.pool import Connection

COLUMNS = """id, position, type, account_id, invoice_id, sequence, payment_id, payment_amount,
    amount, due_amount, state, currency, created_at"""

# The invoice's last event number and the account's webhook subscriptions ("1,2"; as text, not
# an array: asyncpg looks an array type up once per connection, which takes most of a second
# on a Citus coordinator).
BEFORE_RECORDING = """
    SELECT coalesce(max(e.sequence), 0) AS last_sequence,
        (SELECT string_agg(s.id::text, ',') FROM webhook_subscriptions AS s
         WHERE s.account_id = $1) AS subscriptions
    FROM events AS e WHERE e.account_id = $1 AND e.invoice_id = $2
"""

# Locks the account's counter (made on first use) and answers it.
LOCK_FEED = """
    INSERT INTO event_feeds AS f (account_id, last_position) VALUES ($1, 0)
    ON CONFLICT (account_id) DO UPDATE SET last_position = f.last_position
    RETURNING last_position
"""

# Numbers the committed unnumbered events after $2, in id order: one change's events, and one
# invoice's changes, were inserted in their order (ids come from one sequence).
NUMBER = """
    UPDATE events AS e SET position = $2::bigint + n.rank
    FROM (
        SELECT id, row_number() OVER (ORDER BY id) AS rank
        FROM events WHERE account_id = $1 AND position IS NULL
    ) AS n
    WHERE e.account_id = $1 AND e.id = n.id
"""

ADVANCE_FEED = "UPDATE event_feeds SET last_position = $2 WHERE account_id = $1"


async def number_committed(conn: Connection, *, account_id: int) -> None:
    """Give the account's committed unnumbered events the next positions. The counter is locked
    before the events are read, so each of these statements sees every earlier numbering."""
    async with conn.transaction():
        last: int = await conn.fetchval(LOCK_FEED, account_id)
        status = await conn.execute(NUMBER, account_id, last)
        numbered = int(status.rsplit(" ", 1)[1])
        if numbered:
            await conn.execute(ADVANCE_FEED, account_id, last + numbered)


@cache
def insert_statement(count: int) -> str:
    """`count` events of one invoice, unnumbered: $1-$8 are the same for all (account, invoice,
    payment, its amount, the invoice's amounts, state, currency), $9 the first event's sequence,
    then one type per event."""
    rows = ", ".join(
        f"($1, $2, $9::bigint + {n}, ${10 + n}, $3, $4, $5, $6, $7, $8)" for n in range(count)
    )
    return f"""
        INSERT INTO events (account_id, invoice_id, sequence, type, payment_id,
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
        before["last_sequence"] + 1,
        *types,
    )
    if before["subscriptions"]:
        await conn.executemany(
            QUEUE_DELIVERY,
            [
                (account_id, int(subscription), event["id"], invoice["id"], event["sequence"])
                for event in recorded
                for subscription in before["subscriptions"].split(",")
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
