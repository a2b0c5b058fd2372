"""Fixtures: a real PostgreSQL built from the migrations, the app, and accounts with tokens.

Every test starts from empty tables. What they share besides fixtures is in tests/support/
(the test database itself: support/database.py).
"""

import subprocess
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from payments_service.config import Settings
from tests.support.app import checked_client, make_app
from tests.support.auth import METRICS_TOKEN, Account, make_account
from tests.support.contract import ContractChecker
from tests.support.database import CITUS, empty_all, reset_statement, session_database
from tests.support.server import LOOPBACK, start_server

# What `make test-citus` leaves out, and why (each shows as skipped with its reason).
NOT_ON_CITUS = {
    "tests/faults/test_database_restart.py": "stops and restarts a PostgreSQL of its own (a "
    "plain embedded one, not the cluster), which `make test` covers already",
    "tests/payments/test_list_plan.py": "counts one server's cached plans of a prepared "
    "statement; on Citus the coordinator plans each routed execution itself",
    "tests/webhooks/test_due_plan.py": "reads one server's plan of the due query; on Citus "
    "the coordinator's plan is a scan of the shards' plans",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not CITUS:
        return
    for item in items:
        for prefix, reason in NOT_ON_CITUS.items():
            if item.nodeid.startswith(prefix):
                item.add_marker(pytest.mark.skip(reason=f"not on Citus: {reason}"))


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with session_database() as url:
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    # Tests that pile concurrent requests on one invoice queue for connections; on a busy
    # machine that passes 2 s. The 503 for a pool timeout has its own test (test_health.py).
    # Webhook tests run their own dispatchers, with timings they choose, and their receivers
    # listen on loopback.
    return Settings(
        database_url=database_url,
        db_pool_size=20,
        db_pool_timeout=30,
        dispatcher_enabled=False,
        metrics_token=METRICS_TOKEN,
        allowed_hosts="testserver,127.0.0.1",
        # Tests send many bad credentials from one address; the limit has its own tests.
        auth_failure_limit=10**6,
        webhook_allowed_private_networks=LOOPBACK,
    )


@pytest.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool for tests to look at (and seed) the database directly."""
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=5)
    assert pool is not None
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def reset(db: asyncpg.Pool) -> str:
    """The statement that empties the tables (support/database.py)."""
    return await reset_statement(db)


@pytest.fixture(autouse=True)
async def empty_tables(db: asyncpg.Pool, reset: str) -> None:
    await empty_all(db, reset)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = make_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
def contract(app: FastAPI) -> ContractChecker:
    """An httpx response hook: every response must match /openapi.json (support/contract.py)."""
    return ContractChecker(app)


@pytest.fixture
async def client(app: FastAPI, contract: ContractChecker) -> AsyncIterator[httpx.AsyncClient]:
    async with checked_client(app, contract) as http:
        yield http


@pytest.fixture
async def owner(db: asyncpg.Pool) -> Account:
    return await make_account(db, "Acme")


@pytest.fixture
async def stranger(db: asyncpg.Pool) -> Account:
    return await make_account(db, "Globex", user="Someone Else")


@pytest.fixture(scope="session")
def live_service(database_url: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """The service under uvicorn with 2 workers on a real socket, as `serve` runs it."""
    # Fuzzers send thousands of bad credentials from one address; the limit has its own tests.
    process, base = start_server(database_url, env={"AUTH_FAILURE_LIMIT": "1000000"})
    yield process, base
    process.terminate()
    process.wait(timeout=15)


@pytest.fixture(scope="session")
def live_server(live_service: tuple[subprocess.Popen[bytes], str]) -> str:
    """The base URL of `live_service`."""
    return live_service[1]
