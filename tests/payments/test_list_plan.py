"""Listing an invoice's payments costs the same however the other payments are spread: its
prepared statement keeps one generic plan, not a new plan per execution, even when one invoice
holds most payments (what `make bench` saw at 10^5 rows)."""

import asyncpg

from payments_service.payments import repository
from tests.support.auth import make_account
from tests.support.database import invoice_with_payments


async def test_listing_keeps_one_generic_plan_when_one_invoice_holds_most_payments(
    db: asyncpg.Pool,
) -> None:
    account = await make_account(db, "Skewed")
    async with db.acquire() as conn:
        await invoice_with_payments(conn, account.id, 5000)
        listed = [await invoice_with_payments(conn, account.id, 10) for _ in range(20)]
        await conn.execute("ANALYZE payments")
        for invoice_id in listed[:10]:
            rows = await repository.list_live(conn, account_id=account.id, invoice_id=invoice_id)
            assert rows is not None and len(rows) == 10
        plans = await conn.fetchrow(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1",
            repository.LIST_LIVE.sql,
        )
    assert plans is not None
    # PostgreSQL tries custom plans for the first five executions, then keeps the generic one.
    assert (plans["custom_plans"], plans["generic_plans"]) == (5, 5)
