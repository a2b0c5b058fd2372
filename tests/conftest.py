"""Fixtures: a real PostgreSQL built from the migrations, the app, and accounts with tokens.

Without DATABASE_URL a throwaway embedded PostgreSQL is started; with it, a fresh database is
created on that server for the run and dropped afterwards, except with TEST_CITUS=1: then
DATABASE_URL is a database prepared on every node of a Citus cluster (scripts/citus-cluster.sh),
used as it is. Every test starts from empty tables.
"""

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from payments_service.accounts import service as accounts
from payments_service.config import Settings
from payments_service.db import embedded
from payments_service.db.migrate import migrate
from payments_service.main import create_app
from payments_service.webhooks.policy import WebhookPolicy
from tests.contract.checker import ContractChecker
from tests.fake_dns import DNS

LOOPBACK = "127.0.0.0/8"

SHARED = Path(__file__).resolve().parents[2] / "shared"  # beside the checkout


def shared_spec(name: str, *, variable: str) -> Path:
    """One of Harvest's documents: `../shared/spec/<name>` beside the checkout, or the file the
    environment variable `variable` names. Missing (e.g. in a clone of the repository alone):
    the test that needs it skips, saying what to place where."""
    path = Path(os.environ.get(variable) or SHARED / "spec" / name)
    if not path.is_file():
        pytest.skip(f"needs Harvest's {name}: place it at {path}, or set {variable} to its path")
    return path


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


CITUS = os.environ.get("TEST_CITUS") == "1"
# What `make test-citus` leaves out, and why (each shows as skipped with its reason).
NOT_ON_CITUS = {
    "tests/faults/test_database_restart.py": "stops and restarts a PostgreSQL of its own (a "
    "plain embedded one, not the cluster), which `make test` covers already",
    "tests/payments/test_list_plan.py": "counts one server's cached plans of a prepared "
    "statement; on Citus the coordinator plans each routed execution itself",
    "tests/webhooks/test_due_plan.py": "reads one server's plan of the due query; on Citus "
    "the coordinator's plan is a scan of the shards' plans",
}


# How many statements wait for a lock (on a cluster, on any of its nodes).
LOCK_WAITERS = (
    f"SELECT count(*) FROM {'citus_stat_activity' if CITUS else 'pg_stat_activity'} "
    "WHERE wait_event_type = 'Lock'"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not CITUS:
        return
    for item in items:
        for prefix, reason in NOT_ON_CITUS.items():
            if item.nodeid.startswith(prefix):
                item.add_marker(pytest.mark.skip(reason=f"not on Citus: {reason}"))


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
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
    name = f"payments_test_{os.getpid()}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(server_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f"DROP DATABASE IF EXISTS {name}"))
    asyncio.run(admin(f"CREATE DATABASE {name}"))
    url = with_database(server_url, name)
    migrate(url)
    yield url
    asyncio.run(admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    if pgdata_parent is not None:
        embedded.stop(pgdata_parent / "pg")
        shutil.rmtree(pgdata_parent, ignore_errors=True)


METRICS_TOKEN = "scraper-secret"
METRICS_AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}


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


async def truncate_all(db: asyncpg.Pool) -> None:
    tables = await db.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
        "AND tablename <> 'alembic_version'"
    )
    names = ", ".join(f'"{t["tablename"]}"' for t in tables)
    # Token ids are never reused, as in production: every worker remembers the ids it has met
    # (auth.TokenDirectory), so their sequence keeps counting.
    async with db.acquire() as conn, conn.transaction():
        next_token = await conn.fetchval("SELECT nextval('api_tokens_id_seq')")
        await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        await conn.execute("SELECT setval('api_tokens_id_seq', $1)", next_token)


@pytest.fixture(autouse=True)
async def empty_tables(db: asyncpg.Pool) -> None:
    await truncate_all(db)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    application.state.webhook_policy = WebhookPolicy.of(settings, DNS.resolve)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
def contract(app: FastAPI) -> ContractChecker:
    """An httpx response hook: every response must match /openapi.json (see checker.py)."""
    return ContractChecker(app)


@pytest.fixture
async def client(app: FastAPI, contract: ContractChecker) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", event_hooks={"response": [contract]}
    ) as http:
        yield http


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """An app of its own (with its own pool), started and stopped like a worker."""
    app = create_app(settings)
    app.state.webhook_policy = WebhookPolicy.of(settings, DNS.resolve)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            event_hooks={"response": [ContractChecker(app)]},
        ) as http:
            yield app, http


