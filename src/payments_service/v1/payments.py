"""The four Invoice Payments endpoints of the source document. Thin: parse, call, render.

They are the service's hot path, so plain Starlette routes (http/plain_route.py): each handler
reads what FastAPI's dependencies used to give it, in the order FastAPI solved them, so that
errors keep their precedence: credentials (401, 403, 503), the connection (503),
the Accept header (406), the Idempotency-Key (422, 409), then the path ids (404).

The documented paths come with their aliases: `/invoice/...` (the documented Location) and
`/payment/{id}` (the documented show path) resolve like `/invoices/.../payments/{id}`.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from payments_service.db.pool import holding_connection, pooled, request_connection
from payments_service.documents import Document
from payments_service.http.auth import authenticate
from payments_service.http.negotiation import read_body, respond, respond_streamed, response_format
from payments_service.http.openapi import operation
from payments_service.http.paths import InvoiceId, PaymentId, path_id
from payments_service.http.plain_route import PlainRoute
from payments_service.http.validation import validate
from payments_service.idempotency.service import KeyHeader, answer, begin, key_of
from payments_service.payments import service
from payments_service.payments.fields import PAYMENT
from payments_service.payments.schemas import PaymentCreate

COLLECTION = "/invoices/{invoice_id}/payments"
ITEM = "/invoices/{invoice_id}/payments/{payment_id}"
COLLECTION_ALIASES = ["/invoice/{invoice_id}/payments"]
ITEM_ALIASES = [
    "/invoices/{invoice_id}/payment/{payment_id}",
    "/invoice/{invoice_id}/payments/{payment_id}",
    "/invoice/{invoice_id}/payment/{payment_id}",
]


def location(invoice_id: int, payment_id: int) -> str:
    """Where the new payment lives, as the source document writes it."""
    return f"/invoice/{invoice_id}/payments/{payment_id}"


async def list_payments(request: Request) -> Response:
    """All the invoice's payments; past one chunk, streamed as they are read."""
    async with holding_connection(request):
        caller = await authenticate(request)
        conn = await request_connection(request)
        fmt = await response_format(request)
        invoice_id = path_id(request, "invoice_id")
        account_id = caller.account_id
        first = await service.list_payments(conn, account_id=account_id, invoice_id=invoice_id)
        if len(first) < service.CHUNK:
            return respond(fmt, Document(PAYMENT.v1, first))
        more = service.more_payments(
            lambda: pooled(request), first, account_id=account_id, invoice_id=invoice_id
        )
        return respond_streamed(fmt, PAYMENT.v1, first, more)


async def get_payment(request: Request) -> Response:
    async with holding_connection(request):
        caller = await authenticate(request)
        conn = await request_connection(request)
        fmt = await response_format(request)
        invoice_id, payment_id = path_id(request, "invoice_id"), path_id(request, "payment_id")
        row = await service.get_payment(
            conn, account_id=caller.account_id, invoice_id=invoice_id, payment_id=payment_id
        )
        return respond(fmt, Document(PAYMENT.v1, row))


async def create_payment(request: Request) -> Response:
    async with holding_connection(request):
        caller = await authenticate(request)
        conn = await request_connection(request)
        fmt = await response_format(request)
        try:
            key = key_of(request)
        except RequestValidationError:
            path_id(request, "invoice_id")  # FastAPI saw both: an invalid id wins (404)
            raise

        async def record() -> Response:
            invoice_id = path_id(request, "invoice_id")
            data = validate(PaymentCreate, await read_body(request, PAYMENT.v1))
            row = await service.record_payment(
                conn, caller=caller, invoice_id=invoice_id, data=data, paid_at=data.paid_at
            )
            headers = {"Location": location(invoice_id, row["id"])}
            return respond(fmt, Document(PAYMENT.v1, row), 201, headers)

        if key is None:  # recording is one statement: a transaction of its own
            return await record()
        async with conn.transaction():  # the key is stored with the payment
            return await answer(await begin(request, caller, conn, key), record)


async def delete_payment(request: Request) -> Response:
    async with holding_connection(request):
        caller = await authenticate(request)
        conn = await request_connection(request)
        invoice_id, payment_id = path_id(request, "invoice_id"), path_id(request, "payment_id")
        await service.delete_payment(
            conn, caller=caller, invoice_id=invoice_id, payment_id=payment_id
        )
    return Response(status_code=200)


# The parameters the document shows, as FastAPI reads them from a signature (never called: the
# handlers read the same declarations with path_id and key_of).
async def _collection(invoice_id: InvoiceId) -> None: ...
async def _new(invoice_id: InvoiceId, key: KeyHeader = None) -> None: ...
async def _item(invoice_id: InvoiceId, payment_id: PaymentId) -> None: ...


# path, its aliases, method, handler, its documented parameters, operation id, `operation` keywords
OPERATIONS: list[
    tuple[str, list[str], str, Callable[[Request], Awaitable[Response]], Callable[..., Any], str,
          dict[str, Any]]
] = [
    (COLLECTION, COLLECTION_ALIASES, "GET", list_payments, _collection, "listPayments",
     operation(resource=PAYMENT.v1, many=True, errors=[404])),
    (COLLECTION, COLLECTION_ALIASES, "POST", create_payment, _new, "createPayment",
     operation(resource=PAYMENT.v1, status=201, body=PaymentCreate, errors=[404, 409])),
    (ITEM, ITEM_ALIASES, "GET", get_payment, _item, "getPayment",
     operation(resource=PAYMENT.v1, errors=[404])),
    (ITEM, ITEM_ALIASES, "DELETE", delete_payment, _item, "deletePayment", operation(errors=[404])),
]  # fmt: skip

# What main.py adds to the app's router, first: each path, then its aliases (undocumented).
routes: list[PlainRoute] = []
for path, aliases, method, handler, parameters, operation_id, documented in OPERATIONS:
    description = f"Also served at {', '.join(aliases)}."
    documentation = APIRoute(
        path,
        parameters,
        methods=[method],
        name=handler.__name__,
        operation_id=operation_id,
        tags=["payments"],
        description=description,
        **documented,
    )
    routes.append(PlainRoute(path, handler, method=method, documented=documentation))
    routes.extend(PlainRoute(alias, handler, method=method) for alias in aliases)
