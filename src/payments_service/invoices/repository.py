"""SQL for invoices. Every query is scoped by account; deleted invoices are invisible."""

from collections.abc import AsyncIterator, Sequence
from dataclasses import astuple, dataclass, fields
from datetime import UTC, date, datetime
from decimal import Decimal

import asyncpg

from payments_service.db.pool import Connection
from payments_service.domain.ledger import Ledger
from payments_service.events import repository as events

COLUMNS = """id, client_id, number, currency, amount, due_amount, state, issued_at, due_at,
    subject, notes, purchase_order, period_start, period_end, sent_at, closed_at, paid_at,
    created_by_id, created_by, created_at, updated_at"""


@dataclass(frozen=True)
class Details:
    """What a client writes on an invoice (everything but the balance), in column order."""

    client_id: int
    number: str
    currency: str
    issued_at: date
    due_at: date
    subject: str | None
    notes: str | None
    purchase_order: str | None
    period_start: date | None
    period_end: date | None


DETAIL_COLUMNS = ", ".join(field.name for field in fields(Details))


@dataclass(frozen=True)
class Query:
    """Which invoices a list shows; None means "any"."""

    states: tuple[str, ...] | None = None
    client_id: int | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    due_before: date | None = None
    updated_since: datetime | None = None


def ledger_of(row: asyncpg.Record) -> Ledger:
    return Ledger(
        amount=row["amount"],
        due_amount=row["due_amount"],
        sent_at=row["sent_at"],
        closed_at=row["closed_at"],
    )


def details_of(row: asyncpg.Record) -> Details:
    return Details(**{field.name: row[field.name] for field in fields(Details)})


async def get(conn: Connection, *, account_id: int, invoice_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {COLUMNS} FROM invoices WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL",
        account_id,
        invoice_id,
    )


async def lock(conn: Connection, *, account_id: int, invoice_id: int) -> asyncpg.Record | None:
    """The invoice row, locked until the transaction ends: every balance change starts here."""
    return await conn.fetchrow(
        f"SELECT {COLUMNS} FROM invoices "
        "WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL FOR UPDATE",
        account_id,
        invoice_id,
    )


def _where(account_id: int, query: Query) -> tuple[str, list[object]]:
    """The WHERE clause of a list query and its arguments ($1 is the account)."""
    conditions = ["account_id = $1", "deleted_at IS NULL"]
    args: list[object] = [account_id]

    def where(condition: str, value: object) -> None:
        args.append(value)
        conditions.append(condition.format(f"${len(args)}"))

    if query.states is not None:
        where("state = ANY({})", list(query.states))
    if query.client_id is not None:
        where("client_id = {}", query.client_id)
    if query.issued_from is not None:
        where("issued_at >= {}", query.issued_from)
    if query.issued_to is not None:
        where("issued_at <= {}", query.issued_to)
    if query.due_before is not None:
        where("due_at < {}", query.due_before)
    if query.updated_since is not None:
        where("updated_at >= {}", query.updated_since)
    return " AND ".join(conditions), args


async def list_page(
    conn: Connection, *, account_id: int, query: Query, limit: int, offset: int
) -> list[asyncpg.Record]:
    """Newest issued first (ties: newest created first)."""
    where, args = _where(account_id, query)
    args.extend([limit, offset])
    rows: list[asyncpg.Record] = await conn.fetch(
        f"SELECT {COLUMNS} FROM invoices WHERE {where} "
        f"ORDER BY issued_at DESC, id DESC LIMIT ${len(args) - 1} OFFSET ${len(args)}",
        *args,
    )
    return rows


async def count(conn: Connection, *, account_id: int, query: Query) -> int:
    where, args = _where(account_id, query)
    total: int = await conn.fetchval(f"SELECT count(*) FROM invoices WHERE {where}", *args)
    return total


async def insert(
    conn: Connection,
    *,
    account_id: int,
    details: Details,
    ledger: Ledger,
    created_by_id: int,
    created_by: str,
) -> asyncpg.Record | None:
    """The new invoice, or None when the account already has one with this number."""
    return await conn.fetchrow(
        f"""
        INSERT INTO invoices (account_id, amount, due_amount, state, created_by_id, created_by,
            {DETAIL_COLUMNS})
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
        ON CONFLICT (account_id, number) WHERE deleted_at IS NULL DO NOTHING
        RETURNING {COLUMNS}
        """,
        account_id,
        ledger.amount,
        ledger.due_amount,
        ledger.state.value,
        created_by_id,
        created_by,
        *astuple(details),
    )


async def update_details(
    conn: Connection, *, account_id: int, invoice_id: int, details: Details
) -> bool:
    """False when another live invoice of the account has this number."""
    try:
        await conn.execute(
            f"""
            UPDATE invoices SET ({DETAIL_COLUMNS}) = ($3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            WHERE account_id = $1 AND id = $2
            """,
            account_id,
            invoice_id,
            *astuple(details),
        )
    except asyncpg.UniqueViolationError:
        return False
    return True


def set_ledger(first: int) -> str:
    """The SET list storing a new balance from parameters `$first`... (see `ledger_args`),
    then `$first + 5`: when the invoice became paid if this change pays it. A paid invoice
    keeps that time; one that stops being paid loses it. (No now() in the CASE: Citus refuses
    functions that are not immutable there.)"""
    state = f"${first + 2}"
    return (
        f"amount = ${first}, due_amount = ${first + 1}, state = {state}, "
        f"sent_at = ${first + 3}, closed_at = ${first + 4}, updated_at = now(), "
        f"paid_at = CASE WHEN {state} = 'paid' "
        f"THEN coalesce(invoices.paid_at, ${first + 5}::timestamptz) END"
    )


def ledger_args(ledger: Ledger) -> tuple[object, ...]:
    return (ledger.amount, ledger.due_amount, ledger.state.value, ledger.sent_at, ledger.closed_at)


SAVE_LEDGER = f"""
    UPDATE invoices SET {set_ledger(3)} WHERE account_id = $1 AND id = $2 RETURNING {COLUMNS}
"""


async def save_ledger(
    conn: Connection,
    *,
    account_id: int,
    invoice_id: int,
    ledger: Ledger,
    event_types: Sequence[str],
    payment_id: int | None,
    payment_amount: Decimal | None,
    paid_at: datetime | None = None,
) -> asyncpg.Record:
    """Store the new balance and record the change's events; `paid_at` is when a payment that
    settles the invoice was paid (by default, now)."""
    became_paid = paid_at or datetime.now(UTC)
    row = await conn.fetchrow(
        SAVE_LEDGER, account_id, invoice_id, *ledger_args(ledger), became_paid
    )
    assert row is not None  # the caller holds the row locked
    await events.record(
        conn,
        account_id=account_id,
        invoice=row,
        types=event_types,
        payment_id=payment_id,
        payment_amount=payment_amount,
    )
    return row


async def soft_delete(conn: Connection, *, account_id: int, invoice_id: int, by_email: str) -> None:
    await conn.execute(
        """
        UPDATE invoices SET deleted_at = now(), deleted_by_email = $3, updated_at = now()
        WHERE account_id = $1 AND id = $2
        """,
        account_id,
        invoice_id,
        by_email,
    )


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
