"""The balance rule: an invoice's due amount and state. Pure: plain values in, plain values out.

Every change to an invoice or its payments goes through one of these functions, inside the
transaction that holds the invoice row locked.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from payments_service.errors import Unprocessable


class InvoiceState(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PARTIAL = "partial"
    PAID = "paid"
    CLOSED = "closed"


@dataclass(frozen=True)
class Ledger:
    """What the rule needs to know about an invoice."""

    amount: Decimal
    due_amount: Decimal
    sent_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def paid(self) -> Decimal:
        return self.amount - self.due_amount

    @property
    def state(self) -> InvoiceState:
        if self.closed_at is not None:
            return InvoiceState.CLOSED
        if self.due_amount <= 0 and self.amount > 0:
            return InvoiceState.PAID
        if self.sent_at is None:
            return InvoiceState.DRAFT
        return InvoiceState.PARTIAL if self.paid > 0 else InvoiceState.OPEN


def new_invoice(amount: Decimal) -> Ledger:
    return Ledger(amount=amount, due_amount=amount)


def record_payment(ledger: Ledger, amount: Decimal) -> Ledger:
    if ledger.state is InvoiceState.CLOSED:
        raise Unprocessable("The invoice is closed and accepts no payments", code="invoice_closed")
    if amount <= 0:
        raise Unprocessable("amount must be greater than 0", code="not_positive", field="amount")
    if amount > ledger.due_amount:
        raise Unprocessable(
            f"amount {amount} is more than the {ledger.due_amount} due on the invoice",
            code="overpayment",
            field="amount",
        )
    return replace(ledger, due_amount=ledger.due_amount - amount)


def remove_payment(ledger: Ledger, amount: Decimal) -> Ledger:
    return replace(ledger, due_amount=ledger.due_amount + amount)


def change_amount(ledger: Ledger, amount: Decimal) -> Ledger:
    if amount < ledger.paid:
        raise Unprocessable(
            f"amount {amount} is less than the {ledger.paid} already paid",
            code="amount_below_paid",
            field="amount",
        )
    return replace(ledger, amount=amount, due_amount=amount - ledger.paid)


def _illegal(action: str, ledger: Ledger) -> Unprocessable:
    return Unprocessable(
        f"Cannot {action}: the invoice is {ledger.state}", code="illegal_transition", field="state"
    )


def mark_as_sent(ledger: Ledger, at: datetime) -> Ledger:
    if ledger.sent_at is not None or ledger.state is InvoiceState.CLOSED:
        raise _illegal("mark as sent", ledger)
    return replace(ledger, sent_at=at)


def mark_as_closed(ledger: Ledger, at: datetime) -> Ledger:
    if ledger.state not in (InvoiceState.OPEN, InvoiceState.PARTIAL):
        raise _illegal("mark as closed", ledger)
    return replace(ledger, closed_at=at)


def re_open(ledger: Ledger) -> Ledger:
    if ledger.state is not InvoiceState.CLOSED:
        raise _illegal("re-open", ledger)
    return replace(ledger, closed_at=None)


def mark_as_draft(ledger: Ledger) -> Ledger:
    if ledger.state is not InvoiceState.OPEN:
        raise _illegal("mark as draft", ledger)
    return replace(ledger, sent_at=None)
