"""SQL for payments. Every query is scoped by account; deleted payments stay as history.

The column lists come from the payment's field declaration (`payments/fields.py`)."""

from datetime import datetime

import asyncpg

from payments_service.db.pool import Connection
from payments_service.db.statement import statement
from payments_service.payments.fields import PAYMENT

COLUMNS = PAYMENT.select()
# The live payments of one invoice, optionally only those updated since then (v2 lists).
LIVE_FILTER = """account_id = :account_id AND invoice_id = :invoice_id AND deleted_at IS NULL
    AND (:updated_since::timestamptz IS NULL OR updated_at >= :updated_since)"""


# The payments are a LATERAL subquery behind LIMIT, so they are found by the invoice row's
# id, not by the invoice_id parameter: estimated alike for every invoice, PostgreSQL keeps one
# generic plan for the prepared statement. A plain join lets it estimate per invoice, and once
# one invoice holds many payments it plans every execution anew (measured: 80 -> 190 us of
# database CPU per list at 10^5 payments; this form stays at about 100 either way). The
# account is a parameter of both, so that Citus sees one shard.
LIST_LIVE = statement(f"""
    SELECT {PAYMENT.select("p")} FROM invoices AS i LEFT JOIN LATERAL (
        SELECT {COLUMNS} FROM payments
        WHERE account_id = :account_id AND invoice_id = i.id AND deleted_at IS NULL
            AND id > :after
        ORDER BY id LIMIT :limit
    ) AS p ON true
    WHERE i.account_id = :account_id AND i.id = :invoice_id AND i.deleted_at IS NULL
    ORDER BY p.id
""")


async def list_live(
    conn: Connection, *, account_id: int, invoice_id: int, after: int = 0, limit: int = 1000
) -> list[asyncpg.Record] | None:
    """At most `limit` live payments of the invoice with ids above `after`, oldest first; None
    when there is no such invoice. One query: no payment comes back as one row of NULLs."""
    rows = await conn.fetch(
        *LIST_LIVE.bind(account_id=account_id, invoice_id=invoice_id, after=after, limit=limit)
    )
    if not rows:
        return None
    return [] if rows[0]["id"] is None else rows


LIST_NEWEST_FIRST = statement(f"""
    SELECT {COLUMNS} FROM payments WHERE {LIVE_FILTER}
        AND (:before_id::bigint IS NULL OR id < :before_id)
    ORDER BY id DESC OFFSET :offset LIMIT :limit
""")


async def list_live_newest_first(
    conn: Connection,
    *,
    account_id: int,
    invoice_id: int,
    updated_since: datetime | None,
    before_id: int | None,
    offset: int,
    limit: int,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        *LIST_NEWEST_FIRST.bind(
            account_id=account_id,
            invoice_id=invoice_id,
            updated_since=updated_since,
            before_id=before_id,
            offset=offset,
            limit=limit,
        )
    )


COUNT_LIVE = statement(f"""
    SELECT count(*) AS total, count(*) FILTER (WHERE id >= :before_id) AS skipped
    FROM payments WHERE {LIVE_FILTER}
""")


async def count_live(
    conn: Connection,
    *,
    account_id: int,
    invoice_id: int,
    updated_since: datetime | None,
    before_id: int | None,
) -> tuple[int, int]:
    """(how many match, how many of those come before the cursor `before_id`)."""
    row = await conn.fetchrow(
        *COUNT_LIVE.bind(
            before_id=before_id,
            account_id=account_id,
            invoice_id=invoice_id,
            updated_since=updated_since,
        )
    )
    assert row is not None
    return row["total"], row["skipped"]


GET_LIVE = statement(f"""
    SELECT {COLUMNS} FROM payments
    WHERE account_id = :account_id AND invoice_id = :invoice_id AND id = :payment_id
        AND deleted_at IS NULL
""")


async def get_live(
    conn: Connection, *, account_id: int, invoice_id: int, payment_id: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        *GET_LIVE.bind(account_id=account_id, invoice_id=invoice_id, payment_id=payment_id)
    )


HAS_LIVE_TRANSACTION = statement("""
    SELECT EXISTS (SELECT FROM payments WHERE account_id = :account_id
        AND invoice_id = :invoice_id AND transaction_id = :transaction_id AND deleted_at IS NULL)
""")


async def has_live_transaction(
    conn: Connection, *, account_id: int, invoice_id: int, transaction_id: str
) -> bool:
    found: bool = await conn.fetchval(
        *HAS_LIVE_TRANSACTION.bind(
            account_id=account_id, invoice_id=invoice_id, transaction_id=transaction_id
        )
    )
    return found


# Recording and deleting are one call each of a server-side function (migration 0013) that
# locks the invoice, applies the balance rule and writes the payment, the balance and its events:
# the invoice stays locked only while it runs. The payment's written columns are its
# parameters, `p_<column>`.
WRITTEN = ("account_id", *PAYMENT.written)
RECORD = statement(f"""
    SELECT {PAYMENT.select("(r.recorded)")}, r.invoice_currency
    FROM record_payment({", ".join(f"p_{column} => :{column}" for column in WRITTEN)}) AS r
""")


async def record(conn: Connection, **values: object) -> asyncpg.Record | None:
    """The new payment (`values` names every written column), with its invoice's currency as
    `invoice_currency`; None, and nothing written, when it was refused (see `record_payment`
    in migration 0013): the caller finds out why."""
    return await conn.fetchrow(*RECORD.bind(**values))


DELETE = statement("""
    SELECT delete_payment(p_account_id => :account_id, p_invoice_id => :invoice_id,
        p_payment_id => :payment_id, p_by_email => :by_email)
""")


async def delete(
    conn: Connection, *, account_id: int, invoice_id: int, payment_id: int, by_email: str
) -> str:
    """Soft delete the payment and give its amount back to the invoice: 'deleted', 'no invoice'
    or 'no payment'."""
    outcome: str = await conn.fetchval(
        *DELETE.bind(
            account_id=account_id, invoice_id=invoice_id, payment_id=payment_id, by_email=by_email
        )
    )
    return outcome
