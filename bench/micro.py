"""In-process micro-benchmark: the request path without the database, in microseconds.

The ASGI app is called directly (no socket, no HTTP client): middleware, routing, auth,
negotiation, body parsing, validation, the ledger and rendering all run as in production.
Only the database connection is replaced, by a stub answering every query with canned rows;
the stub lives here and nothing else uses it (the tests always talk to PostgreSQL).
"""

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from payments_service.accounts.tokens import format_token, hash_secret
from payments_service.config import Settings
from payments_service.http.auth import TokenDirectory
from payments_service.invoices.fields import INVOICE
from payments_service.main import create_app
from payments_service.payments.fields import PAYMENT

SECRET = "micro-benchmark-secret"
TOKEN = format_token(1, 1, SECRET)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
PAYMENT_XML = (
    b'<payment><paid-at type="datetime">2008-02-14T00:00:00Z</paid-at>'
    b'<amount type="decimal">1.00</amount><notes>check</notes></payment>'
)

# One row with every column the request path reads (token, invoice and payment columns; those
# not set here are NULL).
ROW: dict[str, Any] = dict.fromkeys((*INVOICE.columns, *PAYMENT.columns)) | {
    "token_hash": hash_secret(SECRET),
    "account_id": 1,
    "user_id": 1,
    "name": "Bench Runner",
    "email": "bench@bench.example",
    "invoices_enabled": True,
    "is_active": True,
    "id": 1,
    "invoice_id": 1,
    "client_id": 1,
    "number": "B-1",
    "currency": "USD",
    "amount": Decimal("1000.0000"),
    "due_amount": Decimal("900.0000"),
    "state": "partial",
    "issued_at": NOW.date(),
    "due_at": NOW.date(),
    "subject": "Services",
    "notes": "check & co",
    "purchase_order": None,
    "period_start": None,
    "period_end": None,
    "sent_at": NOW,
    "closed_at": None,
    "paid_at": NOW,
    "recorded_by": "Bench Runner",
    "recorded_by_email": "bench@bench.example",
    "created_at": NOW,
    "updated_at": NOW,
    "invoice_currency": "USD",  # what `record_payment` answers beside the payment
}


class _NoTransaction:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


class StubConnection:
    """Answers like asyncpg would, from canned rows, without a database."""

    async def fetchrow(self, query: str, *args: object) -> dict[str, Any]:
        return ROW

    async def fetch(self, query: str, *args: object) -> list[Any]:
        if "FROM api_tokens" in query:  # the token directory learning the ids it may accept
            return [(1, hash_secret(SECRET)[: TokenDirectory.PREFIX])]
        return [ROW] * 10

    async def fetchval(self, query: str, *args: object) -> object:
        return 1

    async def execute(self, query: str, *args: object) -> str:
        return "OK"

    def transaction(self) -> _NoTransaction:
        return _NoTransaction()


class StubPool:
    """Stands in for the app's asyncpg pool, so the app's own dependencies run unchanged."""

    async def acquire(self, **_: object) -> StubConnection:
        return StubConnection()

    async def release(self, conn: StubConnection) -> None:
        return None

    def get_size(self) -> int:  # read by the pool metrics
        return 1

    def get_idle_size(self) -> int:
        return 1


def _scope(method: str, path: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "state": {},
    }


async def _call(app: Any, scope: dict[str, Any], body: bytes) -> int:
    sent: list[dict[str, Any]] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(dict(scope), receive, send)
    status: int = sent[0]["status"]
    return status


CASES = {
    "POST payment (XML)": ("POST", "/invoices/1/payments", PAYMENT_XML, "application/xml", 201),
    "GET list of 10 (XML)": ("GET", "/invoices/1/payments", b"", "application/xml", 200),
    "GET list of 10 (JSON)": ("GET", "/invoices/1/payments", b"", "application/json", 200),
    "GET one payment (XML)": ("GET", "/invoices/1/payments/1", b"", "application/xml", 200),
    # An endpoint doing nothing, through the same middleware and router but FastAPI's own
    # handler (the payment routes are plain Starlette routes): what FastAPI's path costs.
    "GET /healthz (FastAPI's own path)": ("GET", "/healthz", b"", "application/json", 200),
}


async def measure(iterations: int, rounds: int = 15) -> dict[str, float]:
    """CPU microseconds per request for each case, the best of `rounds`: CPU time, not wall
    time, because other work on this shared machine would otherwise be counted too."""
    app = create_app(Settings(database_url="postgresql://unused/unused"))
    app.state.pool = StubPool()  # what the lifespan would have opened
    results = {}
    for name, (method, path, body, media, expected) in CASES.items():
        headers = {"authorization": f"Bearer {TOKEN}", "accept": media, "content-type": media}
        scope = _scope(method, path, headers)
        status = await _call(app, scope, body)
        if status != expected:
            raise SystemExit(f"bench: micro {name} answered {status}, not {expected}")
        timings = []
        for _ in range(rounds):
            started = time.process_time()
            for _ in range(iterations):
                await _call(app, scope, body)
            timings.append((time.process_time() - started) / iterations)
        results[name] = round(min(timings) * 1e6, 1)
    return results
