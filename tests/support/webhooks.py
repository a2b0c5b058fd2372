"""A real webhook receiver's app, dispatcher timings small enough for tests, waiting for
deliveries, and the signature check docs/webhooks.md gives consumers."""

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from payments_service.webhooks.dispatcher import Dispatcher
from tests.support.auth import Account
from tests.support.server import LOOPBACK

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
    path: str = "/"
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
        status = {"fail": 500, "hang": 0}.get(self.behaviour, 204)
        request = Request(headers, body, status, path=scope["path"])
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


MakeDispatcher = Callable[..., Awaitable[Dispatcher]]


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


# How long a webhook test waits for what it expects: generous, since a wait that holds returns
# at once, and dispatch rounds on a Citus cluster beside a busy suite take seconds (10 s timed
# out once in a CI run of make test-citus).
WAIT_SECONDS = 30.0


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = WAIT_SECONDS) -> None:
    """Poll `check` until it holds; fail after `within` seconds."""
    async with asyncio.timeout(within):
        while True:
            if await check():
                return
            await asyncio.sleep(0.02)


async def run_until(
    dispatcher: Dispatcher, check: Callable[[], Awaitable[bool]], *, within: float = WAIT_SECONDS
) -> None:
    """Run dispatch rounds (as the background loop does) until `check` holds."""

    async def step() -> bool:
        await dispatcher.run_once()
        return await check()

    await eventually(step, within=within)


async def nothing_owed(db: asyncpg.Pool) -> bool:
    """No delivery queued, and no event of an account with subscriptions left to number
    (numbering queues its deliveries; an account without any is not numbered by dispatchers)."""
    return (
        await db.fetchval(
            "SELECT (SELECT count(*) FROM webhook_deliveries)"
            " + (SELECT count(*) FROM events AS e WHERE position IS NULL AND EXISTS"
            " (SELECT FROM webhook_subscriptions AS s WHERE s.account_id = e.account_id))"
        )
        == 0
    )


async def read_feed(client: httpx.AsyncClient, account: Account) -> list[dict[str, Any]]:
    """The account's events from the start; reading numbers them, which queues their webhook
    deliveries, as a dispatcher's poll would."""
    response = await client.get("/events", headers={**account.auth, "Accept": "application/json"})
    assert response.status_code == 200, response.text
    return [item["event"] for item in response.json()]


async def subscribe(client: httpx.AsyncClient, account: Account, url: str) -> dict[str, Any]:
    response = await client.post(
        "/webhooks", json={"url": url}, headers={**account.auth, "Accept": "application/json"}
    )
    assert response.status_code == 201, response.text
    webhook: dict[str, Any] = response.json()["webhook"]
    return webhook


WEBHOOKS_PAGE = Path(__file__).parents[2] / "docs" / "webhooks.md"


def documented_verify() -> Callable[[str, str, bytes], bool]:
    """The `verify` function docs/webhooks.md gives consumers, run as they would copy it."""
    section = WEBHOOKS_PAGE.read_text().split("### Verifying signatures", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    verify: Callable[[str, str, bytes], bool] = namespace["verify"]
    return verify
