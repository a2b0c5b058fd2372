"""A real webhook receiver on localhost, and dispatchers with timings small enough for tests."""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn

from payments_service.config import Settings
from payments_service.webhooks.dispatcher import Dispatcher
from tests.conftest import Account, free_port

FAST = {
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
    status: int  # what the receiver answered (0: it hung up to the end of the test)
    received_at: float = field(default_factory=time.time)

    @property
    def event(self) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(self.body)["event"]
        return event


@dataclass
class Receiver:
    """Records every request; answers 204, or as `behaviour` says: "fail" (500), "hang"."""

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
                await self.released.wait()
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


@pytest.fixture
async def make_dispatcher(
    database_url: str,
) -> AsyncIterator[Callable[..., Awaitable[Dispatcher]]]:
    """`await make_dispatcher(**settings)`: each on its own pool, like separate workers."""
    resources: list[Any] = []

    async def make(**overrides: Any) -> Dispatcher:
        pool = await asyncpg.create_pool(database_url, min_size=1, max_size=5)
        assert pool is not None
        timeout = overrides.get("webhook_timeout_seconds", FAST["webhook_timeout_seconds"])
        http = httpx.AsyncClient(timeout=timeout)
        resources.extend([pool, http])
        settings = Settings(database_url=database_url, **{**FAST, **overrides})
        return Dispatcher(pool, http, settings)

    yield make
    for resource in reversed(resources):
        await (resource.aclose() if isinstance(resource, httpx.AsyncClient) else resource.close())


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
