"""Invoice use cases. Balance changes lock the invoice row and go through `ledger`."""

from datetime import UTC, date, datetime

import asyncpg

from payments_service.accounts.tokens import Caller
from payments_service.balances.service import (
    current_invoice,
    has_live_payments,
    ledger_of,
    lock_invoice,
    save_balance,
)
from payments_service.db.pool import Connection
from payments_service.domain import ledger
from payments_service.domain.ledger import InvoiceState
from payments_service.domain.messages import Change
from payments_service.domain.money import check_amount
from payments_service.errors import Unprocessable
from payments_service.events import service as events
from payments_service.events.catalog import EventType
from payments_service.invoices import repository
from payments_service.invoices.repository import DETAILS
from payments_service.invoices.repository import Query as Query  # what the list functions take
from payments_service.invoices.schemas import (
    InvoiceCreateFields,
    InvoiceFilters,
    InvoiceUpdateFields,
)

PAGE_SIZE = 50

UNPAID = (InvoiceState.OPEN.value, InvoiceState.PARTIAL.value)


def _number_taken(number: str) -> Unprocessable:
    return Unprocessable(
        f"Invoice number {number!r} is already taken", code="taken", field="number"
    )


async def get_invoice(conn: Connection, *, account_id: int, invoice_id: int) -> asyncpg.Record:
    return await current_invoice(conn, account_id=account_id, invoice_id=invoice_id)


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
    conn: Connection, *, caller: Caller, data: InvoiceCreateFields
) -> asyncpg.Record:
    account_id = caller.account_id
    amount = check_amount(data.amount, data.currency)
    sent = {name: getattr(data, name) for name in DETAILS}
    issued_at = sent["issued_at"] or datetime.now(UTC).date()
    details = sent | {"issued_at": issued_at, "due_at": sent["due_at"] or issued_at}
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
    conn: Connection, *, account_id: int, invoice_id: int, data: InvoiceUpdateFields
) -> asyncpg.Record:
    """Change the fields sent. The amount goes through the ledger, under the row lock."""
    row = await lock_invoice(conn, account_id=account_id, invoice_id=invoice_id)
    changes = data.model_dump(exclude_unset=True)
    new_amount = changes.pop("amount", row["amount"])
    details = repository.details_of(row) | changes
    if details["currency"] != row["currency"] and await has_live_payments(
        conn, account_id=account_id, invoice_id=invoice_id
    ):
        raise Unprocessable(
            "The currency cannot change once payments are recorded: delete them first",
            code="currency_locked",
            field="currency",
        )
    balance = ledger.change_amount(ledger_of(row), check_amount(new_amount, details["currency"]))
    if not await repository.update_details(
        conn, account_id=account_id, invoice_id=invoice_id, details=details
    ):
        raise _number_taken(details["number"])
    return await save_balance(
        conn, account_id=account_id, locked=row, balance=balance, change=EventType.INVOICE_UPDATED
    )


async def delete_invoice(conn: Connection, *, caller: Caller, invoice_id: int) -> None:
    """Soft delete: the invoice leaves the API; the deleted payments that paid it keep it."""
    account_id = caller.account_id
    row = await lock_invoice(conn, account_id=account_id, invoice_id=invoice_id)
    if await has_live_payments(conn, account_id=account_id, invoice_id=invoice_id):
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
    new = change(ledger_of(row), datetime.now(UTC))
    return await save_balance(
        conn, account_id=account_id, locked=row, balance=new, change=EventType.INVOICE_UPDATED
    )
