"""The four Invoice Payments endpoints of the source document. Thin: parse, call, render.

The documented paths come with their aliases: `/invoice/...` (the documented Location) and
`/payment/{id}` (the documented show path) resolve like `/invoices/.../payments/{id}`.
"""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from payments_service.db.pool import ConnectionDep, TransactionDep, pooled
from payments_service.documents import Document
from payments_service.http.auth import CallerDep
from payments_service.http.fast_route import FastRoute
from payments_service.http.negotiation import FormatDep, read_body, respond, respond_streamed
from payments_service.http.openapi import operation
from payments_service.http.paths import InvoiceId, PaymentId
from payments_service.http.validation import validate
from payments_service.idempotency.service import idempotent
from payments_service.payments import service
from payments_service.payments.fields import PAYMENT
from payments_service.payments.schemas import PaymentCreate

router = APIRouter(tags=["payments"], route_class=FastRoute)

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


async def list_payments(
    invoice_id: InvoiceId, request: Request, caller: CallerDep, conn: ConnectionDep, fmt: FormatDep
) -> Response:
    """All the invoice's payments; past one chunk, streamed as they are read."""
    first = await service.list_payments(conn, account_id=caller.account_id, invoice_id=invoice_id)
    if len(first) < service.CHUNK:
        return respond(fmt, Document(PAYMENT.v1, first))
    more = service.more_payments(
        lambda: pooled(request), first, account_id=caller.account_id, invoice_id=invoice_id
    )
    return respond_streamed(fmt, PAYMENT.v1, first, more)


async def get_payment(
    invoice_id: InvoiceId,
    payment_id: PaymentId,
    caller: CallerDep,
    conn: ConnectionDep,
    fmt: FormatDep,
) -> Response:
    row = await service.get_payment(
        conn, account_id=caller.account_id, invoice_id=invoice_id, payment_id=payment_id
    )
    return respond(fmt, Document(PAYMENT.v1, row))


@idempotent
async def create_payment(
    invoice_id: InvoiceId,
    request: Request,
    caller: CallerDep,
    conn: TransactionDep,
    fmt: FormatDep,
) -> Response:
    data = validate(PaymentCreate, await read_body(request, PAYMENT.v1))
    row = await service.record_payment(
        conn, caller=caller, invoice_id=invoice_id, data=data, paid_at=data.paid_at
    )
    headers = {"Location": location(invoice_id, row["id"])}
    return respond(fmt, Document(PAYMENT.v1, row), 201, headers)


async def delete_payment(
    invoice_id: InvoiceId,
    payment_id: PaymentId,
    caller: CallerDep,
    conn: TransactionDep,
) -> Response:
    await service.delete_payment(conn, caller=caller, invoice_id=invoice_id, payment_id=payment_id)
    return Response(status_code=200)


# path, its aliases, method, endpoint, operation id, `operation` keywords
ROUTES: list[tuple[str, list[str], str, Callable[..., Any], str, dict[str, Any]]] = [
    (COLLECTION, COLLECTION_ALIASES, "GET", list_payments, "listPayments",
     operation(resource=PAYMENT.v1, many=True, errors=[404])),
    (COLLECTION, COLLECTION_ALIASES, "POST", create_payment, "createPayment",
     operation(resource=PAYMENT.v1, status=201, body=PaymentCreate, errors=[404, 409])),
    (ITEM, ITEM_ALIASES, "GET", get_payment, "getPayment",
     operation(resource=PAYMENT.v1, errors=[404])),
    (ITEM, ITEM_ALIASES, "DELETE", delete_payment, "deletePayment", operation(errors=[404])),
]  # fmt: skip

for path, aliases, method, endpoint, operation_id, documented in ROUTES:
    router.add_api_route(
        path,
        endpoint,
        methods=[method],
        operation_id=operation_id,
        description=f"Also served at {', '.join(aliases)}.",
        **documented,
    )
    for alias in aliases:
        router.add_api_route(
            alias,
            endpoint,
            methods=[method],
            include_in_schema=False,
            status_code=documented["status_code"],
        )
