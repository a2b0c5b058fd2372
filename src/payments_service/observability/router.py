"""`GET /metrics` in the Prometheus text format (unauthenticated: expose it to the scraper only)."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from payments_service.contract import json_operation
from payments_service.observability import metrics

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    operation_id="metrics",
    summary="Prometheus metrics",
    **json_operation(response={"type": "string"}, auth=False, media_type="text/plain"),
)
async def prometheus_metrics(request: Request) -> Response:
    pool = request.app.state.pool
    if pool is not None:
        metrics.pool_sizes(pool.get_size(), pool.get_idle_size())
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)
