"""Invoice use cases. Balance changes lock the invoice row and go through `ledger`."""

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg

from payments_service import ledger
from payments_service.errors import NotFound, Unprocessable
from payments_service.events import service as events
from payments_service.events.catalog import EventType
from payments_service.invoices import repository
from payments_service.invoices.schemas import InvoiceCreate
from payments_service.money import check_amount


def _not_found(invoice_id: int) -> NotFound:
    return NotFound(f"No invoice {invoice_id}")


async def get_invoice(
    conn: asyncpg.Connection, *, account_id: int, invoice_id: int
) -> asyncpg.Record:
    row = await repository.get(conn, account_id=account_id, invoice_id=invoice_id)
    if row is None:
        raise _not_found(invoice_id)
    return row


async def lock_invoice(
    conn: asyncpg.Connection, *, account_id: int, invoice_id: int
) -> asyncpg.Record:
    row = await repository.lock(conn, account_id=account_id, invoice_id=invoice_id)
    if row is None:
        raise _not_found(invoice_id)
    return row


async def create_invoice(
    conn: asyncpg.Connection, *, account_id: int, data: InvoiceCreate
) -> asyncpg.Record:
    amount = check_amount(data.amount, data.currency)
    issued_at = data.issued_at or datetime.now(UTC).date()
    row = await repository.insert(
        conn,
        account_id=account_id,
        client_id=data.client_id,
        number=data.number,
        currency=data.currency,
        ledger=ledger.new_invoice(amount),
        issued_at=issued_at,
        due_at=data.due_at or issued_at,
        subject=data.subject,
        notes=data.notes,
        purchase_order=data.purchase_order,
        period_start=data.period_start,
        period_end=data.period_end,
    )
    if row is None:
        raise Unprocessable(
            f"Invoice number {data.number!r} is already taken", code="taken", field="number"
        )
    await events.emit(
        conn, account_id=account_id, change=EventType.INVOICE_CREATED, invoice=row, before=None
    )
    return row


async def change_state(
    conn: asyncpg.Connection,
    *,
    account_id: int,
    invoice_id: int,
    change: Callable[[ledger.Ledger, datetime], ledger.Ledger],
) -> asyncpg.Record:
    """Apply one of the invoice message transitions (mark as sent, closed, ...)."""
    row = await lock_invoice(conn, account_id=account_id, invoice_id=invoice_id)
    new = change(repository.ledger_of(row), datetime.now(UTC))
    return await save_balance(
        conn, account_id=account_id, locked=row, balance=new, change=EventType.INVOICE_UPDATED
    )


async def save_balance(
    conn: asyncpg.Connection,
    *,
    account_id: int,
    locked: asyncpg.Record,
    balance: ledger.Ledger,
    change: EventType,
    payment_id: int | None = None,
    payment_amount: Decimal | None = None,
) -> asyncpg.Record:
    """Store the new balance of the `locked` invoice and emit the change's events."""
    saved = await repository.save_ledger(
        conn, account_id=account_id, invoice_id=locked["id"], ledger=balance
    )
    await events.emit(
        conn,
        account_id=account_id,
        change=change,
        invoice=saved,
        before=locked["state"],
        payment_id=payment_id,
        payment_amount=payment_amount,
    )
    return saved
