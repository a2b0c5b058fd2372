"""Probes for orchestrators: liveness (the process answers) and readiness (it can serve)."""

import asyncio

import asyncpg
from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from payments_service.db.migrate import current_revision, head_revision
from payments_service.db.pool import is_unavailable
from payments_service.errors import ServiceUnavailable
from payments_service.http.openapi import Component, json_operation

router = APIRouter(tags=["health"])


STATUS = Component(
    "Status",
    {
        "type": "object",
        "required": ["status"],
        "additionalProperties": False,
        "properties": {"status": {"type": "string", "enum": ["ok", "ready"]}},
    },
)


@router.get(
    "/healthz",
    operation_id="healthz",
    summary="Liveness: the process is up",
    **json_operation(response=STATUS, auth=False),
)
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get(
    "/readyz",
    operation_id="readyz",
    summary="Readiness: the database answers and its migrations are current",
    **json_operation(response=STATUS, auth=False, errors=[503]),
)
async def readyz(request: Request) -> JSONResponse:
    pool: asyncpg.Pool | None = request.app.state.pool
    if pool is None:
        raise ServiceUnavailable("Not connected to the database yet", retry_after=2)
    try:
        async with pool.acquire(timeout=request.app.state.settings.db_pool_timeout) as conn:
            version = await current_revision(conn)
    except Exception as exc:
        if is_unavailable(exc):
            raise ServiceUnavailable("The database is not reachable", retry_after=2) from exc
        raise
    head = await asyncio.to_thread(head_revision)  # cached after the first probe
    if version != head:
        raise ServiceUnavailable(
            f"The database is at migration {version}, the code needs {head}: "
            "run `payments-service migrate`",
            retry_after=10,
        )
    return JSONResponse({"status": "ready"})
