"""Which events a change emits. Pure: plain values in, plain values out."""

from enum import StrEnum

from payments_service.domain.ledger import InvoiceState


class EventType(StrEnum):
    PAYMENT_CREATED = "payment.created"
    PAYMENT_DELETED = "payment.deleted"
    INVOICE_CREATED = "invoice.created"
    INVOICE_UPDATED = "invoice.updated"
    INVOICE_DELETED = "invoice.deleted"
    INVOICE_PAID = "invoice.paid"
    INVOICE_REOPENED = "invoice.reopened"


SETTLED = (InvoiceState.PAID, InvoiceState.CLOSED)


def event_types(change: EventType, before: str | None, after: str) -> list[EventType]:
    """The change itself, then what it did to the invoice's state, if it settled or unsettled it.

    `before` and `after` are the invoice's states around the change (`before` is None for a new
    invoice): a payment that pays the rest emits payment.created then invoice.paid.
    """
    types = [change]
    if after == InvoiceState.PAID and before != InvoiceState.PAID:
        types.append(EventType.INVOICE_PAID)
    elif before in SETTLED and after not in SETTLED:
        types.append(EventType.INVOICE_REOPENED)
    return types