@dataclass
class Account:
    """An account with one user and a token, as `payments-service create-token` makes them."""

    id: int
    email: str
    name: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_account(
    db: asyncpg.Pool, name: str, *, invoices_enabled: bool = True, user: str = "Happy Owner"
) -> Account:
    email = f"{name.lower()}@example.com"
    async with db.acquire() as conn:
        account_id = await accounts.create_account(
            conn, name=name, invoices_enabled=invoices_enabled
        )
        token = await accounts.create_token(conn, account_id=account_id, email=email, name=user)
    return Account(id=account_id, email=email, name=user, token=token)


@pytest.fixture
async def owner(db: asyncpg.Pool) -> Account:
    return await make_account(db, "Acme")


@pytest.fixture
async def stranger(db: asyncpg.Pool) -> Account:
    return await make_account(db, "Globex", user="Someone Else")


INVOICE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<invoice>
  <client-id type="integer">11</client-id>
  <number>{number}</number>
  <currency>{currency}</currency>
  <amount type="decimal">{amount}</amount>
  <issued-at type="date">2008-02-06</issued-at>
  <due-at type="date">2008-03-06</due-at>
  <subject>Invoice {number}</subject>
  <notes>Some notes</notes>
</invoice>"""


async def create_invoice(
    client: httpx.AsyncClient,
    account: Account,
    *,
    number: str = "1",
    amount: str = "100.00",
    currency: str = "USD",
    sent: bool = True,
) -> int:
    """An invoice via the API, marked as sent unless `sent` is False; returns its id."""
    response = await client.post(
        "/invoices",
        content=INVOICE_XML.format(number=number, amount=amount, currency=currency),
        headers={**account.auth, "Content-Type": "application/xml"},
    )
    assert response.status_code == 201, response.text
    invoice_id = int(response.headers["Location"].rsplit("/", 1)[1])
    if sent:
        sent_response = await client.post(
            f"/invoices/{invoice_id}/messages/mark_as_sent", headers=account.auth
        )
        assert sent_response.status_code == 200, sent_response.text
    return invoice_id


def payment_xml(amount: str, paid_at: str = "2008-02-14T00:00:00Z", notes: str = "check") -> str:
    return (
        "<payment>"
        f'<paid-at type="datetime">{paid_at}</paid-at>'
        f'<amount type="decimal">{amount}</amount>'
        f"<notes>{notes}</notes>"
        "</payment>"
    )


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    database_url: str,
    *,
    workers: int = 2,
    env: dict[str, str] | None = None,
    stderr: int | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """`payments-service serve` on a free port, once it answers: the process and its base URL."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DB_POOL_SIZE": "10",
        "DISPATCHER_ENABLED": "false",  # webhook tests start the dispatchers they need
        "METRICS_TOKEN": METRICS_TOKEN,
        # Subscribers on loopback; no host name is looked up (no DNS from tests).
        "WEBHOOK_ALLOWED_PRIVATE_NETWORKS": LOOPBACK,
        "WEBHOOK_REGISTRATION_LOOKUP": "false",
        **(env or {}),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "payments_service.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=environment,
        stderr=stderr,
        start_new_session=True,  # its own process group, so a test can kill it whole
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # a loaded machine restarts slow workers a few times
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            os.killpg(process.pid, signal.SIGKILL)
            raise RuntimeError("the live server did not start")
        time.sleep(0.2)
    return process, base


def workers_of(pid: int) -> list[int]:
    """The uvicorn worker processes of the server `pid`."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [
        int(child)
        for child in children
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


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


async def pay(
    client: httpx.AsyncClient, account: Account, invoice_id: int, amount: str
) -> httpx.Response:
    """Record a payment via the API (XML, as the source document sends it)."""
    return await client.post(
        f"/invoices/{invoice_id}/payments",
        content=payment_xml(amount),
        headers={**account.auth, "Content-Type": "application/xml"},
    )


async def paid(client: httpx.AsyncClient, account: Account, invoice_id: int, amount: str) -> int:
    """Record a payment that must succeed; its id."""
    response = await pay(client, account, invoice_id, amount)
    assert response.status_code == 201, response.text
    return int(response.headers["Location"].rsplit("/", 1)[1])


async def account_rows(db: asyncpg.Pool, account_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row of one account, to assert that another account's requests left it alone."""
    snap = await snapshot(db)
    return {
        table: [row for row in rows if row.get("account_id", row.get("id")) == account_id]
        for table, rows in snap.items()
        if table != "alembic_version"
    }
