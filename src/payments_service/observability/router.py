"""`GET /metrics` in the Prometheus text format, for the scraper only: it must send
`Authorization: Bearer $METRICS_TOKEN`; without METRICS_TOKEN set, the route is not there (404)."""

import hmac

import asyncpg
from fastapi import APIRouter, Request
from starlette.responses import Response

from payments_service.db.pool import is_unavailable, pool_sizes
from payments_service.errors import NotFound, Unauthorized
from payments_service.http.openapi import json_operation
from payments_service.observability import metrics
from payments_service.webhooks import service as webhooks

router = APIRouter(tags=["operations"])


async def _outbox_lag(pool: asyncpg.Pool, *, wait: float) -> None:
    """From the database, so it holds wherever the dispatchers run; a database out of reach
    leaves the last value (the scrape itself still answers)."""
    try:
        async with pool.acquire(timeout=wait) as conn:
            metrics.OUTBOX_LAG.set(await webhooks.oldest_pending_age(conn))
    except Exception as exc:
        if not is_unavailable(exc):
            raise


def _authorize(request: Request) -> None:
    expected = request.app.state.settings.metrics_token
    if not expected:
        raise NotFound("Not found")
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        raise Unauthorized("Send Authorization: Bearer <METRICS_TOKEN>")


@router.get(
    "/metrics",
    operation_id="metrics",
    summary="Prometheus metrics (with Authorization: Bearer $METRICS_TOKEN)",
    **json_operation(
        response={"type": "string"}, auth=False, media_type="text/plain", errors=[401, 404]
    ),
)
async def prometheus_metrics(request: Request) -> Response:
    _authorize(request)
    pool = request.app.state.pool
    if pool is not None:
        pool_sizes.write(pool)
        await _outbox_lag(pool, wait=request.app.state.settings.db_pool_timeout)
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)
