"""Invoice use cases. Balance changes lock the invoice row and go through `ledger`."""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import asyncpg

from payments_service.db.pool import Connection
from payments_service.domain import ledger
from payments_service.domain.ledger import InvoiceState
from payments_service.domain.messages import Change
from payments_service.domain.money import check_amount
from payments_service.errors import NotFound, Unprocessable
from payments_service.events import service as events
from payments_service.events.catalog import EventType, event_types
from payments_service.http.auth import Caller
from payments_service.invoices import repository
from payments_service.invoices.repository import Details
from payments_service.invoices.repository import Query as Query  # what the list functions take
from payments_service.invoices.schemas import InvoiceCreate, InvoiceFilters, InvoiceUpdate
from payments_service.payments import repository as payments

PAGE_SIZE = 50

UNPAID = (InvoiceState.OPEN.value, InvoiceState.PARTIAL.value)


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


def invoice_not_found(invoice_id: int) -> NotFound:
    return NotFound(f"No invoice {invoice_id}")


def _number_taken(number: str) -> Unprocessable:
    return Unprocessable(
        f"Invoice number {number!r} is already taken", code="taken", field="number"
    )


async def get_invoice(conn: Connection, *, account_id: int, invoice_id: int) -> asyncpg.Record:
    row = await repository.get(conn, account_id=account_id, invoice_id=invoice_id)
    if row is None:
        raise invoice_not_found(invoice_id)
    return row


async def lock_invoice(conn: Connection, *, account_id: int, invoice_id: int) -> asyncpg.Record:
    row = await repository.lock(conn, account_id=account_id, invoice_id=invoice_id)
    if row is None:
        raise invoice_not_found(invoice_id)
    return row


def query_of(filters: InvoiceFilters, *, today: date) -> Query:
    """The v1 filters as a query. `unpaid` is sent and not settled; `pastdue` is unpaid and
    due before today (UTC)."""
    states: tuple[str, ...] | None = None
    if filters.status in ("unpaid", "pastdue"):
        states = UNPAID
    elif filters.status is not None:
        states = (filters.status,)
    return Query(
        states=states,
        client_id=filters.client,
        issued_from=filters.issued_from,
        issued_to=filters.issued_to,
        due_before=today if filters.status == "pastdue" else None,
        updated_since=filters.updated_since,
    )


async def list_invoices(
    conn: Connection, *, account_id: int, query: Query, page: int, per_page: int
) -> list[asyncpg.Record]:
    """One page (from 1) of the account's invoices, newest issued first."""
    return await repository.list_page(
        conn, account_id=account_id, query=query, limit=per_page, offset=(page - 1) * per_page
    )


async def count_invoices(conn: Connection, *, account_id: int, query: Query) -> int:
    """How many invoices the list shows over all its pages (v2's `total_entries`)."""
    return await repository.count(conn, account_id=account_id, query=query)


async def create_invoice(
    conn: Connection, *, caller: Caller, data: InvoiceCreate
) -> asyncpg.Record:
    account_id = caller.account_id
    amount = check_amount(data.amount, data.currency)
    issued_at = data.issued_at or datetime.now(UTC).date()
    details = Details(
        client_id=data.client_id,
        number=data.number,
        currency=data.currency,
        issued_at=issued_at,
        due_at=data.due_at or issued_at,
        subject=data.subject,
        notes=data.notes,
        purchase_order=data.purchase_order,
        period_start=data.period_start,
        period_end=data.period_end,
    )
    row = await repository.insert(
        conn,
        account_id=account_id,
        details=details,
        ledger=ledger.new_invoice(amount),
        created_by_id=caller.user_id,
        created_by=caller.name,
    )
    if row is None:
        raise _number_taken(data.number)
    await events.emit(
        conn, account_id=account_id, change=EventType.INVOICE_CREATED, invoice=row, before=None
    )
    return row


async def update_invoice(
    conn: Connection, *, account_id: int, invoice_id: int, data: InvoiceUpdate
) -> asyncpg.Record:
    """Change the fields sent. The amount goes through the ledger, under the row lock."""
    row = await lock_invoice(conn, account_id=account_id, invoice_id=invoice_id)
    changes = data.model_dump(exclude_unset=True)
    new_amount = changes.pop("amount", row["amount"])
    details = replace(repository.details_of(row), **changes)
    if details.currency != row["currency"] and await payments.has_live(
        conn, account_id=account_id, invoice_id=invoice_id
    ):
        raise Unprocessable(
            "The currency cannot change once payments are recorded: delete them first",
            code="currency_locked",
            field="currency",
        )
    balance = ledger.change_amount(
        repository.ledger_of(row), check_amount(new_amount, details.currency)
    )
    if not await repository.update_details(
        conn, account_id=account_id, invoice_id=invoice_id, details=details
    ):
        raise _number_taken(details.number)
    return await save_balance(
        conn, account_id=account_id, locked=row, balance=balance, change=EventType.INVOICE_UPDATED
    )


async def delete_invoice(conn: Connection, *, caller: Caller, invoice_id: int) -> None:
    """Soft delete: the invoice leaves the API; the deleted payments that paid it keep it."""
    account_id = caller.account_id
    row = await lock_invoice(conn, account_id=account_id, invoice_id=invoice_id)
    if await payments.has_live(conn, account_id=account_id, invoice_id=invoice_id):
        raise Unprocessable(
            "The invoice has payments: delete them first", code="has_payments", field="payments"
        )
    await repository.soft_delete(
        conn, account_id=account_id, invoice_id=invoice_id, by_email=caller.email
    )
    await events.emit(
        conn,
        account_id=account_id,
        change=EventType.INVOICE_DELETED,
        invoice=row,
        before=row["state"],
    )


async def change_state(
    conn: Connection,
    *,
    account_id: int,
    invoice_id: int,
    change: Change,
) -> asyncpg.Record:
    """Apply one of the invoice message transitions (mark as sent, closed, ...)."""
    row = await lock_invoice(conn, account_id=account_id, invoice_id=invoice_id)
    new = change(repository.ledger_of(row), datetime.now(UTC))
    return await save_balance(
        conn, account_id=account_id, locked=row, balance=new, change=EventType.INVOICE_UPDATED
    )


async def save_balance(
    conn: Connection,
    *,
    account_id: int,
    locked: asyncpg.Record,
    balance: ledger.Ledger,
    change: EventType,
    payment_id: int | None = None,
    payment_amount: Decimal | None = None,
) -> asyncpg.Record:
    """Store the new balance of the `locked` invoice and emit the change's events."""
    return await repository.save_ledger(
        conn,
        account_id=account_id,
        invoice_id=locked["id"],
        ledger=balance,
        event_types=event_types(change, locked["state"], balance.state),
        payment_id=payment_id,
        payment_amount=payment_amount,
    )
