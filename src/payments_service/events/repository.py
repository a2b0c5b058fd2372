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

Numbering is also the webhook fan-out: the transaction that numbers events queues one delivery
per event and subscription of the account, so a change costs its writer the same whatever the
number of subscriptions. A subscription is made and deleted holding the same lock (see
`webhooks/service.py`): it is owed exactly the events numbered while it exists.
"""

from collections.abc import Sequence
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

# Locks the account's counter (made on first use) and answers it.
LOCK_FEED = statement("""
    INSERT INTO event_feeds AS f (account_id, last_position) VALUES (:account_id, 0)
    ON CONFLICT (account_id) DO UPDATE SET last_position = f.last_position
    RETURNING last_position
""")

# The same without waiting: nothing (NULL) while another transaction holds it.
MAKE_FEED = statement("""
    INSERT INTO event_feeds (account_id, last_position) VALUES (:account_id, 0)
    ON CONFLICT (account_id) DO NOTHING
""")
TRY_LOCK_FEED = statement("""
    SELECT last_position FROM event_feeds WHERE account_id = :account_id
    FOR UPDATE SKIP LOCKED
""")

# At most this many events are numbered at once, so that one account's backlog holds its
# numberer (and a dispatcher's poll) for a bounded time: a larger one takes several calls.
BATCH = 1000

# Numbers the first `BATCH` committed unnumbered events after `last`, in id order: one change's
# events, and one invoice's changes, were inserted in their order (ids come from one sequence).
NUMBER = statement("""
    UPDATE events AS e SET position = :last::bigint + n.rank
    FROM (
        SELECT id, row_number() OVER (ORDER BY id) AS rank
        FROM events WHERE account_id = :account_id AND position IS NULL
        ORDER BY id LIMIT :batch
    ) AS n
    WHERE e.account_id = :account_id AND e.id = n.id
    RETURNING e.id, e.invoice_id, e.sequence
""")

ADVANCE_FEED = statement(
    "UPDATE event_feeds SET last_position = :last WHERE account_id = :account_id"
)

SUBSCRIPTIONS = statement("SELECT id FROM webhook_subscriptions WHERE account_id = :account_id")

# Deliveries per statement at most: 4 parameters each, within the 32,767 asyncpg can bind.
MOST_QUEUED = 4096


@cache
def queue_statement(count: int) -> str:
    """`count` deliveries of the account $1, each (subscription, event, invoice, sequence). Rows
    with VALUES, not INSERT ... SELECT: Citus runs the latter through the coordinator (the
    delivery's id comes from a sequence) with a two-phase commit, the former on the account's
    shard alone."""
    rows = ", ".join(
        f"($1, ${4 * n + 2}, ${4 * n + 3}, ${4 * n + 4}, ${4 * n + 5})" for n in range(count)
    )
    return f"""
        INSERT INTO webhook_deliveries (account_id, subscription_id, event_id, invoice_id, sequence)
        VALUES {rows}
    """


async def queue_deliveries(
    conn: Connection, *, account_id: int, events: Sequence[asyncpg.Record]
) -> None:
    """One delivery of each event to each subscription of the account, in a few statements:
    the largest power of two at a time, so that a connection prepares few shapes."""
    subscriptions = await conn.fetch(*SUBSCRIPTIONS.bind(account_id=account_id))
    rows = [
        (s["id"], e["id"], e["invoice_id"], e["sequence"]) for e in events for s in subscriptions
    ]
    while rows:
        count = min(MOST_QUEUED, 1 << (len(rows).bit_length() - 1))
        chunk, rows = rows[:count], rows[count:]
        await conn.execute(queue_statement(count), account_id, *(v for row in chunk for v in row))


async def number_committed(conn: Connection, *, account_id: int, wait: bool = True) -> int:
    """Give up to `BATCH` of the account's committed unnumbered events the next positions and
    queue their webhook deliveries; how many. The counter is locked before the events are read,
    so each of these statements sees every earlier numbering. Without `wait`, nothing is done
    (0) while another transaction holds the counter."""
    async with conn.transaction():
        if wait:
            last: int | None = await conn.fetchval(*LOCK_FEED.bind(account_id=account_id))
        else:
            await conn.execute(*MAKE_FEED.bind(account_id=account_id))
            last = await conn.fetchval(*TRY_LOCK_FEED.bind(account_id=account_id))
        if last is None:
            return 0
        numbered = await conn.fetch(*NUMBER.bind(account_id=account_id, last=last, batch=BATCH))
        if numbered:
            await queue_deliveries(conn, account_id=account_id, events=numbered)
            await conn.execute(*ADVANCE_FEED.bind(account_id=account_id, last=last + len(numbered)))
        return len(numbered)


async def lock_feed(conn: Connection, *, account_id: int) -> None:
    """Hold the account's counter until the caller's transaction ends: nothing is numbered
    (nor fanned out) meanwhile."""
    await conn.execute(*LOCK_FEED.bind(account_id=account_id))


async def number_all_committed(conn: Connection, *, account_id: int) -> None:
    """Number every committed event of the account, batch after batch, in the caller's
    transaction: the counter stays locked until it ends."""
    while await number_committed(conn, account_id=account_id) == BATCH:
        pass


# Accounts with webhook subscriptions and events to number: from the subscriptions (few
# accounts), one probe each of ix_events_unnumbered, however many events other accounts have
# waiting. An account without subscriptions has nothing to queue: its events are numbered when
# its feed is read or a subscription is made, not by every poll (a busy account's would double
# its events' writes).
UNNUMBERED = statement("""
    SELECT s.account_id FROM (SELECT DISTINCT account_id FROM webhook_subscriptions) AS s
    WHERE EXISTS (SELECT FROM events AS e WHERE e.account_id = s.account_id
        AND e.position IS NULL)
""")


async def accounts_to_number(conn: Connection) -> list[int]:
    return [row["account_id"] for row in await conn.fetch(*UNNUMBERED.bind())]


@cache
def insert_statement(count: int) -> Statement:
    """`count` events of one invoice, unnumbered: all alike but for their sequence (from the
    first one's) and their type (`type0`, `type1`, ...)."""
    rows = ", ".join(
        f"(:account_id, :invoice_id, :first_sequence::bigint + {n}, :type{n}, "
        ":amount, :due_amount, :state, :currency)"
        for n in range(count)
    )
    return statement(f"""
        INSERT INTO events (account_id, invoice_id, sequence, type, amount, due_amount, state,
            currency)
        VALUES {rows}
    """)


async def record(
    conn: Connection,
    *,
    account_id: int,
    invoice: asyncpg.Record,
    types: Sequence[str],
) -> None:
    """The events of a change to `invoice` (its row after the change: id, amount, due_amount,
    state, currency), one per type, numbered after the invoice's last event (their webhook
    deliveries are queued when they get their positions). The caller holds the invoice row
    locked."""
    last_sequence: int = await conn.fetchval(
        *ADVANCE_SEQUENCE.bind(account_id=account_id, invoice_id=invoice["id"], count=len(types))
    )
    await conn.execute(
        *insert_statement(len(types)).bind(
            account_id=account_id,
            invoice_id=invoice["id"],
            first_sequence=last_sequence + 1,
            amount=invoice["amount"],
            due_amount=invoice["due_amount"],
            state=invoice["state"],
            currency=invoice["currency"],
            **{f"type{n}": type_ for n, type_ in enumerate(types)},
        )
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
