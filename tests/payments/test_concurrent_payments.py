"""Many concurrent payments and deletions on one invoice keep its balance exact."""

import asyncio
import random
from decimal import Decimal
from xml.etree import ElementTree

import asyncpg
import httpx

from tests.support.api import create_invoice, payment_xml
from tests.support.auth import Account


async def test_concurrent_posts_and_deletes_keep_the_balance_exact(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner, amount="500.00")
    rng = random.Random(7)
    created: list[int] = []
    deleted: list[int] = []

    async def pay() -> None:
        amount = f"{rng.randint(1, 4000) / 100:.2f}"
        response = await client.post(
            f"/invoices/{invoice_id}/payments",
            content=payment_xml(amount),
            headers={**owner.auth, "Content-Type": "application/xml"},
        )
        assert response.status_code in (201, 422), response.text
        if response.status_code == 201:
            created.append(int(ElementTree.fromstring(response.content).findtext("id") or 0))

    async def delete() -> None:
        await asyncio.sleep(0.01)
        if created:
            payment_id = rng.choice(created)
            response = await client.delete(
                f"/invoices/{invoice_id}/payments/{payment_id}", headers=owner.auth
            )
            assert response.status_code in (200, 404)
            if response.status_code == 200:
                deleted.append(payment_id)

    for _ in range(3):
        await asyncio.gather(*[pay() for _ in range(40)], *[delete() for _ in range(20)])

    assert len(created) + len(deleted) >= 50
    assert len(deleted) == len(set(deleted))
    rows = await db.fetch(
        "SELECT id, amount, deleted_at FROM payments WHERE invoice_id = $1", invoice_id
    )
    assert {r["id"] for r in rows} == set(created)
    assert {r["id"] for r in rows if r["deleted_at"] is not None} == set(deleted)
    live = sum((r["amount"] for r in rows if r["deleted_at"] is None), Decimal(0))
    invoice = await db.fetchrow("SELECT amount, due_amount FROM invoices WHERE id = $1", invoice_id)
    assert invoice["due_amount"] == invoice["amount"] - live
    assert invoice["due_amount"] >= 0
