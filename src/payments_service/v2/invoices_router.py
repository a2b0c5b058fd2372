"""v2 Invoices (show) and Invoice Messages (the state changes), over the shared services."""

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from payments_service import ledger
from payments_service.database import ConnectionDep, TransactionDep
from payments_service.invoices import service
from payments_service.paths import InvoiceId
from payments_service.v2 import wire
from payments_service.v2.auth import V2CallerDep
from payments_service.v2.contract import INVOICE, MESSAGE, v2_operation
from payments_service.v2.errors import V2Response
from payments_service.v2.schemas import read_json
from payments_service.validation import validate

router = APIRouter(tags=["v2"])

Change = Callable[[ledger.Ledger, datetime], ledger.Ledger]

# Harvest v2's message event types that change an invoice's state, and our transitions.
EVENTS: dict[str, Change] = {
    "send": ledger.mark_as_sent,
    "close": ledger.mark_as_closed,
    "re-open": lambda current, _at: ledger.re_open(current),
    "draft": lambda current, _at: ledger.mark_as_draft(current),
}


class MessageCreate(BaseModel):
    """Only the state-changing events: this service sends no email."""

    model_config = ConfigDict(extra="ignore")

    event_type: Literal["send", "close", "re-open", "draft"]


@router.get(
    "/invoices/{invoice_id}",
    operation_id="v2RetrieveInvoice",
    **v2_operation(response=INVOICE, errors=[404]),
)
async def get_invoice(invoice_id: InvoiceId, caller: V2CallerDep, conn: ConnectionDep) -> Response:
    row = await service.get_invoice(conn, account_id=caller.account_id, invoice_id=invoice_id)
    return V2Response(wire.invoice(row))


@router.post(
    "/invoices/{invoice_id}/messages",
    operation_id="v2CreateInvoiceMessage",
    **v2_operation(response=MESSAGE, status=201, body=MessageCreate, errors=[404]),
)
async def create_message(
    invoice_id: InvoiceId, request: Request, caller: V2CallerDep, conn: TransactionDep
) -> Response:
    data = validate(MessageCreate, await read_json(request))
    row = await service.change_state(
        conn, account_id=caller.account_id, invoice_id=invoice_id, change=EVENTS[data.event_type]
    )
    return V2Response(_message(data.event_type, caller.name, caller.email, row), status_code=201)


def _message(event_type: str, name: str, email: str, invoice: Any) -> dict[str, Any]:
    """The event as v2 writes an invoice message. It has no id: events are not stored as
    messages, only their effect on the invoice is."""
    at = wire.timestamp(invoice["updated_at"])
    return {
        "id": None,
        "sent_by": name,
        "sent_by_email": email,
        "sent_from": name,
        "sent_from_email": email,
        "recipients": [],
        "subject": None,
        "body": None,
        "attach_pdf": False,
        "send_me_a_copy": False,
        "thank_you": False,
        "reminder": False,
        "send_reminder_on": None,
        "event_type": event_type,
        "created_at": at,
        "updated_at": at,
    }
