"""The event feed: `GET /events?after=<cursor>&limit=N`. Thin: parse, call, render."""

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from payments_service.db.pool import ConnectionDep
from payments_service.documents import EVENT, Document
from payments_service.events import service
from payments_service.http.auth import CallerDep
from payments_service.http.negotiation import FormatDep, respond
from payments_service.http.openapi import operation

router = APIRouter(tags=["events"])


@router.get(
    "/events",
    operation_id="listEvents",
    **operation(resource=EVENT, many=True, errors=[422]),
)
async def list_events(
    caller: CallerDep,
    conn: ConnectionDep,
    fmt: FormatDep,
    after: Annotated[
        str | None, Query(json_schema_extra={"pattern": f"^{service.CURSOR.pattern}$"})
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    rows = await service.list_events(conn, account_id=caller.account_id, after=after, limit=limit)
    return respond(fmt, Document(EVENT, rows))
