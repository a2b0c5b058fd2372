"""`FastRoute`, served by FastAPI's router or by `DirectRoutes`, answers exactly as FastAPI's own
route class would: the same endpoints served by both, compared request by request, plus the
dependency semantics it promises."""

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request
from fastapi.routing import APIRoute
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from payments_service.http.fast_route import DirectRoutes, FastRoute


class RecordSending:
    """Logs "sent" when the response starts, to order it against the dependencies' exits."""

    def __init__(self, app: ASGIApp, calls: list[str]) -> None:
        self.app, self.calls = app, calls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.calls.append("sent")
            await send(message)

        await self.app(scope, receive, sending)


class Refused(Exception):
    """Raised by a dependency; the app's handler for it answers 418."""


async def refused(request: Request, exc: Exception) -> Response:
    return JSONResponse({"refused": str(exc)}, status_code=418)


def build_app(route_class: type[APIRoute], direct: bool = False) -> tuple[FastAPI, list[str]]:
    """An app whose endpoints use what the service's routes use; `calls` logs the dependencies.
    With `direct`, its routes are served by `DirectRoutes`."""
    calls: list[str] = []

    async def shared(request: Request) -> str:
        calls.append("shared")
        if "refuse" in request.query_params:
            raise Refused(request.query_params["refuse"])
        return request.url.path

    async def scoped(path: Annotated[str, Depends(shared)]) -> AsyncIterator[str]:
        calls.append("enter")
        yield path
        calls.append("exit")  # before the response is sent: scope="function"

    async def caller(
        path: Annotated[str, Depends(shared)], user_agent: Annotated[str, Header()]
    ) -> str:
        return f"{user_agent} at {path}"

    async def show(
        item_id: Annotated[int, Path(ge=1)],
        request: Request,
        who: Annotated[str, Depends(caller)],
        held: Annotated[str, Depends(scoped, scope="function")],
        page: Annotated[int, Query(ge=1)] = 1,
    ) -> Response:
        calls.append("endpoint")
        body = {"item": item_id, "page": page, "who": who, "held": held, "method": request.method}
        return JSONResponse(body)

    router = APIRouter(route_class=route_class)
    router.add_api_route("/items/{item_id}", show, methods=["GET"])
    app = FastAPI()
    app.include_router(router)
    app.add_exception_handler(Refused, refused)
    if direct:
        app.add_middleware(DirectRoutes, routes=router.routes, handlers=app.exception_handlers)
    app.add_middleware(RecordSending, calls=calls)
    app.state.caller = caller  # for overriding
    return app, calls


async def answer(
    app: FastAPI, url: str, headers: dict[str, str], method: str = "GET"
) -> tuple[int, object, str | None]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.request(method, url, headers=headers)
    return response.status_code, response.json(), response.headers.get("allow")


AGENT = {"User-Agent": "tester"}


@pytest.mark.parametrize("direct", [False, True], ids=["router", "direct"])
@pytest.mark.parametrize(
    ("method", "url", "headers"),
    [
        ("GET", "/items/7", AGENT),
        ("GET", "/items/7?page=3", AGENT),
        ("GET", "/items/0", AGENT),  # path constraint
        ("GET", "/items/x", AGENT),  # path type
        ("GET", "/items/99999999999999999999999", AGENT),
        ("GET", "/items/7?page=0", AGENT),  # query constraint
        ("GET", "/items/7?page=two", AGENT),
        ("GET", "/items/7", {}),  # a missing required header
        ("GET", "/items/x?page=0", {}),  # every error at once
        ("GET", "/items/7?refuse=no", AGENT),  # the app's exception handler answers
        ("POST", "/items/7", AGENT),  # method not allowed
        ("GET", "/elsewhere", AGENT),  # no route
    ],
)
async def test_answers_and_errors_match_fastapis_own_route(
    direct: bool, method: str, url: str, headers: dict[str, str]
) -> None:
    fast, _ = build_app(FastRoute, direct)
    plain, _ = build_app(APIRoute)
    assert await answer(fast, url, headers, method) == await answer(plain, url, headers, method)


@pytest.mark.parametrize("direct", [False, True], ids=["router", "direct"])
async def test_shared_dependencies_run_once_and_function_scoped_ones_exit_before_sending(
    direct: bool,
) -> None:
    app, calls = build_app(FastRoute, direct)

    status, body, _ = await answer(app, "/items/5", AGENT)

    assert status == 200
    assert body == {"item": 5, "page": 1, "who": "tester at /items/5", "held": "/items/5",
                    "method": "GET"}  # fmt: skip
    assert calls == ["shared", "enter", "endpoint", "exit", "sent"]


@pytest.mark.parametrize("direct", [False, True], ids=["router", "direct"])
async def test_the_plan_is_used_only_without_dependency_overrides(direct: bool) -> None:
    app, _ = build_app(FastRoute, direct)

    async def other_caller() -> str:
        return "override"

    app.dependency_overrides[app.state.caller] = other_caller

    status, body, _ = await answer(app, "/items/5", AGENT)

    assert isinstance(body, dict)
    assert (status, body["who"]) == (200, "override")


async def test_direct_routes_answer_without_the_apps_router() -> None:
    app, _ = build_app(FastRoute, direct=True)
    app.router.routes.clear()  # what reaches the router now finds nothing

    served = await answer(app, "/items/5", AGENT)
    passed_on = await answer(app, "/items/5", AGENT, method="POST")

    assert served[0] == 200
    assert passed_on[0] == 404
