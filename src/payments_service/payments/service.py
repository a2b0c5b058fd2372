"""Payment use cases: lock the invoice, change the payment, recompute the balance, all in the
caller's transaction."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

import asyncpg

from payments_service.accounts.tokens import Caller
from payments_service.balances.service import (
    invoice_not_found,
    ledger_of,
    lock_invoice,
    require_invoice,
    save_balance,
)
from payments_service.db.pool import Connection
from payments_service.domain import ledger
from payments_service.domain.money import check_amount
from payments_service.errors import NotFound, Unprocessable
from payments_service.events.catalog import EventType
from payments_service.observability import metrics
from payments_service.payments import repository


def _not_found(payment_id: int) -> NotFound:
    return NotFound(f"No payment {payment_id} on this invoice")


def _taken(transaction_id: str | None) -> Unprocessable:
    return Unprocessable(
        f"transaction_id {transaction_id!r} is already recorded on this invoice",
        code="taken",
        field="transaction_id",
    )


CHUNK = 1000  # payments read (and rendered) at a time


async def list_payments(
    conn: Connection, *, account_id: int, invoice_id: int
) -> list[asyncpg.Record]:
    """The first CHUNK payments of the invoice, oldest first (see `more_payments`)."""
    rows = await repository.list_live(
        conn, account_id=account_id, invoice_id=invoice_id, limit=CHUNK
    )
    if rows is None:
        raise invoice_not_found(invoice_id)
    return rows


async def more_payments(
    connect: Callable[[], AbstractAsyncContextManager[Connection]],
    first: list[asyncpg.Record],
    *,
    account_id: int,
    invoice_id: int,
) -> AsyncIterator[list[asyncpg.Record]]:
    """The payments after a full first chunk, CHUNK at a time, each on a connection taken for
    its query only: a slow reader holds no connection."""
    rows = first
    while len(rows) == CHUNK:
        async with connect() as conn:
            found = await repository.list_live(
                conn,
                account_id=account_id,
                invoice_id=invoice_id,
                after=rows[-1]["id"],
                limit=CHUNK,
            )
        rows = found or []
        yield rows


@dataclass(frozen=True)
class Page:
    rows: list[asyncpg.Record]
    total: int  # every payment that matches the filters
    skipped: int  # how many of those come before this page


async def list_payments_newest_first(
    conn: Connection,
    *,
    account_id: int,
    invoice_id: int,
    updated_since: datetime | None,
    per_page: int,
    page: int = 1,
    before_id: int | None = None,
) -> Page:
    """One page of live payments, newest first: by page number, or after a keyset cursor."""
    await require_invoice(conn, account_id=account_id, invoice_id=invoice_id)
    total, skipped = await repository.count_live(
        conn,
        account_id=account_id,
        invoice_id=invoice_id,
        updated_since=updated_since,
        before_id=before_id,
    )
    offset = 0 if before_id is not None else (page - 1) * per_page
    rows = await repository.list_live_newest_first(
        conn,
        account_id=account_id,
        invoice_id=invoice_id,
        updated_since=updated_since,
        before_id=before_id,
        offset=offset,
        limit=per_page,
    )
    return Page(rows=rows, total=total, skipped=skipped if before_id is not None else offset)


async def get_payment(
    conn: Connection, *, account_id: int, invoice_id: int, payment_id: int
) -> asyncpg.Record:
    row = await repository.get_live(
        conn, account_id=account_id, invoice_id=invoice_id, payment_id=payment_id
    )
    if row is None:
        raise _not_found(payment_id)
    return row


class PaymentBody(Protocol):
    """A v1 or v2 request body: each of its fields that is a payment column is written."""

    @property
    def amount(self) -> Decimal: ...


# The written columns set here; every other one comes from the request body's field of that
# name (None when the body has none: v1's has no transaction_id), so none can be dropped.
SET_HERE = ("account_id", "invoice_id", "amount", "paid_at", "recorded_by", "recorded_by_email")
FROM_BODY = tuple(column for column in repository.WRITTEN if column not in SET_HERE)


async def record_payment(
    conn: Connection,
    *,
    caller: Caller,
    invoice_id: int,
    data: PaymentBody,
    paid_at: datetime,
) -> asyncpg.Record:
    """The new payment. A `transaction_id` already live on the invoice is a 422 (even when the
    payment would also overpay), so a payment provider's retried callback cannot record the same
    money twice."""
    account_id = caller.account_id
    invoice = await lock_invoice(conn, account_id=account_id, invoice_id=invoice_id)
    amount = check_amount(data.amount, invoice["currency"])
    transaction_id: str | None = getattr(data, "transaction_id", None)
    try:
        balance = ledger.record_payment(ledger_of(invoice), amount)
    except Unprocessable:
        if transaction_id is not None and await repository.has_live_transaction(
            conn, account_id=account_id, invoice_id=invoice_id, transaction_id=transaction_id
        ):
            raise _taken(transaction_id) from None
        raise
    values = {column: getattr(data, column, None) for column in FROM_BODY} | {
        "account_id": account_id,
        "invoice_id": invoice_id,
        "amount": amount,
        "paid_at": paid_at,
        "recorded_by": caller.name,
        "recorded_by_email": caller.email,
    }
    payment = await repository.insert(conn, **values)
    if payment is None:
        raise _taken(transaction_id)
    await save_balance(
        conn,
        account_id=account_id,
        locked=invoice,
        balance=balance,
        change=EventType.PAYMENT_CREATED,
        payment_id=payment["id"],
        payment_amount=amount,
        paid_at=paid_at,
    )
    # Counted before the request's commit: a commit that then fails over-counts by one.
    metrics.payment_recorded(invoice["currency"], amount)
    return payment


async def delete_payment(
    conn: Connection, *, caller: Caller, invoice_id: int, payment_id: int
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
    balance = ledger.remove_payment(ledger_of(invoice), amount)
    await save_balance(
        conn,
        account_id=account_id,
        locked=invoice,
        balance=balance,
        change=EventType.PAYMENT_DELETED,
        payment_id=payment_id,
        payment_amount=amount,
    )
    metrics.PAYMENTS_DELETED.inc()
