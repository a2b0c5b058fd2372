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
from payments_service.db.statement import Statement, statement

COLUMNS = """id, position, type, account_id, invoice_id, sequence, payment_id, payment_amount,
    amount, due_amount, state, currency, created_at"""

# Moves the invoice's event counter on by :count and answers the number before (the invoice row
# is locked by the caller, so the numbers are the invoice's next ones).
ADVANCE_SEQUENCE = statement("""
    UPDATE invoices SET last_event_sequence = last_event_sequence + :count
    WHERE account_id = :account_id AND id = :invoice_id
    RETURNING last_event_sequence - :count
""")

# The account's webhook subscriptions ("1,2"; as text, not an array: asyncpg looks an array
# type up once per connection, which takes most of a second on a Citus coordinator).
SUBSCRIPTIONS = statement("""
    SELECT string_agg(s.id::text, ',') FROM webhook_subscriptions AS s
    WHERE s.account_id = :account_id
""")

# Locks the account's counter (made on first use) and answers it.
LOCK_FEED = statement("""
    INSERT INTO event_feeds AS f (account_id, last_position) VALUES (:account_id, 0)
    ON CONFLICT (account_id) DO UPDATE SET last_position = f.last_position
    RETURNING last_position
""")

# Numbers the committed unnumbered events after `last`, in id order: one change's events, and
# one invoice's changes, were inserted in their order (ids come from one sequence).
NUMBER = statement("""
    UPDATE events AS e SET position = :last::bigint + n.rank
    FROM (
        SELECT id, row_number() OVER (ORDER BY id) AS rank
        FROM events WHERE account_id = :account_id AND position IS NULL
    ) AS n
    WHERE e.account_id = :account_id AND e.id = n.id
""")

ADVANCE_FEED = statement(
    "UPDATE event_feeds SET last_position = :last WHERE account_id = :account_id"
)


async def number_committed(conn: Connection, *, account_id: int) -> None:
    """Give the account's committed unnumbered events the next positions. The counter is locked
    before the events are read, so each of these statements sees every earlier numbering."""
    async with conn.transaction():
        last: int = await conn.fetchval(*LOCK_FEED.bind(account_id=account_id))
        status = await conn.execute(*NUMBER.bind(account_id=account_id, last=last))
        numbered = int(status.rsplit(" ", 1)[1])
        if numbered:
            await conn.execute(*ADVANCE_FEED.bind(account_id=account_id, last=last + numbered))


@cache
def insert_statement(count: int) -> Statement:
    """`count` events of one invoice, unnumbered: all alike but for their sequence (from the
    first one's) and their type (`type0`, `type1`, ...)."""
    rows = ", ".join(
        f"(:account_id, :invoice_id, :first_sequence::bigint + {n}, :type{n}, :payment_id, "
        ":payment_amount, :amount, :due_amount, :state, :currency)"
        for n in range(count)
    )
    return statement(f"""
        INSERT INTO events (account_id, invoice_id, sequence, type, payment_id,
            payment_amount, amount, due_amount, state, currency)
        VALUES {rows}
        RETURNING id, sequence
    """)


# One delivery of one event to one subscription. Rows with VALUES, not INSERT ... SELECT: Citus
# runs the latter through the coordinator (the delivery's id comes from a sequence), with a
# two-phase commit.
QUEUE_DELIVERY = statement("""
    INSERT INTO webhook_deliveries (account_id, subscription_id, event_id, invoice_id, sequence)
    VALUES (:account_id, :subscription_id, :event_id, :invoice_id, :sequence)
""")


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
    every webhook subscription of the account. The caller holds the invoice row locked."""
    last_sequence: int = await conn.fetchval(
        *ADVANCE_SEQUENCE.bind(account_id=account_id, invoice_id=invoice["id"], count=len(types))
    )
    subscriptions: str | None = await conn.fetchval(*SUBSCRIPTIONS.bind(account_id=account_id))
    recorded = await conn.fetch(
        *insert_statement(len(types)).bind(
            account_id=account_id,
            invoice_id=invoice["id"],
            first_sequence=last_sequence + 1,
            payment_id=payment_id,
            payment_amount=payment_amount,
            amount=invoice["amount"],
            due_amount=invoice["due_amount"],
            state=invoice["state"],
            currency=invoice["currency"],
            **{f"type{n}": type_ for n, type_ in enumerate(types)},
        )
    )
    if subscriptions:
        await conn.executemany(
            QUEUE_DELIVERY.sql,
            [
                QUEUE_DELIVERY.args(
                    account_id=account_id,
                    subscription_id=int(subscription),
                    event_id=event["id"],
                    invoice_id=invoice["id"],
                    sequence=event["sequence"],
                )
                for event in recorded
                for subscription in subscriptions.split(",")
            ],
        )


LIST_AFTER = statement(f"""
    SELECT {COLUMNS} FROM events
    WHERE account_id = :account_id AND (position, id) > (:position, :id)
    ORDER BY position, id
    LIMIT :limit
""")


async def list_after(
    conn: Connection, *, account_id: int, after: tuple[int, int], limit: int
) -> list[asyncpg.Record]:
    """Events after the `(position, id)` cursor. Every one the reader can see is committed and
    so is every one before it (see above): nothing is held back."""
    return await conn.fetch(
        *LIST_AFTER.bind(account_id=account_id, position=after[0], id=after[1], limit=limit)
    )
