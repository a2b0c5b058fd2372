"""The v1 payment list past one chunk is streamed from the database: the same bytes as the
list rendered at once, in XML and JSON, oldest first."""

import asyncpg
import httpx
import pytest

from payments_service.documents import Document
from payments_service.http.json_codec import to_json
from payments_service.http.xml_codec import to_xml
from payments_service.payments import repository, service
from payments_service.payments.fields import PAYMENT
from tests.support.auth import make_account
from tests.support.database import invoice_with_payments


@pytest.mark.parametrize(
    "count",
    [service.CHUNK - 1, service.CHUNK, pytest.param(2 * service.CHUNK + 7, marks=pytest.mark.slow)],
)
async def test_a_long_payment_list_is_streamed_with_the_same_bytes(
    client: httpx.AsyncClient, db: asyncpg.Pool, count: int
) -> None:
    account = await make_account(db, "Long")
    async with db.acquire() as conn:
        invoice_id = await invoice_with_payments(conn, account.id, count)
        await conn.execute(  # a deleted payment in the middle is left out
            "UPDATE payments SET deleted_at = now() WHERE account_id = $1 AND id = "
            "(SELECT min(id) + 5 FROM payments WHERE invoice_id = $2)",
            account.id,
            invoice_id,
        )
        rows = await repository.list_live(
            conn, account_id=account.id, invoice_id=invoice_id, limit=10 * count
        )
    assert rows is not None and len(rows) == count - 1
    for accept, rendered in (
        ("application/xml", to_xml(Document(PAYMENT.v1, rows)).encode()),
        ("application/json", to_json(Document(PAYMENT.v1, rows))),
    ):
        response = await client.get(
            f"/invoices/{invoice_id}/payments", headers={**account.auth, "Accept": accept}
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(accept)
        assert response.content == rendered
        streamed = count - 1 >= service.CHUNK
        assert ("content-length" not in response.headers) is streamed
