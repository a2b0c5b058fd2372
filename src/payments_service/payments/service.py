"""Payment use cases. Recording or deleting one is one call of a server-side function that locks
the invoice, changes the payment and stores the balance and events (`domain/ledger.py` is the
rule it applies); a refused payment is explained here, by the same rule."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

import asyncpg

from payments_service.accounts.tokens import Caller
from payments_service.balances.service import (
    current_invoice,
    invoice_not_found,
    ledger_of,
    require_invoice,
)
from payments_service.db.pool import Connection
from payments_service.domain import ledger
from payments_service.domain.money import check_amount
from payments_service.errors import Conflict, NotFound, Unprocessable
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
# Calls of `record_payment` when the invoice keeps changing between a refusal and its reason.
ATTEMPTS = 3


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
    transaction_id: str | None = getattr(data, "transaction_id", None)
    values = {column: getattr(data, column, None) for column in FROM_BODY} | {
        "account_id": account_id,
        "invoice_id": invoice_id,
        "amount": data.amount,
        "paid_at": paid_at,
        "recorded_by": caller.name,
        "recorded_by_email": caller.email,
    }
    for _ in range(ATTEMPTS):
        payment = await repository.record(conn, **values)
        if payment is not None:
            # Counted before the request's commit: a commit that then fails over-counts by one.
            metrics.payment_recorded(payment["invoice_currency"], payment["amount"])
            return payment
        await _refusal(
            conn,
            account_id=account_id,
            invoice_id=invoice_id,
            amount=data.amount,
            transaction_id=transaction_id,
        )
    raise Conflict("The invoice kept changing while the payment was recorded; retry")


async def _refusal(
    conn: Connection,
    *,
    account_id: int,
    invoice_id: int,
    amount: Decimal,
    transaction_id: str | None,
) -> None:
    """Raise why the invoice refused the payment, by `ledger.py`'s rule on its state now: the
    404 or 422 a user gets. Returns if it would accept it now (it changed since the refusal)."""
    invoice = await current_invoice(conn, account_id=account_id, invoice_id=invoice_id)
    checked = check_amount(amount, invoice["currency"])
    taken = transaction_id is not None and await repository.has_live_transaction(
        conn, account_id=account_id, invoice_id=invoice_id, transaction_id=transaction_id
    )
    try:
        ledger.record_payment(ledger_of(invoice), checked)
    except Unprocessable:
        if taken:
            raise _taken(transaction_id) from None
        raise
    if taken:
        raise _taken(transaction_id)


async def delete_payment(
    conn: Connection, *, caller: Caller, invoice_id: int, payment_id: int
) -> None:
    outcome = await repository.delete(
        conn,
        account_id=caller.account_id,
        invoice_id=invoice_id,
        payment_id=payment_id,
        by_email=caller.email,
    )
    if outcome == "no invoice":
        raise invoice_not_found(invoice_id)
    if outcome == "no payment":
        raise _not_found(payment_id)
    metrics.PAYMENTS_DELETED.inc()
