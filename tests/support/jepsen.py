"""A bank-style invariant check, as Jepsen does for databases: many clients run random
operations against a live server, every answer is recorded, and afterwards the database must
agree with what the clients were told.

Used by tests/test_jepsen.py (bounded, in `make test`), the fault tests (the same load while
they kill workers or restart PostgreSQL), and `make jepsen`.
"""

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.etree import ElementTree

import asyncpg
import httpx

from payments_service.balances.service import verify_balances
from tests.support.api import INVOICE_XML, payment_xml
from tests.support.auth import Account, make_account
from tests.support.contract import ContractChecker

XML = {"Content-Type": "application/xml"}
# What each operation may answer when nothing fails; anything else is a violation.
EXPECTED = {
    "pay": {201, 409, 422},  # 409: a concurrent retry of the same key; 422: overpaid or closed
    "delete": {200, 404},  # 404: someone else deleted it first
    "close": {200, 422},
    "re_open": {200, 422},
    "edit": {200, 422},
}


@dataclass
class Op:
    kind: str
    invoice_id: int
    status: int | None = None  # None: no answer (connection lost, server killed)
    key: str | None = None
    payment_id: int | None = None
    retry_after: str | None = None


@dataclass
class Workload:
    """Random operations on a handful of invoices of one account, every outcome recorded."""

    account: Account
    invoice_ids: list[int]
    contract: ContractChecker  # every answer must be one the OpenAPI document describes
    seed: int = 1
    history: list[Op] = field(default_factory=list)
    paid: list[tuple[int, int]] = field(default_factory=list)  # (invoice, payment) seen 201

    async def run(self, base_url: str, *, operations: int, clients: int) -> None:
        """At least `operations` requests from `clients` concurrent clients."""
        rng = random.Random(self.seed)
        self.seed += 1
        budget = [operations]
        await asyncio.gather(*(self._client(base_url, rng, budget) for _ in range(clients)))

    async def _client(self, base_url: str, rng: random.Random, budget: list[int]) -> None:
        # A connection pool per client, as separate services have: one pool shared by all
        # of them costs the test more CPU than the server spends answering.
        async with httpx.AsyncClient(
            base_url=base_url,
            headers=self.account.auth,
            # Longer than a request may wait for a database connection (DB_POOL_TIMEOUT, 30 s
            # in the fault tests), so an answer is never cut by the client.
            timeout=60,
            # Idle connections are dropped before the server's keep-alive timeout (5 s): a
            # request sent on a connection the server is closing at that moment is lost.
            limits=httpx.Limits(keepalive_expiry=2),
            event_hooks={"response": [self.contract]},
        ) as http:
            await self._operations(http, rng, budget)

    async def _operations(
        self, http: httpx.AsyncClient, rng: random.Random, budget: list[int]
    ) -> None:
        while budget[0] > 0:
            roll = rng.random()
            invoice_id = rng.choice(self.invoice_ids)
            if roll < 0.45:
                budget[0] -= 1
                await self._pay(http, invoice_id, f"{rng.randint(1, 3000) / 100:.2f}", copies=1)
            elif roll < 0.60:  # an idempotent retry: the same request sent 2-3 times at once
                copies = rng.randint(2, 3)
                budget[0] -= copies
                await self._pay(http, invoice_id, f"{rng.randint(1, 3000) / 100:.2f}", copies)
            elif roll < 0.85 and self.paid:
                budget[0] -= 1
                await self._delete(http, *rng.choice(self.paid))
            elif roll < 0.93:
                budget[0] -= 1
                await self._message(http, invoice_id, rng.choice(["close", "re_open"]))
            else:
                budget[0] -= 1
                await self._edit(http, invoice_id, f"{rng.randint(800, 1200)}.00")

    async def _send(
        self, op: Op, http: httpx.AsyncClient, method: str, url: str, **kw: object
    ) -> httpx.Response | None:
        self.history.append(op)
        try:
            response = await http.request(method, url, **kw)  # type: ignore[arg-type]
        except httpx.TransportError:
            return None
        op.status = response.status_code
        op.retry_after = response.headers.get("Retry-After")
        return response

    async def _pay(
        self, http: httpx.AsyncClient, invoice_id: int, amount: str, copies: int
    ) -> None:
        key = uuid.uuid4().hex
        # The key is also the payment's notes, so the database says which request wrote it.
        body = payment_xml(amount, notes=key)

        async def once() -> None:
            op = Op("pay", invoice_id, key=key)
            response = await self._send(
                op,
                http,
                "POST",
                f"/invoices/{invoice_id}/payments",
                content=body,
                headers={**XML, "Idempotency-Key": key},
            )
            if response is not None and response.status_code == 201:
                op.payment_id = int(ElementTree.fromstring(response.content).findtext("id") or 0)
                self.paid.append((invoice_id, op.payment_id))

        await asyncio.gather(*(once() for _ in range(copies)))

    async def _delete(self, http: httpx.AsyncClient, invoice_id: int, payment_id: int) -> None:
        op = Op("delete", invoice_id, payment_id=payment_id)
        await self._send(op, http, "DELETE", f"/invoices/{invoice_id}/payments/{payment_id}")

    async def _message(self, http: httpx.AsyncClient, invoice_id: int, kind: str) -> None:
        action = "mark_as_closed" if kind == "close" else "re_open"
        await self._send(
            Op(kind, invoice_id), http, "POST", f"/invoices/{invoice_id}/messages/{action}"
        )

    async def _edit(self, http: httpx.AsyncClient, invoice_id: int, amount: str) -> None:
        """A new invoice amount; 422 when it is below what is already paid."""
        await self._send(
            Op("edit", invoice_id),
            http,
            "PUT",
            f"/invoices/{invoice_id}",
            content=f"<invoice><amount>{amount}</amount></invoice>",
            headers=XML,
        )

    def statuses(self) -> Counter[str]:
        return Counter(f"{op.kind} {op.status}" for op in self.history)


