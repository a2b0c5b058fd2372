"""Payment use cases: lock the invoice, change the payment, recompute the balance, all in the
caller's transaction."""

import asyncpg

from payments_service import ledger
from payments_service.auth import Caller
from payments_service.errors import NotFound
from payments_service.invoices import repository as invoices
from payments_service.invoices.service import get_invoice, lock_invoice
from payments_service.money import check_amount
from payments_service.payments import repository
from payments_service.payments.schemas import PaymentCreate


def _not_found(payment_id: int) -> NotFound:
    return NotFound(f"No payment {payment_id} on this invoice")


async def list_payments(
    conn: asyncpg.Connection, *, account_id: int, invoice_id: int
) -> list[asyncpg.Record]:
    await get_invoice(conn, account_id=account_id, invoice_id=invoice_id)
    return await repository.list_live(conn, account_id=account_id, invoice_id=invoice_id)


async def get_payment(
    conn: asyncpg.Connection, *, account_id: int, invoice_id: int, payment_id: int
) -> asyncpg.Record:
    row = await repository.get_live(
        conn, account_id=account_id, invoice_id=invoice_id, payment_id=payment_id
    )
    if row is None:
        raise _not_found(payment_id)
    return row


async def record_payment(
    conn: asyncpg.Connection, *, caller: Caller, invoice_id: int, data: PaymentCreate
) -> asyncpg.Record:
    account_id = caller.account_id
    invoice = await lock_invoice(conn, account_id=account_id, invoice_id=invoice_id)
    amount = check_amount(data.amount, invoice["currency"])
    balance = ledger.record_payment(invoices.ledger_of(invoice), amount)
    payment = await repository.insert(
        conn,
        account_id=account_id,
        invoice_id=invoice_id,
        amount=amount,
        paid_at=data.paid_at,
        notes=data.notes,
        recorded_by=caller.name,
        recorded_by_email=caller.email,
    )
    await invoices.save_ledger(conn, account_id=account_id, invoice_id=invoice_id, ledger=balance)
    return payment


async def delete_payment(
    conn: asyncpg.Connection, *, caller: Caller, invoice_id: int, payment_id: int
) -> None:
    account_id = caller.account_id
    invoice = await lock_invoice(conn, account_id=account_id, invoice_id=invoice_id)
    amount = await repository.soft_delete(
        conn,
        account_id=account_id,
        invoice_id=invoice_id,
        payment_id=payment_id,
        by_email=caller.email,
    )
    if amount is None:
        raise _not_found(payment_id)
    balance = ledger.remove_payment(invoices.ledger_of(invoice), amount)
    await invoices.save_ledger(conn, account_id=account_id, invoice_id=invoice_id, ledger=balance)
