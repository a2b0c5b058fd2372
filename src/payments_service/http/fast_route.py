"""A leaner request handler for FastAPI routes, with FastAPI's semantics for what we use.

FastAPI walks the whole dependency tree on every request, re-solving cached dependencies and
checking every kind of parameter at every level; measured by bench/, that was about half of
this service's CPU per request. `FastRoute` compiles each route's dependency tree once into a
plan and walks only that: sub-dependencies first (each called once per request), then the
route's own path, query and header parameters; invalid parameters raise the same
`RequestValidationError`. Async-generator dependencies exit like FastAPI's: scope "function"
when the endpoint returns (before the response is sent), otherwise after the response.

Routes using anything else (a body parameter, cookies, security scopes, sync dependencies, an
endpoint not returning a Response) and apps with dependency overrides keep FastAPI's handler.
OpenAPI is unchanged: FastAPI still reads the same signatures.

`DirectRoutes` then serves the hottest of these routes before Starlette's and FastAPI's router
stack (exception middleware, router, included-router contexts), which cost about a sixth of a
payment POST in process; the route's own ASGI app and exception handling are FastAPI's.
"""

import inspect
from collections.abc import Callable, Coroutine, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any, get_type_hints

from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


@dataclass(frozen=True)
class _Plan:
    call: Callable[..., Any]
    key: tuple[Callable[..., Any], str]  # FastAPI's cache key, without security scopes
    # For an async-generator dependency, its context manager factory (wrapped once, not per call).
    context: Callable[..., AbstractAsyncContextManager[Any]] | None
    function_scope: bool
    request_name: str | None
    subs: tuple[tuple[str, "_Plan"], ...]
    path: tuple[Any, ...]  # path parameter fields: always present, validated one by one
    params: tuple[tuple[list[Any], str], ...]  # (fields, where: "query" | "headers")


def _unsupported(dependant: Dependant) -> bool:
    return bool(
        dependant.body_params
        or dependant.cookie_params
        or dependant.websocket_param_name
        or dependant.http_connection_param_name
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
        or dependant.own_oauth_scopes
        or dependant.concurrency is not None
        or not dependant.use_cache
    )


def _compile(dependant: Dependant) -> _Plan | None:
    """The plan for this dependant, or None when it uses something the plan does not do."""
    call = dependant.call
    if call is None or _unsupported(dependant):
        return None
    is_generator = inspect.isasyncgenfunction(call)
    if not (is_generator or inspect.iscoroutinefunction(call)):
        return None
    subs = []
    for sub in dependant.dependencies:
        plan = _compile(sub)
        if plan is None or sub.name is None:
            return None
        subs.append((sub.name, plan))
    scope = dependant.scope or ("request" if is_generator else "")
    params = ((dependant.query_params, "query"), (dependant.header_params, "headers"))
    return _Plan(
        call=call,
        key=(call, scope),
        context=asynccontextmanager(call) if is_generator else None,
        function_scope=scope == "function",
        request_name=dependant.request_param_name,
        subs=tuple(subs),
        path=tuple(dependant.path_params),
        params=tuple((fields, where) for fields, where in params if fields),
    )


def _received(request: Request, where: str) -> Any:
    return request.query_params if where == "query" else request.headers


async def _solve(
    plan: _Plan, request: Request, cache: dict[Any, Any], errors: list[Any]
) -> dict[str, Any]:
    """The values of the plan's parameters, calling sub-dependencies as FastAPI would."""
    values: dict[str, Any] = {}
    for name, sub in plan.subs:
        if sub.key in cache:
            values[name] = cache[sub.key]
            continue
        found: list[Any] = []
        arguments = await _solve(sub, request, cache, found)
        if found:
            errors.extend(found)
            continue
        if sub.context is not None:
            stack_key = "fastapi_function_astack" if sub.function_scope else "fastapi_inner_astack"
            stack: AsyncExitStack = request.scope[stack_key]
            solved = await stack.enter_async_context(sub.context(**arguments))
        else:
            solved = await sub.call(**arguments)
        values[name] = cache[sub.key] = solved
    for field in plan.path:  # what request_params_to_args does for a path parameter
        value, found = field.validate(
            request.path_params[field.alias], values, loc=("path", field.alias)
        )
        if found:
            errors.extend(found)
        else:
            values[field.name] = value
    for fields, where in plan.params:
        found_values, found_errors = request_params_to_args(fields, _received(request, where))
        values.update(found_values)
        errors.extend(found_errors)
    if plan.request_name is not None:
        values[plan.request_name] = request
    return values


def _returns_response(call: Callable[..., Any]) -> bool:
    returned = get_type_hints(call).get("return")
    return isinstance(returned, type) and issubclass(returned, Response)


class FastRoute(APIRoute):
    compiled = False  # whether the route runs its plan (else FastAPI's handler)

    def get_route_handler(self) -> Handler:
        fallback = super().get_route_handler()
        plan = _compile(self.dependant)
        if plan is None or plan.context is not None or not _returns_response(plan.call):
            return fallback
        self.compiled = True

        async def handler(request: Request) -> Response:
            if request.app.dependency_overrides:
                return await fallback(request)
            errors: list[Any] = []
            values = await _solve(plan, request, {}, errors)
            if errors:
                raise RequestValidationError(errors)
            response: Response = await plan.call(**values)
            return response

        return handler


class DirectRoutes:
    """ASGI middleware: a request that fully matches one of `routes` (compiled FastRoutes, to be
    included without a prefix and first for these paths) goes straight to that route, inside the
    exception handling the app's ExceptionMiddleware would give it; anything else, and every
    request while dependency overrides are set, goes on to the app unchanged."""

    def __init__(
        self, app: ASGIApp, *, routes: Sequence[BaseRoute], handlers: Mapping[Any, Any]
    ) -> None:
        self.app = app
        self.routes = [route for route in routes if isinstance(route, FastRoute) and route.compiled]
        self.handled = ExceptionMiddleware(self._route, handlers=handlers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["app"].dependency_overrides:
            for route in self.routes:
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.update(child_scope)
                    await self.handled(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    @staticmethod
    async def _route(scope: Scope, receive: Receive, send: Send) -> None:
        await scope["route"].handle(scope, receive, send)
