"""SQL for an invoice's balance: the locked row every balance change starts from, the new
balance it stores, and the payments that decide it. Every statement names the account."""

from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import datetime

import asyncpg

from payments_service.db.pool import Connection
from payments_service.db.statement import statement
from payments_service.domain.ledger import Ledger
from payments_service.invoices.fields import INVOICE

COLUMNS = INVOICE.select()

READ_SQL = f"""
    SELECT {COLUMNS} FROM invoices
    WHERE account_id = :account_id AND id = :invoice_id AND deleted_at IS NULL
"""
READ = statement(READ_SQL)
LOCK = statement(f"{READ_SQL} FOR UPDATE")

# A paid invoice keeps the time it became paid; one that stops being paid loses it. (No now()
# in the CASE: Citus refuses functions that are not immutable there.)
SAVE = statement(f"""
    UPDATE invoices SET amount = :amount, due_amount = :due_amount, state = :state,
        sent_at = :sent_at, closed_at = :closed_at, updated_at = now(),
        paid_at = CASE WHEN :state = 'paid'
            THEN coalesce(invoices.paid_at, :became_paid::timestamptz) END
    WHERE account_id = :account_id AND id = :invoice_id
    RETURNING {COLUMNS}
""")

EXISTS = statement("""
    SELECT EXISTS (SELECT FROM invoices
        WHERE account_id = :account_id AND id = :invoice_id AND deleted_at IS NULL)
""")

HAS_LIVE_PAYMENTS = statement("""
    SELECT EXISTS (SELECT FROM payments
        WHERE account_id = :account_id AND invoice_id = :invoice_id AND deleted_at IS NULL)
""")


def stored(ledger: Ledger) -> dict[str, object]:
    """The invoice columns a balance is stored in, by name (its state derived once here)."""
    return asdict(ledger) | {"state": ledger.state.value}


async def lock(conn: Connection, *, account_id: int, invoice_id: int) -> asyncpg.Record | None:
    """The invoice row, locked until the transaction ends: every balance change starts here."""
    return await conn.fetchrow(*LOCK.bind(account_id=account_id, invoice_id=invoice_id))


async def read(conn: Connection, *, account_id: int, invoice_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(*READ.bind(account_id=account_id, invoice_id=invoice_id))


async def exists(conn: Connection, *, account_id: int, invoice_id: int) -> bool:
    found: bool = await conn.fetchval(*EXISTS.bind(account_id=account_id, invoice_id=invoice_id))
    return found


async def save(
    conn: Connection, *, account_id: int, invoice_id: int, ledger: Ledger, became_paid: datetime
) -> asyncpg.Record:
    """Store the new balance; `became_paid` is when the invoice became paid if this pays it.
    The caller holds the row locked."""
    row = await conn.fetchrow(
        *SAVE.bind(
            account_id=account_id,
            invoice_id=invoice_id,
            **stored(ledger),
            became_paid=became_paid,
        )
    )
    assert row is not None  # the caller holds the row locked
    return row


async def has_live_payments(conn: Connection, *, account_id: int, invoice_id: int) -> bool:
    found: bool = await conn.fetchval(
        *HAS_LIVE_PAYMENTS.bind(account_id=account_id, invoice_id=invoice_id)
    )
    return found


async def every_balance(conn: Connection) -> AsyncIterator[asyncpg.Record]:
    """Every invoice of every account with the sum of its live payments, streamed (for verify).

    Must run inside a transaction (a cursor's requirement)."""
    async for row in conn.cursor(
        """
        SELECT i.account_id, i.id, i.amount, i.due_amount, i.state, i.sent_at, i.closed_at,
            coalesce(sum(p.amount), 0) AS paid
        FROM invoices i
        LEFT JOIN payments p ON p.account_id = i.account_id AND p.invoice_id = i.id
            AND p.deleted_at IS NULL
        GROUP BY i.account_id, i.id
        ORDER BY i.account_id, i.id
        """
    ):
        yield row
