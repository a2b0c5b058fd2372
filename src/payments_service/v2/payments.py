"""v2 Invoice Payments: list, create, delete. Same services and ledger as v1's routes."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from payments_service.db.pool import ConnectionDep, TransactionDep
from payments_service.http.paths import InvoiceId, PaymentId
from payments_service.http.validation import validate
from payments_service.idempotency.service import idempotent
from payments_service.payments import service
from payments_service.v2 import PREFIX, objects
from payments_service.v2.auth import V2CallerDep
from payments_service.v2.errors import V2Response
from payments_service.v2.openapi import PAYMENT, PAYMENTS, v2_operation
from payments_service.v2.pagination import decode_cursor, encode_cursor, envelope
from payments_service.v2.schemas import (
    InvoicePaymentCreate,
    PageNumber,
    PerPage,
    UpdatedSince,
    read_json,
)

router = APIRouter(prefix=PREFIX, tags=["v2"])


@router.get(
    "/invoices/{invoice_id}/payments",
    operation_id="v2ListPaymentsForInvoice",
    **v2_operation(response=PAYMENTS, errors=[404, 422]),
)
async def list_payments(
    invoice_id: InvoiceId,
    request: Request,
    caller: V2CallerDep,
    conn: ConnectionDep,
    updated_since: UpdatedSince = None,
    page: PageNumber = 1,
    cursor: Annotated[str | None, Query(json_schema_extra={"pattern": "^[A-Za-z0-9_-]+$"})] = None,
    per_page: PerPage = 2000,
) -> Response:
    """Newest first. `cursor` (from `links.next`) continues where a page ended, even while new
    payments arrive; `page` counts from the newest."""
    before_id = decode_cursor(cursor) if cursor is not None else None
    found = await service.list_payments_newest_first(
        conn,
        account_id=caller.account_id,
        invoice_id=invoice_id,
        updated_since=updated_since,
        per_page=per_page,
        page=page,
        before_id=before_id,
    )
    last_id = found.rows[-1]["id"] if found.rows else None
    body = envelope(
        "invoice_payments",
        [objects.payment(row) for row in found.rows],
        request=request,
        total=found.total,
        skipped=found.skipped,
        per_page=per_page,
        next_cursor=encode_cursor(last_id) if last_id else None,
    )
    return V2Response(body)


@router.post(
    "/invoices/{invoice_id}/payments",
    operation_id="v2CreateInvoicePayment",
    **v2_operation(response=PAYMENT, status=201, body=InvoicePaymentCreate, errors=[404, 409]),
)
@idempotent
async def create_payment(
    invoice_id: InvoiceId, request: Request, caller: V2CallerDep, conn: TransactionDep
) -> Response:
    data = validate(InvoicePaymentCreate, await read_json(request))
    row = await service.record_payment(
        conn,
        caller=caller,
        invoice_id=invoice_id,
        data=data,
        paid_at=data.moment(),
    )
    return V2Response(objects.payment(row), status_code=201)


@router.delete(
    "/invoices/{invoice_id}/payments/{payment_id}",
    operation_id="v2DeleteInvoicePayment",
    **v2_operation(errors=[404]),
)
async def delete_payment(
    invoice_id: InvoiceId, payment_id: PaymentId, caller: V2CallerDep, conn: TransactionDep
) -> Response:
    await service.delete_payment(conn, caller=caller, invoice_id=invoice_id, payment_id=payment_id)
    return Response(status_code=200)
