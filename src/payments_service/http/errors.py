"""How errors are answered: the app's exception handlers, and one renderer per path prefix
that registers its own shape (elsewhere: v1's `Errors`, in the format the caller asked for)."""

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

from payments_service.documents import Errors
from payments_service.errors import Problem, ServiceError
from payments_service.http.negotiation import Format, negotiate, respond
from payments_service.http.validation import problem_of

Renderer = Callable[[int, list[Problem], dict[str, str] | None], Response]


def render_under(app: FastAPI, prefix: str, renderer: Renderer) -> None:
    """Errors at `prefix` and below it are written by `renderer`."""
    app.state.error_renderers[prefix] = renderer


def error_response(
    request: Request,
    status_code: int,
    problems: list[Problem],
    headers: dict[str, str] | None = None,
) -> Response:
    """Errors as the path's prefix renders them, else in the format the caller asked for (XML
    when it asked for neither)."""
    path = request.url.path
    renderers: dict[str, Renderer] = request.app.state.error_renderers
    for prefix, renderer in renderers.items():
        if path == prefix or path.startswith(prefix + "/"):
            return renderer(status_code, problems, headers)
    fmt = negotiate(request.headers.get("accept")) or Format.XML
    return respond(fmt, Errors(problems), status_code, headers)


async def _service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    return error_response(request, exc.status_code, exc.problems, exc.headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(error["loc"][0] == "path" for error in errors):
        return error_response(request, 404, [Problem("not_found", "Not found")])
    return error_response(request, 422, [problem_of(error, skip=1) for error in errors])


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette's 405 names only one route's)."""
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in ("DELETE", "GET", "PATCH", "POST", "PUT")
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return error_response(request, exc.status_code, [Problem(code, str(exc.detail))], headers)


def install(app: FastAPI) -> None:
    """Answer the service's errors, FastAPI's validation errors and Starlette's 404 and 405
    through `error_response`; no prefix has a renderer of its own until one registers."""
    app.state.error_renderers = {}
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