async def violations(
    workload: Workload, db: asyncpg.Pool, *, allowed: dict[str, set[int]] = EXPECTED
) -> list[str]:
    """Everything the database and the clients' answers disagree on (empty when all is well).

    An operation without an answer (None) may or may not have happened; every other answer
    must be in `allowed` and must be exactly what the database shows.
    """
    found = [
        f"{op.kind} on invoice {op.invoice_id} answered {op.status}"
        for op in workload.history
        if op.status is not None and op.status not in allowed[op.kind]
    ]
    async with db.acquire() as conn:
        checked, problems = await verify_balances(conn)
        rows = await conn.fetch(
            "SELECT id, invoice_id, notes, deleted_at IS NOT NULL AS deleted FROM payments "
            "WHERE account_id = $1",
            workload.account.id,
        )
    found += problems
    by_key: dict[str, list[asyncpg.Record]] = {}
    for row in rows:
        by_key.setdefault(row["notes"], []).append(row)

    pays: dict[str, list[Op]] = {}
    for op in workload.history:
        if op.kind == "pay":
            pays.setdefault(op.key or "", []).append(op)
    for key, ops in pays.items():
        written = by_key.pop(key, [])
        created = {op.payment_id for op in ops if op.status == 201}
        unknown = any(op.status is None or op.status >= 500 for op in ops)
        if len(written) > 1:
            found.append(f"key {key} wrote {len(written)} payments")
        if len(created) > 1:
            found.append(f"key {key} answered 201 with different payments {sorted(created)}")
        if created and {r["id"] for r in written} != created:
            found.append(f"key {key}: clients saw payment {created}, database has {written}")
        if not created and written and not unknown:
            found.append(f"key {key}: no client saw a 201, yet payment {written[0]['id']} exists")
    found += [
        f"payment {rows[0]['id']} was written by no client's request" for rows in by_key.values()
    ]

    deleted_ok = {
        op.payment_id for op in workload.history if op.kind == "delete" and op.status == 200
    }
    deleted_maybe = {
        op.payment_id
        for op in workload.history
        if op.kind == "delete" and (op.status is None or op.status >= 500)
    }
    deleted_db = {row["id"] for row in rows if row["deleted"]}
    found += [f"payment {p} was deleted (200) but is live" for p in deleted_ok - deleted_db]
    found += [
        f"payment {p} is deleted but no client saw its delete succeed"
        for p in deleted_db - deleted_ok - deleted_maybe
    ]
    if checked < len(workload.invoice_ids):
        found.append(f"verify saw {checked} invoices, expected {len(workload.invoice_ids)}")
    return found


async def open_invoices(
    base: str, account: Account, count: int, amount: str, contract: ContractChecker
) -> list[int]:
    """`count` invoices, sent, through the API; their ids."""
    ids = []
    async with httpx.AsyncClient(
        base_url=base, headers=account.auth, timeout=30, event_hooks={"response": [contract]}
    ) as http:
        for number in range(count):
            created = await http.post(
                "/invoices",
                content=INVOICE_XML.format(number=f"J-{number}", amount=amount, currency="USD"),
                headers={"Content-Type": "application/xml"},
            )
            assert created.status_code == 201, created.text
            invoice = created.headers["Location"]
            assert (await http.post(f"{invoice}/messages/mark_as_sent")).status_code == 200
            ids.append(int(invoice.rsplit("/", 1)[1]))
    return ids


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
