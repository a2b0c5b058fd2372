"""SQL for accounts, users and API tokens."""

import math
import time

import asyncpg

from payments_service.db.pool import Connection


async def find_token(conn: Connection, *, account_id: int, token_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """
        SELECT t.account_id, t.id AS token_id, t.token_hash, u.id AS user_id, u.name, u.email,
               a.invoices_enabled, a.is_active
        FROM api_tokens t
        JOIN users u ON u.account_id = t.account_id AND u.id = t.user_id
        JOIN accounts a ON a.id = t.account_id
        WHERE t.account_id = $1 AND t.id = $2 AND t.revoked_at IS NULL
        """,
        account_id,
        token_id,
    )


async def token_prefixes(conn: Connection, *, after: int, length: int) -> list[asyncpg.Record]:
    """(id, first `length` bytes of the secret's hash) of every token with an id above `after`,
    revoked or not, by id."""
    return await conn.fetch(
        "SELECT id, substring(token_hash FROM 1 FOR $2) FROM api_tokens WHERE id > $1 ORDER BY id",
        after,
        length,
    )


async def any_account(conn: Connection) -> bool:
    found: bool = await conn.fetchval("SELECT EXISTS (SELECT FROM accounts)")
    return found


async def find_account_by_id(conn: Connection, *, account_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, name FROM accounts WHERE id = $1", account_id)


async def find_account(conn: Connection, *, name: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, name FROM accounts WHERE name = $1", name)


async def insert_account(conn: Connection, *, name: str, invoices_enabled: bool = True) -> int:
    account_id: int = await conn.fetchval(
        "INSERT INTO accounts (name, invoices_enabled) VALUES ($1, $2) RETURNING id",
        name,
        invoices_enabled,
    )
    return account_id


async def find_user(conn: Connection, *, email: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT account_id, id, name, email FROM users WHERE lower(email) = lower($1)", email
    )


async def insert_user(conn: Connection, *, account_id: int, name: str, email: str) -> int:
    user_id: int = await conn.fetchval(
        "INSERT INTO users (account_id, name, email) VALUES ($1, $2, $3) RETURNING id",
        account_id,
        name,
        email,
    )
    return user_id


async def insert_token(
    conn: Connection, *, account_id: int, user_id: int, token_hash: bytes
) -> int:
    token_id: int = await conn.fetchval(
        "INSERT INTO api_tokens (account_id, user_id, token_hash) VALUES ($1, $2, $3) RETURNING id",
        account_id,
        user_id,
        token_hash,
    )
    return token_id


async def get_user(conn: Connection, *, account_id: int, user_id: int) -> asyncpg.Record:
    """The user with their account's name and status (the caller's own user: it exists)."""
    row = await conn.fetchrow(
        """
        SELECT u.id, u.name, u.email, u.created_at, a.id AS account_id,
               a.name AS account_name, a.is_active
        FROM users u JOIN accounts a ON a.id = u.account_id
        WHERE u.account_id = $1 AND u.id = $2
        """,
        account_id,
        user_id,
    )
    assert row is not None
    return row


async def get_account(conn: Connection, *, account_id: int) -> asyncpg.Record:
    """The caller's own account (it exists)."""
    row = await conn.fetchrow(
        """
        SELECT name, is_active, invoices_enabled, currency_code_display,
               currency_symbol_display, decimal_symbol, thousands_separator
        FROM accounts WHERE id = $1
        """,
        account_id,
    )
    assert row is not None
    return row


async def revoke_token(conn: Connection, *, token_id: int) -> bool:
    """False when there is no such token or it is revoked already."""
    revoked = await conn.fetchval(
        "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL "
        "RETURNING id",
        token_id,
    )
    return revoked is not None


async def set_active(conn: Connection, *, account_id: int, active: bool) -> None:
    await conn.execute("UPDATE accounts SET is_active = $2 WHERE id = $1", account_id, active)


async def count_request(
    conn: Connection, *, account_id: int, window_seconds: int
) -> tuple[int, int]:
    """Count one request in the account's current rate-limit window: (requests in it so far,
    seconds until it ends). Windows are aligned on the database's clock, the same for every
    worker; a request of a later window starts it afresh, and one that computed its window just
    before another request opened the next one counts in the newer window. The seconds left
    are reckoned on this process's clock (Citus allows no clock in a RETURNING), at most a
    window."""
    row = await conn.fetchrow(
        """
        INSERT INTO rate_limit_windows AS w (account_id, window_start, hits)
        VALUES ($1, to_timestamp(floor(extract(epoch FROM now()) / $2::int) * $2::int), 1)
        ON CONFLICT (account_id) DO UPDATE SET
            hits = CASE WHEN excluded.window_start > w.window_start THEN 1 ELSE w.hits + 1 END,
            window_start = greatest(w.window_start, excluded.window_start)
        RETURNING w.hits, w.window_start
        """,
        account_id,
        window_seconds,
    )
    assert row is not None
    left = math.ceil(row["window_start"].timestamp() + window_seconds - time.time())
    return row["hits"], min(left, window_seconds)
