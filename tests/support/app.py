"""The app in-process, with the test DNS, and httpx clients on it whose every response is
checked against /openapi.json (see contract.py)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from payments_service.config import Settings
from payments_service.main import create_app
from payments_service.webhooks.policy import WebhookPolicy
from tests.support.contract import ContractChecker
from tests.support.dns import DNS


def make_app(settings: Settings) -> FastAPI:
    """The service's app; its webhook checks look names up in the test DNS only."""
    app = create_app(settings)
    app.state.webhook_policy = WebhookPolicy.of(settings, DNS.resolve)
    return app


def checked_client(app: FastAPI, contract: ContractChecker) -> httpx.AsyncClient:
    """A client on `app` in-process whose every response `contract` checks."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        event_hooks={"response": [contract]},
    )


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """An app of its own (with its own pool), started and stopped like a worker."""
    app = make_app(settings)
    async with (
        app.router.lifespan_context(app),
        checked_client(app, ContractChecker(app)) as http,
    ):
        yield app, http
