"""SQL for payments. Every query is scoped by account; deleted payments stay as history."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import asyncpg

from payments_service.db.pool import Connection
from payments_service.domain.ledger import Ledger
from payments_service.invoices import repository as invoices

COLUMNS = (
    "id, invoice_id, amount, paid_at, notes, recorded_by, recorded_by_email, transaction_id, "
    "created_at, updated_at"
)
JOINED_COLUMNS = ", ".join(f"p.{column}" for column in COLUMNS.split(", "))  # as `p` in a join
# The live payments of one invoice, optionally only those updated since $3 (v2 lists).
LIVE_FILTER = """account_id = $1 AND invoice_id = $2 AND deleted_at IS NULL
    AND ($3::timestamptz IS NULL OR updated_at >= $3)"""


# The payments are a LATERAL subquery behind LIMIT, so they are found by the invoice row's
# id, not by $2: estimated alike for every invoice, PostgreSQL keeps one generic plan for the
# prepared statement. A plain join lets it estimate per invoice, and once one invoice holds many
# payments it plans every execution anew (measured: 80 -> 190 us of database CPU per list at
# 10^5 payments; this form stays at about 100 either way). The account is $1 in both, so that
# Citus sees one shard.
LIST_LIVE = f"""
    SELECT {JOINED_COLUMNS} FROM invoices AS i LEFT JOIN LATERAL (
        SELECT {COLUMNS} FROM payments
        WHERE account_id = $1 AND invoice_id = i.id AND deleted_at IS NULL AND id > $3
        ORDER BY id LIMIT $4
    ) AS p ON true
    WHERE i.account_id = $1 AND i.id = $2 AND i.deleted_at IS NULL ORDER BY p.id
"""


async def list_live(
    conn: Connection, *, account_id: int, invoice_id: int, after: int = 0, limit: int = 1000
) -> list[asyncpg.Record] | None:
    """At most `limit` live payments of the invoice with ids above `after`, oldest first; None
    when there is no such invoice. One query: no payment comes back as one row of NULLs."""
    rows = await conn.fetch(LIST_LIVE, account_id, invoice_id, after, limit)
    if not rows:
        return None
    return [] if rows[0]["id"] is None else rows


async def list_live_newest_first(
    conn: Connection,
    *,
    account_id: int,
    invoice_id: int,
    updated_since: datetime | None,
    before_id: int | None,
    offset: int,
    limit: int,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {COLUMNS} FROM payments WHERE {LIVE_FILTER} "
        "AND ($4::bigint IS NULL OR id < $4) ORDER BY id DESC OFFSET $5 LIMIT $6",
        account_id,
        invoice_id,
        updated_since,
        before_id,
        offset,
        limit,
    )


async def count_live(
    conn: Connection,
    *,
    account_id: int,
    invoice_id: int,
    updated_since: datetime | None,
    before_id: int | None,
) -> tuple[int, int]:
    """(how many match, how many of those come before the cursor `before_id`)."""
    row = await conn.fetchrow(
        f"SELECT count(*) AS total, count(*) FILTER (WHERE id >= $4) AS skipped "
        f"FROM payments WHERE {LIVE_FILTER}",
        account_id,
        invoice_id,
        updated_since,
        before_id,
    )
    assert row is not None
    return row["total"], row["skipped"]


async def has_live(conn: Connection, *, account_id: int, invoice_id: int) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT FROM payments "
        "WHERE account_id = $1 AND invoice_id = $2 AND deleted_at IS NULL)",
        account_id,
        invoice_id,
    )
    return found


async def get_live(
    conn: Connection, *, account_id: int, invoice_id: int, payment_id: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {COLUMNS} FROM payments "
        "WHERE account_id = $1 AND invoice_id = $2 AND id = $3 AND deleted_at IS NULL",
        account_id,
        invoice_id,
        payment_id,
    )


async def has_live_transaction(
    conn: Connection, *, account_id: int, invoice_id: int, transaction_id: str
) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT FROM payments WHERE account_id = $1 AND invoice_id = $2 "
        "AND transaction_id = $3 AND deleted_at IS NULL)",
        account_id,
        invoice_id,
        transaction_id,
    )
    return found


INSERT = f"""
    INSERT INTO payments (account_id, invoice_id, amount, paid_at, notes, recorded_by,
        recorded_by_email, transaction_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (account_id, invoice_id, transaction_id)
        WHERE transaction_id IS NOT NULL AND deleted_at IS NULL DO NOTHING
    RETURNING {COLUMNS}
"""


async def insert(
    conn: Connection,
    *,
    account_id: int,
    invoice_id: int,
    amount: Decimal,
    paid_at: datetime,
    notes: str | None,
    recorded_by: str,
    recorded_by_email: str,
    transaction_id: str | None,
    ledger: Ledger,
    event_types: Sequence[str],
) -> asyncpg.Record | None:
    """The new payment, stored with the invoice's new balance (`ledger`) and the change's
    events; None, and nothing written, when a live payment on the invoice has this transaction
    id. The caller holds the invoice row locked."""
    payment = await conn.fetchrow(
        INSERT,
        account_id,
        invoice_id,
        amount,
        paid_at,
        notes,
        recorded_by,
        recorded_by_email,
        transaction_id,
    )
    if payment is not None:
        await invoices.save_ledger(
            conn,
            account_id=account_id,
            invoice_id=invoice_id,
            ledger=ledger,
            event_types=event_types,
            payment_id=payment["id"],
            payment_amount=amount,
            paid_at=paid_at,
        )
    return payment


async def soft_delete(
    conn: Connection, *, account_id: int, invoice_id: int, payment_id: int, by_email: str
) -> Decimal | None:
    """The deleted payment's amount, or None when there was no such live payment."""
    amount: Decimal | None = await conn.fetchval(
        """
        UPDATE payments SET deleted_at = now(), deleted_by_email = $4, updated_at = now()
        WHERE account_id = $1 AND invoice_id = $2 AND id = $3 AND deleted_at IS NULL
        RETURNING amount
        """,
        account_id,
        invoice_id,
        payment_id,
        by_email,
    )
    return amount
