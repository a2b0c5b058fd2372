"""System test (marker `system`): a revoked token and a disabled account are refused by every
worker of a real `serve` within 5 s (TOKEN_CACHE_SECONDS, 1 s by default, is the bound; the
rest is slack for a busy machine). Each worker is probed on a connection it is known to hold."""

import asyncio
import time

import asyncpg
import pytest

from payments_service.config import Settings
from tests.support.auth import make_account
from tests.support.server import start_server
from tests.support.workers import connection_per_worker, read_response

pytestmark = pytest.mark.system

BOUND = 5.0


def request(token: str) -> bytes:
    return (
        f"GET /invoices HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n"
        "Accept: application/json\r\n\r\n"
    ).encode()


async def test_revocation_and_disabling_reach_every_worker_within_5_s(
    database_url: str, db: asyncpg.Pool
) -> None:
    assert Settings().token_cache_seconds <= BOUND  # the default, as deployed
    revoked = await make_account(db, "Revoked")
    disabled = await make_account(db, "Disabled")
    process, base = start_server(database_url, workers=2)
    try:
        host, port = base.removeprefix("http://").split(":")
        connections = await connection_per_worker(process.pid, host, int(port))
        for reader, writer in connections.values():  # each worker trusts both tokens now
            for account in (revoked, disabled):
                writer.write(request(account.token))
                assert (await read_response(reader))[0] == 200

        async with db.acquire() as conn, conn.transaction():
            await conn.execute(
                "UPDATE api_tokens SET revoked_at = now() WHERE account_id = $1", revoked.id
            )
            await conn.execute("UPDATE accounts SET is_active = false WHERE id = $1", disabled.id)
        changed = time.monotonic()

        async def seen_by(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> float:
            for account, refused in ((revoked, 401), (disabled, 403)):
                while True:
                    writer.write(request(account.token))
                    status = (await read_response(reader))[0]
                    if status == refused:
                        break
                    assert status == 200
                    await asyncio.sleep(0.05)
            return time.monotonic() - changed

        async with asyncio.timeout(BOUND + 30):  # the assertion below is the bound
            seen = await asyncio.gather(*(seen_by(*c) for c in connections.values()))
        for _, writer in connections.values():
            writer.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(f"\nrevocation and disabling seen by {len(seen)} workers after {max(seen):.2f} s")
    assert max(seen) <= BOUND
