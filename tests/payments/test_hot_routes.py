"""The payment paths are served by the plain Starlette routes of v1/payments.py (the hot path,
no FastAPI dependency solving), and answer as the service's other routes do: the app's error
handlers and formats, 404 for an id that is no id, 405 with Allow, trailing slashes, and the
order in which a request's problems are reported (credentials first, the path ids last)."""

from collections.abc import Awaitable, Callable
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

from payments_service.http.plain_route import PlainRoute
from payments_service.v1 import payments
from tests.support.api import create_invoice, payment_xml
from tests.support.auth import Account

XML = {"Content-Type": "application/xml"}
Handler = Callable[[Request], Awaitable[Response]]

# Every payment path with its aliases, and the handler that must serve it.
COLLECTIONS = ["/invoices/{invoice}/payments", "/invoice/{invoice}/payments"]
ITEMS = [
    "/invoices/{invoice}/payments/{payment}",
    "/invoices/{invoice}/payment/{payment}",
    "/invoice/{invoice}/payments/{payment}",
    "/invoice/{invoice}/payment/{payment}",
]
SERVED: list[tuple[str, str, Handler]] = [
    *[("POST", path, payments.create_payment) for path in COLLECTIONS],
    *[("GET", path, payments.list_payments) for path in COLLECTIONS],
    *[("GET", path, payments.get_payment) for path in ITEMS],
    *[("DELETE", path, payments.delete_payment) for path in ITEMS],
]


def error_of(response: httpx.Response) -> tuple[str | None, str | None, str | None]:
    """(code, field, message) of the only error in an XML error document."""
    (error,) = ElementTree.fromstring(response.content)
    return error.get("code"), error.get("field"), error.text


async def test_each_payment_path_is_served_by_its_plain_route_and_by_no_other(
    app: FastAPI, client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner, amount="100.00")
    scopes: list[Scope] = []

    async def watched(scope: Scope, receive: Receive, send: Send) -> None:
        await app(scope, receive, send)
        scopes.append(scope)

    transport = httpx.ASGITransport(app=watched)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        for method, path, handler in SERVED:
            payment = await client.post(
                f"/invoices/{invoice_id}/payments",
                content=payment_xml("1.00"),
                headers={**owner.auth, **XML},
            )
            payment_id = payment.headers["Location"].rsplit("/", 1)[1]
            url = path.format(invoice=invoice_id, payment=payment_id)
            body = payment_xml("1.00") if method == "POST" else None
            response = await http.request(method, url, content=body, headers={**owner.auth, **XML})
            assert response.status_code in (200, 201), (method, url, response.text)
            route = scopes[-1]["route"]
            assert isinstance(route, PlainRoute), (method, url)
            assert route.endpoint is handler
            assert scopes[-1]["endpoint"] is handler
            scope = {"type": "http", "method": method, "path": url}
            serving = [
                context
                for context in iter_route_contexts(app.routes)
                if context.matches(scope)[0] is Match.FULL
            ]
            assert [context.original_route for context in serving] == [route]


def test_no_dependency_is_declared_for_the_whole_app_since_plain_routes_would_skip_it(
    app: FastAPI,
) -> None:
    assert app.router.dependencies == []


INVALID_IDS = ["0", "-1", "x", "1.5", "9223372036854775808", "99999999999999999999999"]


@pytest.mark.parametrize("invalid", INVALID_IDS)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/invoices/{id}/payments"),
        ("POST", "/invoice/{id}/payments"),
        ("GET", "/invoices/{id}/payments/1"),
        ("GET", "/invoices/1/payment/{id}"),
        ("DELETE", "/invoice/{id}/payments/1"),
        ("DELETE", "/invoices/1/payments/{id}"),
    ],
)
async def test_an_id_that_is_no_id_is_not_found(
    client: httpx.AsyncClient, owner: Account, method: str, path: str, invalid: str
) -> None:
    response = await client.request(
        method, path.format(id=invalid), content=payment_xml("1.00"), headers={**owner.auth, **XML}
    )

    assert response.status_code == 404
    assert error_of(response) == ("not_found", None, "Not found")


async def test_credentials_are_checked_before_the_path(client: httpx.AsyncClient) -> None:
    for method in ("GET", "POST"):
        response = await client.request(method, "/invoices/0/payments", headers=XML)
        assert response.status_code == 401
        assert "Bearer" in response.headers["WWW-Authenticate"]
        assert error_of(response)[0] == "unauthorized"


