"""Harvest v2's JSON responses and its error shape: `{"code": <status>, "message": ...}`."""

from typing import Any

import orjson
from fastapi import FastAPI
from starlette.responses import Response

from payments_service.errors import Problem, RateLimited
from payments_service.http import errors
from payments_service.v2 import PREFIX


class V2Response(Response):
    """Plain JSON via orjson, so amounts can be embedded as exact decimals (orjson.Fragment)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return b"" if content is None else orjson.dumps(content)


def error_response(
    status_code: int, problems: list[Problem], headers: dict[str, str] | None = None
) -> Response:
    """v2's `code` and `message`, plus our stable per-problem codes under `errors`. A rate
    limit is 429 here, as Harvest v2 answers it (v1 answered 503)."""
    if status_code == RateLimited.status_code and problems[0].code == RateLimited.code:
        status_code = 429
    body = {
        "code": status_code,
        "message": "; ".join(problem.message for problem in problems),
        "errors": [{"code": p.code, "field": p.field, "message": p.message} for p in problems],
    }
    return V2Response(body, status_code=status_code, headers=headers)


def install(app: FastAPI) -> None:
    """Every error under /v2 in this shape, whoever raises it (a route, the router, middleware)."""
    errors.render_under(app, PREFIX, error_response)
