"""The invoice messages that change an invoice's state, one row each for v1 and v2."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from payments_service.domain import ledger

Change = Callable[[ledger.Ledger, datetime], ledger.Ledger]


@dataclass(frozen=True)
class Message:
    action: str  # v1: POST /invoices/{id}/messages/<action>
    event_type: str  # v2: POST /v2/invoices/{id}/messages {"event_type": ...}
    change: Change  # the `ledger` transition, given the time it happens


MESSAGES = (
    Message("mark_as_sent", "send", ledger.mark_as_sent),
    Message("mark_as_closed", "close", ledger.mark_as_closed),
    Message("re_open", "re-open", lambda current, _at: ledger.re_open(current)),
    Message("mark_as_draft", "draft", lambda current, _at: ledger.mark_as_draft(current)),
)
