"""The baseline: "record a payment" done directly with raw asyncpg, no HTTP, no framework.

The same transaction as the service's: lock the invoice, insert the payment, recompute the
balance, update the invoice. Run as
`python -m bench.baseline URL SECONDS CONNECTIONS OUTPUT ACCOUNT IDS...` in as many processes
as the service has workers; each writes its figures as JSON to the file OUTPUT (stdout was
once cut short in a full run).
"""

import asyncio
import json
import random
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
import uvloop

from payments_service.balances.service import ledger_of
from payments_service.domain import ledger

AMOUNT = Decimal("1.00")


async def record_payment(conn: asyncpg.Connection, account_id: int, invoice_id: int) -> None:
    async with conn.transaction():
        invoice = await conn.fetchrow(
            "SELECT amount, due_amount, sent_at, closed_at FROM invoices "
            "WHERE account_id = $1 AND id = $2 FOR UPDATE",
            account_id,
            invoice_id,
        )
        await conn.fetchrow(
            "INSERT INTO payments (account_id, invoice_id, amount, paid_at, notes, recorded_by, "
            "recorded_by_email) VALUES ($1, $2, $3, $4, $5, $6, $7) "
            "RETURNING id, created_at, updated_at",
            account_id,
            invoice_id,
            AMOUNT,
            datetime.now(UTC),
            "baseline",
            "Bench Runner",
            "baseline@bench.example",
        )
        new = ledger.record_payment(ledger_of(invoice), AMOUNT)
        await conn.execute(
            "UPDATE invoices SET due_amount = $3, state = $4, updated_at = now() "
            "WHERE account_id = $1 AND id = $2",
            account_id,
            invoice_id,
            new.due_amount,
            new.state.value,
        )


async def drive(
    url: str, seconds: float, connections: int, account_id: int, invoice_ids: list[int]
) -> dict[str, object]:
    pool = await asyncpg.create_pool(url, min_size=connections, max_size=connections)
    assert pool is not None
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def client() -> None:
        async with pool.acquire() as conn:
            while time.monotonic() < deadline:
                started = time.monotonic()
                await record_payment(conn, account_id, random.choice(invoice_ids))
                latencies.append(time.monotonic() - started)

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(connections)))
    elapsed = time.monotonic() - started
    await pool.close()
    return {"latencies": latencies, "seconds": elapsed, "cpu_seconds": time.process_time()}


def main() -> None:
    url, seconds, connections, output, account_id, *ids = sys.argv[1:]
    result = uvloop.run(
        drive(url, float(seconds), int(connections), int(account_id), [int(i) for i in ids])
    )
    Path(output).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
