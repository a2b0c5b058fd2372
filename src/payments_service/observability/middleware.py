"""Per request, as pure ASGI (no BaseHTTPMiddleware: it costs a task and a copy per request):
an `X-Request-ID` (the caller's when sane, else a new one) echoed on every response, one log
line, the request metrics, and a 500 in the error format for anything unhandled."""

import os
import time
from collections.abc import Iterable
from functools import cache
from typing import Any

import structlog
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from payments_service.errors import Problem
from payments_service.http.errors import error_response
from payments_service.observability.metrics import LATENCY, REQUESTS

HEADER = b"x-request-id"
MAX_REQUEST_ID = 128
access_log = structlog.get_logger("payments_service.access")


def request_id_of(scope: Scope) -> str:
    """The caller's id if it is 1-128 printable ASCII characters; otherwise a new one."""
    headers: Iterable[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name == HEADER:
            if 0 < len(value) <= MAX_REQUEST_ID and all(0x20 <= b < 0x7F for b in value):
                return value.decode()
            break
    return os.urandom(16).hex()  # as random as uuid4().hex, without building a UUID


# Label values are bounded: any other method is counted as "other", any unmatched path as
# "unmatched", so odd requests cannot grow /metrics.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@cache  # few routes, methods and statuses: looking the labels up is most of a sample's cost
def _series(method: str, route: str, status: int) -> tuple[Any, Any]:
    labels = (method, route, str(status))
    return REQUESTS.labels(*labels), LATENCY.labels(*labels)


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # The logger itself, not the lazy proxy that would look it up at every call (made when
        # the app first runs, after logs.configure).
        self.log = access_log.bind()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        echoed = (HEADER, request_id.encode())
        status = 500
        started = False
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                message["headers"] = [*message.get("headers", []), echoed]
            await send(message)

        # bind and reset, not bound_contextvars(): the same without a generator per request
        bound = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            self.log.exception("unhandled error")
            if started:
                raise
            problem = Problem("internal", "Internal server error")
            await error_response(Request(scope), 500, [problem])(scope, receive, send_with_id)
        finally:
            self._record(scope, status, time.perf_counter() - start, request_id)
            structlog.contextvars.reset_contextvars(**bound)

    def _record(self, scope: Scope, status: int, duration: float, request_id: str) -> None:
        route = getattr(scope.get("route"), "path_format", None) or "unmatched"
        method = scope["method"] if scope["method"] in METHODS else "other"
        count, latency = _series(method, route, status)
        count.inc()
        latency.observe(duration)
        self.log.info(
            "request",
            method=method,
            route=route,
            status=status,
            duration_ms=round(duration * 1000, 2),
            account_id=scope.get("state", {}).get("account_id"),
            request_id=request_id,
        )
