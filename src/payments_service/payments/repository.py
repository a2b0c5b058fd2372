"""SQL for payments. Every query is scoped by account; deleted payments stay as history."""

from datetime import datetime
from decimal import Decimal

import asyncpg

COLUMNS = (
    "id, invoice_id, amount, paid_at, notes, recorded_by, recorded_by_email, created_at, updated_at"
)


async def list_live(
    conn: asyncpg.Connection, *, account_id: int, invoice_id: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {COLUMNS} FROM payments "
        "WHERE account_id = $1 AND invoice_id = $2 AND deleted_at IS NULL ORDER BY id",
        account_id,
        invoice_id,
    )


async def get_live(
    conn: asyncpg.Connection, *, account_id: int, invoice_id: int, payment_id: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {COLUMNS} FROM payments "
        "WHERE account_id = $1 AND invoice_id = $2 AND id = $3 AND deleted_at IS NULL",
        account_id,
        invoice_id,
        payment_id,
    )


async def insert(
    conn: asyncpg.Connection,
    *,
    account_id: int,
    invoice_id: int,
    amount: Decimal,
    paid_at: datetime,
    notes: str | None,
    recorded_by: str,
    recorded_by_email: str,
) -> asyncpg.Record:
    row = await conn.fetchrow(
        f"""
        INSERT INTO payments (account_id, invoice_id, amount, paid_at, notes, recorded_by,
            recorded_by_email)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        RETURNING {COLUMNS}
        """,
        account_id,
        invoice_id,
        amount,
        paid_at,
        notes,
        recorded_by,
        recorded_by_email,
    )
    assert row is not None
    return row


async def soft_delete(
    conn: asyncpg.Connection, *, account_id: int, invoice_id: int, payment_id: int, by_email: str
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
