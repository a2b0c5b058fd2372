"""A PostgreSQL of the faults tests' own, which they may stop and restart.

The shared test server and any system PostgreSQL are never touched: this one is a throwaway
embedded server in a temporary directory, deleted at the end (support/database.py).
"""

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.support.database import OwnPostgres, empty_all, reset_statement


@pytest.fixture(scope="package")
def own_postgres() -> Iterator[OwnPostgres]:
    root = Path(tempfile.mkdtemp(prefix="payments-faults-"))
    postgres = OwnPostgres(root)
    yield postgres
    try:
        postgres.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
async def own_db(own_postgres: OwnPostgres) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the own PostgreSQL (running, tables empty) for seeding and assertions."""
    pool = await asyncpg.create_pool(own_postgres.url, min_size=1, max_size=3)
    assert pool is not None
    await empty_all(pool, await reset_statement(pool))
    yield pool
    await pool.close()
