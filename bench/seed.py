"""Seed accounts, tokens, invoices and payments straight into PostgreSQL (fast, in bulk).

Invoices are sent and large enough that no benchmark run can pay them off (no 422s from
overpayment); their due amount is kept equal to amount minus their payments.
"""

from decimal import Decimal

import asyncpg

from payments_service.accounts import service as accounts

INVOICE_AMOUNT = Decimal("1000000000000.00")
PAYMENT_AMOUNT = Decimal("1.00")


async def account_with_token(conn: asyncpg.Connection, name: str) -> tuple[int, str]:
    account_id = await accounts.create_account(conn, name=name)
    token = await accounts.create_token(
        conn, account_id=account_id, email=f"{name}@bench.example", name="Bench Runner"
    )
    return account_id, token


async def invoices(
    conn: asyncpg.Connection, *, account_id: int, prefix: str, count: int, payments_each: int = 0
) -> list[int]:
    """`count` sent invoices with `payments_each` payments of 1.00 each; their ids."""
    async with conn.transaction():
        rows = await conn.fetch(
            """
            INSERT INTO invoices (account_id, client_id, number, currency, amount, due_amount,
                state, issued_at, due_at, sent_at)
            SELECT $1, 1, $2 || g, 'USD', $3, $3 - $4 * $5::numeric,
                CASE WHEN $4 > 0 THEN 'partial' ELSE 'open' END, current_date, current_date, now()
            FROM generate_series(1, $6) AS g
            RETURNING id
            """,
            account_id,
            prefix,
            INVOICE_AMOUNT,
            payments_each,
            PAYMENT_AMOUNT,
            count,
        )
        ids = [row["id"] for row in rows]
        if payments_each:
            await conn.execute(
                """
                INSERT INTO payments (account_id, invoice_id, amount, paid_at, notes, recorded_by,
                    recorded_by_email)
                SELECT $1, invoice.id, $2, now(), 'seeded', 'Bench Runner', 'seed@bench.example'
                FROM unnest($3::bigint[]) AS invoice(id), generate_series(1, $4)
                """,
                account_id,
                PAYMENT_AMOUNT,
                ids,
                payments_each,
            )
    return ids


async def payment_ids(conn: asyncpg.Connection, invoice_ids: list[int]) -> list[tuple[int, int]]:
    rows = await conn.fetch(
        "SELECT invoice_id, id FROM payments WHERE invoice_id = ANY($1::bigint[])", invoice_ids
    )
    return [(row["invoice_id"], row["id"]) for row in rows]


async def payment_count(conn: asyncpg.Connection) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM payments")
    return count


async def analyze(conn: asyncpg.Connection) -> None:
    """Fresh statistics and visibility maps after a bulk load, as autovacuum would leave them,
    and its pages written out, so that the runs do not measure either catching up."""
    await conn.execute("VACUUM ANALYZE")
    await conn.execute("CHECKPOINT")
