"""SQL for invoices. Every query is scoped by account; deleted invoices are invisible.

The column lists come from the invoice's field declaration (`invoices/fields.py`); its balance
is written by `balances/`."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from payments_service.balances.repository import stored
from payments_service.db.pool import Connection
from payments_service.db.statement import placeholders, statement
from payments_service.domain.ledger import Ledger
from payments_service.invoices.fields import INVOICE

COLUMNS = INVOICE.select()


# What a client writes on an invoice besides its amount (which goes through the ledger), by
# column: the declaration's `write` fields.
DETAILS = tuple(field.name for field in INVOICE.fields if field.write and field.name != "amount")
Details = dict[str, Any]


@dataclass(frozen=True)
class Query:
    """Which invoices a list shows; None means "any"."""

    states: tuple[str, ...] | None = None
    client_id: int | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    due_before: date | None = None
    updated_since: datetime | None = None


def details_of(row: asyncpg.Record) -> Details:
    return {name: row[name] for name in DETAILS}


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


WRITTEN = ("account_id", *INVOICE.written)
INSERT = statement(f"""
    INSERT INTO invoices ({", ".join(WRITTEN)}) VALUES ({placeholders(WRITTEN)})
    ON CONFLICT (account_id, number) WHERE deleted_at IS NULL DO NOTHING
    RETURNING {COLUMNS}
""")


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
        *INSERT.bind(
            account_id=account_id,
            **details,
            **stored(ledger),
            paid_at=None,
            created_by_id=created_by_id,
            created_by=created_by,
        )
    )


UPDATE_DETAILS = statement(f"""
    UPDATE invoices SET ({", ".join(DETAILS)}) = ({placeholders(DETAILS)})
    WHERE account_id = :account_id AND id = :invoice_id
""")


async def update_details(
    conn: Connection, *, account_id: int, invoice_id: int, details: Details
) -> bool:
    """False when another live invoice of the account has this number."""
    try:
        await conn.execute(
            *UPDATE_DETAILS.bind(account_id=account_id, invoice_id=invoice_id, **details)
        )
    except asyncpg.UniqueViolationError:
        return False
    return True


SOFT_DELETE = statement("""
    UPDATE invoices SET deleted_at = now(), deleted_by_email = :by_email, updated_at = now()
    WHERE account_id = :account_id AND id = :invoice_id
""")


async def soft_delete(conn: Connection, *, account_id: int, invoice_id: int, by_email: str) -> None:
    await conn.execute(
        *SOFT_DELETE.bind(account_id=account_id, invoice_id=invoice_id, by_email=by_email)
    )
