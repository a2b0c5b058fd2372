"""SQL for idempotency keys. Scoped by account, except the purge of expired keys."""

from datetime import timedelta

import asyncpg
import orjson

from payments_service.db.pool import Connection


async def try_lock(conn: Connection, *, account_id: int, key: str) -> bool:
    """Hold the key until the transaction ends; False when another request holds it now."""
    locked: bool = await conn.fetchval(
        "SELECT pg_try_advisory_xact_lock(hashtextextended($2, $1))", account_id, key
    )
    return locked


async def find_live(conn: Connection, *, account_id: int, key: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """
        SELECT request_hash, status_code, headers, body FROM idempotency_keys
        WHERE account_id = $1 AND key = $2 AND expires_at > now()
        """,
        account_id,
        key,
    )


async def save(
    conn: Connection,
    *,
    account_id: int,
    key: str,
    request_hash: bytes,
    status_code: int,
    headers: dict[str, str],
    body: bytes,
    ttl: timedelta,
) -> None:
    """Store the response; an expired row for the same key is replaced."""
    await conn.execute(
        """
        INSERT INTO idempotency_keys
            (account_id, key, request_hash, status_code, headers, body, expires_at)
        VALUES ($1, $2, $3, $4, $5::jsonb, $6, now() + $7)
        ON CONFLICT (account_id, key) DO UPDATE SET request_hash = excluded.request_hash,
            status_code = excluded.status_code, headers = excluded.headers,
            body = excluded.body, created_at = excluded.created_at,
            expires_at = excluded.expires_at
        """,
        account_id,
        key,
        request_hash,
        status_code,
        orjson.dumps(headers).decode(),
        body,
        ttl,
    )


async def purge_expired(conn: Connection) -> int:
    """Delete every account's expired keys; how many went."""
    status: str = await conn.execute("DELETE FROM idempotency_keys WHERE expires_at <= now()")
    return int(status.rsplit(" ", 1)[1])