async def test_the_accept_header_is_checked_before_the_path_but_not_for_delete(
    client: httpx.AsyncClient, owner: Account
) -> None:
    html = {**owner.auth, **XML, "Accept": "text/html"}
    for method, path in [("GET", "/invoices/x/payments"), ("POST", "/invoices/x/payments"),
                         ("GET", "/invoices/x/payments/1")]:  # fmt: skip
        response = await client.request(method, path, content=payment_xml("1.00"), headers=html)
        assert response.status_code == 406
        assert error_of(response)[0] == "not_acceptable"

    deleted = await client.delete("/invoices/x/payments/1", headers=html)
    assert deleted.status_code == 404


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "String should have at least 1 character"),
        ("k" * 256, "String should have at most 255 characters"),
        ("caf\u00e9", "String should match pattern '^[\\x20-\\x7e]+$'"),
    ],
)
async def test_an_invalid_idempotency_key_is_a_422_unless_the_invoice_id_is_invalid_too(
    client: httpx.AsyncClient, owner: Account, key: str, message: str
) -> None:
    invoice_id = await create_invoice(client, owner, amount="100.00")
    headers: dict[str, Any] = {**owner.auth, **XML, "Idempotency-Key": key.encode()}

    refused = await client.post(
        f"/invoices/{invoice_id}/payments", content=payment_xml("1.00"), headers=headers
    )
    missing = await client.post(
        "/invoices/0/payments", content=payment_xml("1.00"), headers=headers
    )

    assert refused.status_code == 422
    assert error_of(refused) == ("invalid", "Idempotency-Key", f"Idempotency-Key {message}")
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/invoices/1/payments", "GET, POST"),
        ("HEAD", "/invoices/1/payments", "GET, POST"),
        ("PATCH", "/invoice/1/payments/1", "DELETE, GET"),
        ("POST", "/invoices/1/payment/1", "DELETE, GET"),
        ("HEAD", "/invoices/1/payments/1", "DELETE, GET"),
    ],
)
async def test_other_methods_are_405_with_every_allowed_one(
    app: FastAPI, owner: Account, method: str, path: str, allowed: str
) -> None:
    # Without the contract hook: the answer to HEAD has no body for it to read.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.request(method, path, headers=owner.auth)

    assert response.status_code == 405
    assert response.headers["Allow"] == allowed
    if method != "HEAD":
        assert error_of(response) == ("method_not_allowed", None, "Method Not Allowed")


async def test_a_trailing_slash_is_served_as_without_it(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner, amount="100.00")

    created = await client.post(
        f"/invoice/{invoice_id}/payments/",
        content=payment_xml("1.00"),
        headers={**owner.auth, **XML},
    )
    listed = await client.get(
        f"/invoices/{invoice_id}/payments/", headers={**owner.auth, "Accept": "application/json"}
    )

    assert created.status_code == 201
    assert listed.status_code == 200
    assert [payment["payment"]["amount"] for payment in listed.json()] == [1.0]


async def test_errors_of_the_service_come_in_the_format_asked_for(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    invoice_id = await create_invoice(client, owner, amount="100.00")

    overpaid = await client.post(
        f"/invoices/{invoice_id}/payments",
        content=b'{"payment": {"amount": "101.00", "paid_at": "2008-02-14T00:00:00Z"}}',
        headers={**owner.auth, "Content-Type": "application/json", "Accept": "application/json"},
    )
    elsewhere = await client.get(
        f"/invoices/{invoice_id}/payments", headers={**stranger.auth, "Accept": "application/json"}
    )

    assert overpaid.status_code == 422
    assert overpaid.headers["content-type"] == "application/json"
    assert elsewhere.status_code == 404
    assert elsewhere.json()["errors"][0]["code"] == "not_found"


def test_the_document_describes_the_plain_routes_as_any_other_operation(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    collection = paths["/invoices/{invoice_id}/payments"]
    item = paths["/invoices/{invoice_id}/payments/{payment_id}"]

    operations = {(method, op["operationId"], op["summary"]) for method, op in
                  [*collection.items(), *item.items()]}  # fmt: skip
    assert operations == {
        ("get", "listPayments", "List Payments"),
        ("post", "createPayment", "Create Payment"),
        ("get", "getPayment", "Get Payment"),
        ("delete", "deletePayment", "Delete Payment"),
    }
    id_schema = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1, "title": "Invoice Id"}
    assert collection["get"]["parameters"][0] == {
        "name": "invoice_id", "in": "path", "required": True, "schema": id_schema,
    }  # fmt: skip
    assert [p["name"] for p in collection["post"]["parameters"]] == [
        "invoice_id", "Idempotency-Key", "X-Request-ID",
    ]  # fmt: skip
    assert collection["post"]["requestBody"]["required"] is True
    assert not any(path.startswith("/invoice/") or "/payment/" in path for path in paths)
