"""Routes for the hot paths as plain Starlette routes, through public API only.

A `PlainRoute`'s handler takes the Request and reads its path ids, credentials, format and
body itself (see v1/payments.py): no per-request walk of a FastAPI dependency tree, which cost
about half of this service's CPU per request. So no FastAPI dependency runs for it, neither the
app's nor a router's (this app declares none; a handler calls what it needs), and it is added to
the app's router directly, so no router prefix applies either. Everything else is the app's own:
its middleware, its exception handlers (a ServiceError, RequestValidationError or HTTPException
raised by the handler is answered as on any route), its router (405 with Allow included).

In /openapi.json such a route is described by `documented`: a FastAPI route made from the same
`operation(...)` declaration as any other, documented but never served.
"""

from collections.abc import Awaitable, Callable, Iterable

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope


class PlainRoute(Route):
    def __init__(
        self,
        path: str,
        endpoint: Callable[[Request], Awaitable[Response]],
        *,
        method: str,
        documented: APIRoute | None = None,
    ) -> None:
        super().__init__(path, endpoint, methods=[method], include_in_schema=documented is not None)
        self.methods = {method}  # not the HEAD Starlette adds to GET: a 405, as FastAPI's routes
        self.documented = documented

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:  # as FastAPI's routes: the access log reads its path_format
            child_scope["route"] = self
        return match, child_scope


def openapi_routes(routes: Iterable[BaseRoute]) -> list[BaseRoute]:
    """The routes as the OpenAPI generator is to see them: each PlainRoute's `documented` route
    in its place; one without (a path alias) is left out."""
    seen: list[BaseRoute] = []
    for route in routes:
        if not isinstance(route, PlainRoute):
            seen.append(route)
        elif route.documented is not None:
            seen.append(route.documented)
    return seen
