"""Invoice endpoints (Harvest v1 Invoices and Invoice Messages). Thin: parse, call, render."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from payments_service.db.pool import ConnectionDep, TransactionDep
from payments_service.documents import Document
from payments_service.domain.messages import MESSAGES, Message
from payments_service.http.auth import CallerDep
from payments_service.http.negotiation import FormatDep, read_body, respond
from payments_service.http.openapi import operation
from payments_service.http.paths import InvoiceId
from payments_service.http.validation import single_valued_query, validate
from payments_service.idempotency.service import idempotent
from payments_service.invoices import service
from payments_service.invoices.fields import INVOICE
from payments_service.invoices.schemas import InvoiceCreate, InvoiceFilters, InvoiceUpdate

router = APIRouter(tags=["invoices"])


@router.get(
    "/invoices",
    operation_id="listInvoices",
    dependencies=[Depends(single_valued_query(InvoiceFilters))],
    **operation(resource=INVOICE.v1, many=True, errors=[422]),
)
async def list_invoices(
    filters: Annotated[InvoiceFilters, Query()],
    caller: CallerDep,
    conn: ConnectionDep,
    fmt: FormatDep,
) -> Response:
    query = service.query_of(filters, today=datetime.now(UTC).date())
    rows = await service.list_invoices(
        conn,
        account_id=caller.account_id,
        query=query,
        page=filters.page,
        per_page=service.PAGE_SIZE,
    )
    return respond(fmt, Document(INVOICE.v1, rows))


@router.post(
    "/invoices",
    operation_id="createInvoice",
    **operation(resource=INVOICE.v1, status=201, body=InvoiceCreate, errors=[409]),
)
@idempotent
async def create_invoice(
    request: Request, caller: CallerDep, conn: TransactionDep, fmt: FormatDep
) -> Response:
    data = validate(InvoiceCreate, await read_body(request, INVOICE.v1))
    row = await service.create_invoice(conn, caller=caller, data=data)
    return respond(fmt, Document(INVOICE.v1, row), 201, {"Location": f"/invoices/{row['id']}"})


@router.get(
    "/invoices/{invoice_id}",
    operation_id="getInvoice",
    **operation(resource=INVOICE.v1, errors=[404]),
)
async def get_invoice(
    invoice_id: InvoiceId, caller: CallerDep, conn: ConnectionDep, fmt: FormatDep
) -> Response:
    row = await service.get_invoice(conn, account_id=caller.account_id, invoice_id=invoice_id)
    return respond(fmt, Document(INVOICE.v1, row))


@router.put(
    "/invoices/{invoice_id}",
    operation_id="updateInvoice",
    **operation(resource=INVOICE.v1, body=InvoiceUpdate, errors=[404]),
)
async def update_invoice(
    invoice_id: InvoiceId,
    request: Request,
    caller: CallerDep,
    conn: TransactionDep,
    fmt: FormatDep,
) -> Response:
    data = validate(InvoiceUpdate, await read_body(request, INVOICE.v1))
    row = await service.update_invoice(
        conn, account_id=caller.account_id, invoice_id=invoice_id, data=data
    )
    return respond(fmt, Document(INVOICE.v1, row))


@router.delete(
    "/invoices/{invoice_id}", operation_id="deleteInvoice", **operation(errors=[404, 422])
)
async def delete_invoice(
    invoice_id: InvoiceId, caller: CallerDep, conn: TransactionDep
) -> Response:
    await service.delete_invoice(conn, caller=caller, invoice_id=invoice_id)
    return Response(status_code=200)


def _message(message: Message) -> None:
    async def endpoint(
        invoice_id: InvoiceId, caller: CallerDep, conn: TransactionDep, fmt: FormatDep
    ) -> Response:
        row = await service.change_state(
            conn, account_id=caller.account_id, invoice_id=invoice_id, change=message.change
        )
        return respond(fmt, Document(INVOICE.v1, row))

    action = message.action
    words = "".join(word.capitalize() for word in action.split("_"))
    router.add_api_route(
        f"/invoices/{{invoice_id}}/messages/{action}",
        idempotent(endpoint),
        methods=["POST"],
        operation_id=f"invoice{words}",
        summary=f"Invoice message: {action}",
        **operation(resource=INVOICE.v1, errors=[404, 409, 422]),  # 409, 422: idempotency
    )


for message in MESSAGES:
    _message(message)
