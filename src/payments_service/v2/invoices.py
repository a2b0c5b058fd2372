"""v2 Invoices (show) and Invoice Messages (the state changes), over the shared services."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from payments_service.db.pool import ConnectionDep, TransactionDep
from payments_service.domain.ledger import InvoiceState
from payments_service.domain.messages import MESSAGES
from payments_service.fields import timestamp
from payments_service.http.paths import InvoiceId
from payments_service.http.validation import Date, validate
from payments_service.idempotency.service import idempotent
from payments_service.invoices import service
from payments_service.v2 import PREFIX, objects
from payments_service.v2.auth import V2CallerDep
from payments_service.v2.errors import V2Response
from payments_service.v2.openapi import INVOICE, INVOICES, MESSAGE, v2_operation
from payments_service.v2.pagination import envelope
from payments_service.v2.schemas import PageNumber, PerPage, UpdatedSince, read_json

router = APIRouter(prefix=PREFIX, tags=["v2"])

# Harvest v2's message event types that change an invoice's state.
CHANGES = {message.event_type: message.change for message in MESSAGES}


class MessageCreate(BaseModel):
    """Only the state-changing events: this service sends no email."""

    model_config = ConfigDict(extra="ignore")

    event_type: Literal["send", "close", "re-open", "draft"]


# v2's `open` is v1's `open` and `partial`.
STATE_FILTERS = {
    "draft": (InvoiceState.DRAFT.value,),
    "open": (InvoiceState.OPEN.value, InvoiceState.PARTIAL.value),
    "paid": (InvoiceState.PAID.value,),
    "closed": (InvoiceState.CLOSED.value,),
}
Id = Annotated[int | None, Query(ge=1, le=2**63 - 1)]


@router.get(
    "/invoices",
    operation_id="v2ListInvoices",
    **v2_operation(response=INVOICES, errors=[422]),
)
async def list_invoices(
    request: Request,
    caller: V2CallerDep,
    conn: ConnectionDep,
    client_id: Id = None,
    project_id: Id = None,
    updated_since: UpdatedSince = None,
    issued_from: Annotated[Date | None, Query(alias="from")] = None,
    issued_to: Annotated[Date | None, Query(alias="to")] = None,
    state: Literal["draft", "open", "paid", "closed"] | None = None,
    page: PageNumber = 1,
    per_page: PerPage = 2000,
) -> Response:
    """Newest issued first. Invoices here belong to no project: a `project_id` finds none."""
    query = service.Query(
        states=STATE_FILTERS[state] if state else None,
        client_id=client_id,
        issued_from=issued_from,
        issued_to=issued_to,
        updated_since=updated_since,
    )
    rows: list[Any] = []
    total = 0
    if project_id is None:
        account_id = caller.account_id
        rows = await service.list_invoices(
            conn, account_id=account_id, query=query, page=page, per_page=per_page
        )
        total = await service.count_invoices(conn, account_id=account_id, query=query)
    items = [objects.invoice(row) for row in rows]
    skipped = (page - 1) * per_page
    return V2Response(
        envelope(
            "invoices", items, request=request, total=total, skipped=skipped, per_page=per_page
        )
    )


@router.get(
    "/invoices/{invoice_id}",
    operation_id="v2RetrieveInvoice",
    **v2_operation(response=INVOICE, errors=[404]),
)
async def get_invoice(invoice_id: InvoiceId, caller: V2CallerDep, conn: ConnectionDep) -> Response:
    row = await service.get_invoice(conn, account_id=caller.account_id, invoice_id=invoice_id)
    return V2Response(objects.invoice(row))


@router.post(
    "/invoices/{invoice_id}/messages",
    operation_id="v2CreateInvoiceMessage",
    **v2_operation(response=MESSAGE, status=201, body=MessageCreate, errors=[404, 409]),
)
@idempotent
async def create_message(
    invoice_id: InvoiceId, request: Request, caller: V2CallerDep, conn: TransactionDep
) -> Response:
    data = validate(MessageCreate, await read_json(request))
    row = await service.change_state(
        conn, account_id=caller.account_id, invoice_id=invoice_id, change=CHANGES[data.event_type]
    )
    return V2Response(_message(data.event_type, caller.name, caller.email, row), status_code=201)


def _message(event_type: str, name: str, email: str, invoice: Any) -> dict[str, Any]:
    """The event as v2 writes an invoice message. It has no id: events are not stored as
    messages, only their effect on the invoice is."""
    at = timestamp(invoice["updated_at"])
    return {
        "id": None,
        "sent_by": name,
        "sent_by_email": email,
        "sent_from": name,
        "sent_from_email": email,
        "recipients": [],
        "subject": None,
        "body": None,
        "include_link_to_client_invoice": False,
        "attach_pdf": False,
        "send_me_a_copy": False,
        "thank_you": False,
        "reminder": False,
        "send_reminder_on": None,
        "event_type": event_type,
        "created_at": at,
        "updated_at": at,
    }
