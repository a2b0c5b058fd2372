"""On a Citus cluster (`make test-citus`): each request's statements run on its account's shard
alone, with no two-phase commit, and the event feed stays exact while shards move.

Skipped on plain PostgreSQL, where there is nothing to route.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from asyncpg.connection import LoggedQuery

from payments_service.config import Settings
from payments_service.db import pool as database
from tests.support.api import create_invoice, paid, payment_xml, v2_headers
from tests.support.app import serving
from tests.support.auth import Account, make_account
from tests.support.database import CITUS

pytestmark = pytest.mark.skipif(not CITUS, reason="needs a Citus cluster (make test-citus)")

JSON = {"Accept": "application/json"}
XML = {"Content-Type": "application/xml"}
STATEMENTS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")
PURGE = "DELETE FROM idempotency_keys WHERE expires_at"
# Statements that span tenants by nature, each on every shard: the token directory learning the
# ids issued since it last looked (TokenDirectory in http/auth.py; once per worker and new token).
SPANS_TENANTS = ("SELECT id, substring(token_hash FROM 1 FOR $2) FROM api_tokens WHERE id > $1",)


@dataclass
class Logged:
    http: httpx.AsyncClient
    sent: list[tuple[str, tuple[Any, ...]]]  # every statement with its arguments
    purged: asyncio.Event  # set once the purge of expired idempotency keys ran


@pytest.fixture
async def logged(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Logged]:
    """An app whose every statement is recorded."""
    sent: list[tuple[str, tuple[Any, ...]]] = []
    purged = asyncio.Event()
    create_pool = asyncpg.create_pool

    def log(query: LoggedQuery) -> None:
        # executemany logs its list of argument tuples: each routes alike, keep the first
        args = query.args[0] if isinstance(query.args, list) else query.args
        sent.append((query.query, args))
        if query.query.startswith(PURGE):
            purged.set()

    async def log_statements(conn: asyncpg.Connection) -> None:
        conn.add_query_logger(log)

    def logging_pool(*args: Any, **kwargs: Any) -> asyncpg.Pool:
        return create_pool(*args, **kwargs, init=log_statements)

    monkeypatch.setattr(database.asyncpg, "create_pool", logging_pool)
    async with serving(settings) as (_, http):
        yield Logged(http, sent, purged)


async def every_kind_of_request(http: httpx.AsyncClient, owner: Account) -> None:
    """What a client of both APIs does, each answered as it should be."""
    invoice_id = await create_invoice(http, owner, amount="100.00")
    invoice = f"/invoices/{invoice_id}"
    payment_id = await paid(http, owner, invoice_id, "10.00")
    expected = [
        await http.get(invoice, headers=owner.auth),
        await http.get("/invoices", headers=owner.auth),
        await http.get(f"{invoice}/payments", headers=owner.auth),
        await http.get(f"{invoice}/payments/{payment_id}", headers=owner.auth),
        await http.post(
            f"{invoice}/payments",
            content=payment_xml("5.00"),
            headers={**owner.auth, **XML, "Idempotency-Key": "k-1"},
        ),
        await http.post(
            f"{invoice}/payments",
            content=payment_xml("5.00"),
            headers={**owner.auth, **XML, "Idempotency-Key": "k-1"},
        ),
        await http.delete(f"{invoice}/payments/{payment_id}", headers=owner.auth),
        await http.get("/events", headers={**owner.auth, **JSON}),
        await http.get("/events", params={"after": "1-1"}, headers={**owner.auth, **JSON}),
        await http.post(
            "/webhooks",
            content="<webhook><url>https://hooks.example/p</url></webhook>",
            headers={**owner.auth, **XML},
        ),
        await http.get("/webhooks", headers={**owner.auth, **JSON}),
        await http.post(f"/v2{invoice}/payments", json={"amount": 1}, headers=v2_headers(owner)),
        await http.get(f"/v2{invoice}/payments", headers=v2_headers(owner)),
        await http.get(f"/v2{invoice}", headers=v2_headers(owner)),
        await http.get("/v2/invoices", headers=v2_headers(owner)),
        await http.get("/v2/users/me", headers=v2_headers(owner)),
    ]
    other = await create_invoice(http, owner, number="2", sent=False)
    expected.append(await http.delete(f"/invoices/{other}", headers=owner.auth))
    for response in expected:
        assert response.status_code < 300, (response.request.url, response.text)


async def test_every_request_statement_is_a_single_shard_router_query_without_two_phase_commit(
    logged: Logged, db: asyncpg.Pool, owner: Account
) -> None:
    # The purge of expired idempotency keys, at start, is the one write to every shard (with a
    # two-phase commit): once it ran, count what the requests do.
    async with asyncio.timeout(60):
        await logged.purged.wait()
    logged.sent.clear()
    committed_in_two_phases = await db.fetchval("SELECT count(*) FROM pg_dist_transaction")

    await every_kind_of_request(logged.http, owner)

    assert await db.fetchval("SELECT count(*) FROM pg_dist_transaction") == (
        committed_in_two_phases
    )
    statements = {
        query: args
        for query, args in logged.sent
        if query.lstrip().upper().startswith(STATEMENTS) and not query.startswith(SPANS_TENANTS)
    }
    assert len(statements) > 20
    for query, args in statements.items():
        plan = "\n".join(row[0] for row in await db.fetch(f"EXPLAIN {query}", *args))
        if "Citus" not in plan:  # no distributed table: e.g. an advisory lock
            continue
        assert "Task Count: 1\n" in plan and "Subplan" not in plan, (query, plan)


async def shard_of(db: asyncpg.Pool, account_id: int) -> tuple[int, str, int]:
    """The shard holding the account's rows, and its node."""
    row = await db.fetchrow(
        "SELECT shardid, nodename, nodeport FROM citus_shards "
        "WHERE shardid = get_shard_id_for_distribution_column('invoices', $1::bigint)",
        account_id,
    )
    assert row is not None
    return row["shardid"], row["nodename"], row["nodeport"]


