"""A real webhook receiver on localhost, the test DNS, and dispatchers with timings small
enough for tests (tests/support/webhooks.py)."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest
import uvicorn

from payments_service.config import Settings
from payments_service.webhooks.dispatcher import Dispatcher
from payments_service.webhooks.policy import WebhookPolicy
from tests.support.dns import DNS, FakeDNS
from tests.support.server import free_port
from tests.support.webhooks import FAST, MakeDispatcher, Receiver


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
