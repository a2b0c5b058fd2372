"""A real webhook receiver on localhost, and dispatchers with timings small enough for tests."""

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn

from payments_service.config import Settings
from payments_service.webhooks.dispatcher import Dispatcher
from payments_service.webhooks.policy import WebhookPolicy
from tests.conftest import LOOPBACK, Account, free_port
from tests.fake_dns import DNS, FakeDNS

FAST = {
    "webhook_allowed_private_networks": LOOPBACK,
    "webhook_poll_seconds": 0.02,
    # Short, yet long enough that a busy machine does not time out a receiver that answers.
    "webhook_timeout_seconds": 2.0,
    "webhook_retry_base_seconds": 0.05,
    "webhook_retry_max_seconds": 0.2,
    "webhook_give_up_seconds": 60.0,
}


@dataclass
class Request:
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered (0: it hung until released or hung up on)
    received_at: float = field(default_factory=time.time)
    hung_up_at: float | None = None  # when the client went away before an answer

    @property
    def event(self) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(self.body)["event"]
        return event


@dataclass
class Receiver:
    """Records every request; answers 204, or as `behaviour` says: "fail" (500), "hang" (until
    the client hangs up or the test ends)."""

    url: str = ""
    behaviour: str = "ok"
    requests: list[Request] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    released: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def accepted(self) -> list[dict[str, Any]]:
        return [r.event for r in self.requests if r.status == 204]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        request = Request(headers, body, {"fail": 500, "hang": 0}.get(self.behaviour, 204))
        self.requests.append(request)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if request.status == 0:
                hung_up = asyncio.ensure_future(receive())  # http.disconnect, when it comes
                released = asyncio.ensure_future(self.released.wait())
                await asyncio.wait([hung_up, released], return_when=asyncio.FIRST_COMPLETED)
                if hung_up.done():
                    request.hung_up_at = time.time()
                    return
                hung_up.cancel()
        finally:
            self.in_flight -= 1
        await send({"type": "http.response.start", "status": request.status or 504, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    app = Receiver()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110  (uvicorn offers a flag, not an event)
        await asyncio.sleep(0.01)
    app.url = f"http://127.0.0.1:{port}/hooks"
    yield app
    app.released.set()
    server.should_exit = True
    await task


MakeDispatcher = Callable[..., Awaitable[Dispatcher]]


@pytest.fixture
def dns() -> Iterator[FakeDNS]:
    """The names the service can look up during the test (none but these)."""
    yield DNS
    DNS.names.clear()
    DNS.asked.clear()


@pytest.fixture
async def make_dispatcher(database_url: str, dns: FakeDNS) -> AsyncIterator[MakeDispatcher]:
    """`await make_dispatcher(**settings)`: each on its own pool, like separate workers."""
    made: list[Dispatcher] = []

    async def make(**overrides: Any) -> Dispatcher:
        pool = await asyncpg.create_pool(database_url, min_size=1, max_size=5)
        assert pool is not None
        settings = Settings(database_url=database_url, **{**FAST, **overrides})
        made.append(Dispatcher(pool, settings, WebhookPolicy.of(settings, dns.resolve)))
        return made[-1]

    yield make
    for dispatcher in reversed(made):
        await dispatcher.aclose()
        await dispatcher.pool.close()


async def one_round(dispatcher: Dispatcher) -> None:
    """Start serving what is due, and wait until those sends are over."""
    await dispatcher.run_once()
    await asyncio.gather(*dispatcher.sending.values(), return_exceptions=True)


@asynccontextmanager
async def in_background(dispatcher: Dispatcher) -> AsyncIterator[None]:
    """The dispatcher's own loop runs while the block does, and is cancelled after it."""
    running = asyncio.create_task(dispatcher.run_forever())
    try:
        yield
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = 10.0) -> None:
    """Poll `check` until it holds; fail after `within` seconds."""
    async with asyncio.timeout(within):
        while True:
            if await check():
                return
            await asyncio.sleep(0.02)


async def run_until(
    dispatcher: Dispatcher, check: Callable[[], Awaitable[bool]], *, within: float = 10.0
) -> None:
    """Run dispatch rounds (as the background loop does) until `check` holds."""

    async def step() -> bool:
        await dispatcher.run_once()
        return await check()

    await eventually(step, within=within)


async def nothing_owed(db: asyncpg.Pool) -> bool:
    return await db.fetchval("SELECT count(*) FROM webhook_deliveries") == 0


async def subscribe(client: httpx.AsyncClient, account: Account, url: str) -> dict[str, Any]:
    response = await client.post(
        "/webhooks", json={"url": url}, headers={**account.auth, "Accept": "application/json"}
    )
    assert response.status_code == 201, response.text
    webhook: dict[str, Any] = response.json()["webhook"]
    return webhook
