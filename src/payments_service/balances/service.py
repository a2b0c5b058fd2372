"""An invoice's balance, for the payments and invoices that change it: lock the invoice, read
its `Ledger`, store the new one with the change's events. Everything in the caller's
transaction; the rule itself is `domain/ledger.py`."""

from datetime import UTC, datetime

import asyncpg

from payments_service.balances import repository
from payments_service.db.pool import Connection
from payments_service.domain import ledger
from payments_service.errors import NotFound
from payments_service.events import service as events
from payments_service.events.catalog import EventType


def ledger_of(row: asyncpg.Record) -> ledger.Ledger:
    return ledger.Ledger(
        amount=row["amount"],
        due_amount=row["due_amount"],
        sent_at=row["sent_at"],
        closed_at=row["closed_at"],
    )


def invoice_not_found(invoice_id: int) -> NotFound:
    return NotFound(f"No invoice {invoice_id}")


async def lock_invoice(conn: Connection, *, account_id: int, invoice_id: int) -> asyncpg.Record:
    row = await repository.lock(conn, account_id=account_id, invoice_id=invoice_id)
    if row is None:
        raise invoice_not_found(invoice_id)
    return row


async def current_invoice(conn: Connection, *, account_id: int, invoice_id: int) -> asyncpg.Record:
    """The invoice as it is now, not locked (to explain a change it refused)."""
    row = await repository.read(conn, account_id=account_id, invoice_id=invoice_id)
    if row is None:
        raise invoice_not_found(invoice_id)
    return row


async def require_invoice(conn: Connection, *, account_id: int, invoice_id: int) -> None:
    """A 404 unless the account has this invoice (whose payments a request reads)."""
    if not await repository.exists(conn, account_id=account_id, invoice_id=invoice_id):
        raise invoice_not_found(invoice_id)


async def has_live_payments(conn: Connection, *, account_id: int, invoice_id: int) -> bool:
    return await repository.has_live_payments(conn, account_id=account_id, invoice_id=invoice_id)


async def save_balance(
    conn: Connection,
    *,
    account_id: int,
    locked: asyncpg.Record,
    balance: ledger.Ledger,
    change: EventType,
) -> asyncpg.Record:
    """Store the new balance of the `locked` invoice after a change of its own (a payment's is
    `record_payment`'s or `delete_payment`'s, in the database) and emit the change's events."""
    row = await repository.save(
        conn,
        account_id=account_id,
        invoice_id=locked["id"],
        ledger=balance,
        became_paid=datetime.now(UTC),
    )
    await events.emit(
        conn,
        account_id=account_id,
        change=change,
        invoice=row,
        before=locked["state"],
    )
    return row


async def verify_balances(conn: Connection) -> tuple[int, list[str]]:
    """How many invoices were checked, and one line for each whose stored due amount or state
    disagrees with its live payments (by the `ledger` rule), or that is overpaid."""
    checked, problems = 0, []
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        async for row in repository.every_balance(conn):
            checked += 1
            due = row["amount"] - row["paid"]
            expected = ledger.Ledger(
                amount=row["amount"],
                due_amount=due,
                sent_at=row["sent_at"],
                closed_at=row["closed_at"],
            )
            issues = []
            if row["due_amount"] != due:
                issues.append(f"due_amount is {row['due_amount']}, amount - payments is {due}")
            if due < 0:
                issues.append(f"overpaid by {-due}")
            if row["state"] != expected.state:
                issues.append(f"state is {row['state']}, its balance says {expected.state}")
            if issues:
                where = f"account {row['account_id']} invoice {row['id']}"
                problems.append(f"{where}: {'; '.join(issues)}")
    return checked, problems
