"""Finding the subscriptions with something due is index-driven whatever the statistics say:
before any ANALYZE, after one of an empty table, and after one of a large skewed backlog, the
plan reads webhook_deliveries only through ix_webhook_deliveries_due, one probe per
subscription (the issue saw 11 s per query before ANALYZE)."""

import json
from typing import Any

import asyncpg

from payments_service.webhooks import repository
from tests.support.auth import make_account


def _scans(plan: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(node type, index) of every node that reads webhook_deliveries."""
    found = []
    if plan.get("Relation Name") == "webhook_deliveries":
        found.append((plan["Node Type"], plan.get("Index Name")))
    for child in plan.get("Plans", []):
        found.extend(_scans(child))
    return found


async def _plan(conn: asyncpg.Connection) -> list[tuple[str, str | None]]:
    async with conn.transaction():  # as repository.due_subscriptions runs it
        await conn.execute(repository.DUE_PLANNER)
        rows = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {repository.DUE}", 50, [])
    return _scans(json.loads(rows)[0]["Plan"])


async def _backlog(
    conn: asyncpg.Connection, account_id: int, *, subscriptions: int, deliveries: int
) -> None:
    """Deliveries owed: most to the first subscription (a tenant whose receiver is down)."""
    event_id = await conn.fetchval(
        "INSERT INTO events (account_id, invoice_id, sequence, position, type, amount, "
        "due_amount, state, currency) VALUES ($1, 1, 1, 1, 'invoice.created', 1, 1, 'draft', "
        "'USD') RETURNING id",
        account_id,
    )
    ids = [
        await conn.fetchval(
            "INSERT INTO webhook_subscriptions (account_id, url, secret) "
            "VALUES ($1, 'http://127.0.0.1:9/', 'whsec_x') RETURNING id",
            account_id,
        )
        for _ in range(subscriptions)
    ]
    await conn.execute(
        """
        INSERT INTO webhook_deliveries (account_id, subscription_id, event_id, invoice_id,
            sequence, next_attempt_at)
        SELECT $1, CASE WHEN n % 10 = 0 THEN ($3::bigint[])[1 + n % $4] ELSE ($3::bigint[])[1] END,
            $2, n, 1, now() - n * interval '1 ms'
        FROM generate_series(1, $5) n
        """,
        account_id,
        event_id,
        ids,
        len(ids),
        deliveries,
    )


async def test_the_due_query_reads_deliveries_only_through_the_due_index(
    db: asyncpg.Pool,
) -> None:
    small, backlog = await make_account(db, "Small"), await make_account(db, "Backlog")
    plans = {}
    async with db.acquire() as conn:
        await conn.execute("ANALYZE webhook_deliveries, webhook_subscriptions")  # while empty
        await _backlog(conn, small.id, subscriptions=2, deliveries=20)
        plans["analyzed empty"] = await _plan(conn)
        # Statistics that know only a small account: the new backlog looks like a few rows.
        await conn.execute("ANALYZE webhook_deliveries, webhook_subscriptions")
        await _backlog(conn, backlog.id, subscriptions=16, deliveries=30000)
        plans["analyzed before the backlog"] = await _plan(conn)
        await conn.execute("ANALYZE webhook_deliveries, webhook_subscriptions")
        plans["analyzed"] = await _plan(conn)
    for name, scans in plans.items():
        assert scans in (
            [("Index Only Scan", "ix_webhook_deliveries_due")],
            [("Index Scan", "ix_webhook_deliveries_due")],
        ), (name, scans)
