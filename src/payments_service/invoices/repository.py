"""SQL for invoices. Every query is scoped by account."""

from datetime import date

import asyncpg

from payments_service.ledger import Ledger

COLUMNS = """id, client_id, number, currency, amount, due_amount, state, issued_at, due_at,
    subject, notes, purchase_order, period_start, period_end, sent_at, closed_at,
    created_at, updated_at"""


def ledger_of(row: asyncpg.Record) -> Ledger:
    return Ledger(
        amount=row["amount"],
        due_amount=row["due_amount"],
        sent_at=row["sent_at"],
        closed_at=row["closed_at"],
    )


async def get(
    conn: asyncpg.Connection, *, account_id: int, invoice_id: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {COLUMNS} FROM invoices WHERE account_id = $1 AND id = $2",
        account_id,
        invoice_id,
    )


async def lock(
    conn: asyncpg.Connection, *, account_id: int, invoice_id: int
) -> asyncpg.Record | None:
    """The invoice row, locked until the transaction ends: every balance change starts here."""
    return await conn.fetchrow(
        f"SELECT {COLUMNS} FROM invoices WHERE account_id = $1 AND id = $2 FOR UPDATE",
        account_id,
        invoice_id,
    )


async def insert(
    conn: asyncpg.Connection,
    *,
    account_id: int,
    client_id: int,
    number: str,
    currency: str,
    ledger: Ledger,
    issued_at: date,
    due_at: date,
    subject: str | None,
    notes: str | None,
    purchase_order: str | None,
    period_start: date | None,
    period_end: date | None,
) -> asyncpg.Record | None:
    """The new invoice, or None when the account already has one with this number."""
    return await conn.fetchrow(
        f"""
        INSERT INTO invoices (account_id, client_id, number, currency, amount, due_amount, state,
            issued_at, due_at, subject, notes, purchase_order, period_start, period_end)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        ON CONFLICT (account_id, number) DO NOTHING
        RETURNING {COLUMNS}
        """,
        account_id,
        client_id,
        number,
        currency,
        ledger.amount,
        ledger.due_amount,
        ledger.state.value,
        issued_at,
        due_at,
        subject,
        notes,
        purchase_order,
        period_start,
        period_end,
    )


async def save_ledger(
    conn: asyncpg.Connection, *, account_id: int, invoice_id: int, ledger: Ledger
) -> asyncpg.Record:
    row = await conn.fetchrow(
        f"""
        UPDATE invoices SET amount = $3, due_amount = $4, state = $5, sent_at = $6,
            closed_at = $7, updated_at = now()
        WHERE account_id = $1 AND id = $2
        RETURNING {COLUMNS}
        """,
        account_id,
        invoice_id,
        ledger.amount,
        ledger.due_amount,
        ledger.state.value,
        ledger.sent_at,
        ledger.closed_at,
    )
    assert row is not None  # the caller holds the row locked
    return row