async def accounts_on_every_shard(db: asyncpg.Pool) -> list[Account]:
    """Accounts made until every shard holds one, at least one per worker."""
    shards = await db.fetchval(
        "SELECT count(*) FROM citus_shards WHERE table_name = 'invoices'::regclass"
    )
    accounts: dict[int, Account] = {}
    for n in range(200):
        account = await make_account(db, f"Tenant{n}")
        shard = (await shard_of(db, account.id))[0]
        accounts.setdefault(shard, account)
        if len(accounts) == shards:
            return list(accounts.values())
    raise AssertionError("accounts did not spread over the shards")


async def feed_of(http: httpx.AsyncClient, account: Account) -> list[dict[str, Any]]:
    """The account's whole feed, followed page by page as a reader would."""
    events: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 7}
    while page := (
        await http.get("/events", params=params, headers={**account.auth, **JSON})
    ).json():
        events += [item["event"] for item in page]
        params["after"] = events[-1]["cursor"]
    return events


@pytest.fixture
async def old_placements_dropped(db: asyncpg.Pool) -> AsyncIterator[None]:
    """A move leaves the old placement to be dropped later (Citus' deferred cleanup), with its
    rows and its foreign keys to the copy of the reference table `users` on that node: until
    then the next test could not empty `users` (support/database.py). Drop it now."""
    yield
    await db.execute("CALL citus_cleanup_orphaned_resources()")


@pytest.mark.usefixtures("old_placements_dropped")
async def test_writes_on_every_shard_while_one_moves_give_each_tenant_its_events_once_in_order(
    client: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    tenants = await accounts_on_every_shard(db)
    invoices = {t.id: await create_invoice(client, t, amount="100000.00") for t in tenants}
    moved = tenants[0]
    shard, node, port = await shard_of(db, moved.id)
    target = await db.fetchrow(
        "SELECT nodename, nodeport FROM pg_dist_node WHERE shouldhaveshards AND isactive "
        "AND noderole = 'primary' AND nodeport <> $1 ORDER BY nodeport LIMIT 1",
        port,
    )
    assert target is not None
    writing = asyncio.Semaphore(0)  # released once per tenant that has paid 10 times
    moved_away = asyncio.Event()
    seen: dict[int, list[dict[str, Any]]] = {}

    async def write(tenant: Account) -> int:
        """Payments before, during and after the move (10 after it, at least)."""
        count = after = 0
        while after < 10:
            await paid(client, tenant, invoices[tenant.id], "1.00")
            count += 1
            after += moved_away.is_set()
            if count == 10:
                writing.release()
        return count

    async def read_while_writing(tenant: Account) -> None:
        """A reader following the feed as it grows must never see a gap or a repeat."""
        events: list[dict[str, Any]] = []
        while not moved_away.is_set():
            params = {"after": events[-1]["cursor"]} if events else {}
            page = await client.get("/events", params=params, headers={**tenant.auth, **JSON})
            events += [item["event"] for item in page.json()]
            await asyncio.sleep(0.01)
        seen[tenant.id] = events

    async def move() -> None:
        for _ in tenants:
            await writing.acquire()
        await db.execute(
            "SELECT citus_move_shard_placement($1, $2, $3, $4, $5)",
            shard,
            node,
            port,
            target["nodename"],
            target["nodeport"],
        )
        moved_away.set()

    async with asyncio.timeout(300):
        *written, _ = await asyncio.gather(
            *(write(t) for t in tenants), *(read_while_writing(t) for t in tenants), move()
        )

    assert (await shard_of(db, moved.id))[1:] == (target["nodename"], target["nodeport"])
    for tenant, payments in zip(tenants, written[: len(tenants)], strict=True):
        events = await feed_of(client, tenant)
        # the invoice made and sent, then payment.created once per payment, in order, no gaps
        types = ["invoice.created", "invoice.updated"] + ["payment.created"] * payments
        assert [e["type"] for e in events] == types
        assert [e["sequence"] for e in events] == list(range(1, len(types) + 1))
        positions = [int(e["cursor"].split("-")[0]) for e in events]
        assert positions == list(range(positions[0], positions[0] + len(events)))
        following = seen[tenant.id]
        assert following == events[: len(following)]
