"""The app factory: assembles the routers, error handling, OpenAPI document, middleware and the
database pool's lifetime."""

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from payments_service import __version__
from payments_service.config import Settings, get_settings
from payments_service.db.pool import connect_with_backoff, create_pool, database_url
from payments_service.http import errors, openapi
from payments_service.http.auth import TokenCache, TokenDirectory
from payments_service.http.body_limit import BodyLimitMiddleware
from payments_service.http.pages import ASSETS
from payments_service.http.pages import router as pages_router
from payments_service.http.rate_limit import FailedAuthLimit
from payments_service.http.trailing_slash import TrailingSlashMiddleware
from payments_service.idempotency.service import purge_expired_keys
from payments_service.observability import logs
from payments_service.observability.health import router as health_router
from payments_service.observability.middleware import ObservabilityMiddleware
from payments_service.observability.router import router as observability_router
from payments_service.v1.events import router as events_router
from payments_service.v1.invoices import router as invoices_router
from payments_service.v1.payments import routes as payment_routes
from payments_service.v1.webhooks import router as webhooks_router
from payments_service.v2 import errors as v2_errors
from payments_service.v2.router import ROUTERS as v2_routers
from payments_service.webhooks.dispatcher import dispatch
from payments_service.webhooks.policy import WebhookPolicy

logger = logging.getLogger("payments_service")

# Matched in this order, after the payment routes (no path of one router matches another's, so
# the order changes nothing else).
ROUTERS = (
    health_router,
    observability_router,
    invoices_router,
    *v2_routers,
    events_router,
    webhooks_router,
    pages_router,
)


async def _keep_up(app: FastAPI, url: str, settings: Settings) -> None:
    """In the background: connect (if the database was down at start), then housekeeping."""
    if app.state.pool is None:
        app.state.pool = await connect_with_backoff(url, settings)
    try:  # so that a flood of made-up tokens finds every id known (else the first one asks)
        await app.state.token_directory.learn(app.state.pool.acquire)
    except Exception as exc:
        logger.warning("token ids not loaded at start (%r); loaded on first use", exc)
    await purge_expired_keys(app.state.pool, every=settings.idempotency_purge_interval_seconds)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logs.configure(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = database_url(settings)
        app.state.pool = None
        try:
            app.state.pool = await create_pool(url, settings)
        except Exception as exc:
            logger.warning("database not reachable at start (%r); retrying in the background", exc)
        background = [asyncio.create_task(_keep_up(app, url, settings))]
        if settings.dispatcher_enabled:
            background.append(
                asyncio.create_task(dispatch(url, settings, app.state.webhook_policy))
            )
        # What start-up built lives as long as the process: out of the collector's sight, a full
        # collection under load scans what requests left, not all of it (24-70 ms otherwise).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            for task in background:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if app.state.pool is not None:
                await app.state.pool.close()

    # FastAPIOffline: /docs loads Swagger UI from this service, not a CDN; /redoc is ours.
    app = FastAPIOffline(
        redoc_url=None,
        static_url=ASSETS,
        title="payments-service",
        version=__version__,
        description="Harvest v1 compatible Invoice Payments API on PostgreSQL.",
        lifespan=lifespan,
        # Metrics are Prometheus and logs our own: FastAPI's OpenTelemetry would only cost time.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
        # Swagger UI would send the document to validator.swagger.io, on the internet.
        swagger_ui_parameters={"validatorUrl": None},
    )
    app.state.settings = settings
    app.state.token_cache = TokenCache(settings.token_cache_seconds, settings.token_cache_entries)
    app.state.token_directory = TokenDirectory()
    app.state.auth_failures = FailedAuthLimit(
        settings.auth_failure_limit, settings.auth_failure_window_seconds
    )
    app.state.webhook_policy = WebhookPolicy.of(settings)
    # The hot payment routes are matched first, even before FastAPI's /openapi.json and /docs.
    # They are plain Starlette routes (http/plain_route.py): no FastAPI dependency runs for
    # them, the app's included.
    app.router.routes[:0] = payment_routes
    for router in ROUTERS:
        app.include_router(router)
    errors.install(app)
    v2_errors.install(app)  # /v2 answers errors in Harvest v2's shape
    openapi.install(
        app, [*payment_routes, *(route for router in ROUTERS for route in router.routes)]
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(ObservabilityMiddleware)  # sees every response
    app.add_middleware(TrailingSlashMiddleware)  # outermost: all of the app sees one path
    return app
