"""How v2 writes our rows: Harvest v2 field names, amounts as exact JSON numbers, UTC times."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson

from payments_service.ledger import InvoiceState
from payments_service.wire import Row, format_datetime, format_decimal

# v2 knows no `partial`: a sent invoice with something still due is `open`.
STATES = {InvoiceState.PARTIAL.value: InvoiceState.OPEN.value}


def money(value: Decimal | None) -> orjson.Fragment | None:
    """A JSON number written from the exact Decimal, never through float."""
    return None if value is None else orjson.Fragment(format_decimal(value))


def timestamp(value: datetime | None) -> str | None:
    return None if value is None else format_datetime(value)


def user(row: Row) -> dict[str, Any]:
    first, _, last = row["name"].partition(" ")
    return {
        "id": row["id"],
        "first_name": first,
        "last_name": last,
        "email": row["email"],
        "is_active": row["is_active"],
        "created_at": timestamp(row["created_at"]),
        "updated_at": timestamp(row["created_at"]),
    }


def payment(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "amount": money(row["amount"]),
        "paid_at": timestamp(row["paid_at"]),
        "paid_date": row["paid_at"].astimezone(UTC).date().isoformat(),
        "recorded_by": row["recorded_by"],
        "recorded_by_email": row["recorded_by_email"],
        "notes": row["notes"],
        "transaction_id": row["transaction_id"],
        # Payments are recorded by API callers, never through a gateway of ours.
        "payment_gateway": {"id": None, "name": None},
        "created_at": timestamp(row["created_at"]),
        "updated_at": timestamp(row["updated_at"]),
    }


def invoice(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "client": {"id": row["client_id"], "name": None},
        "number": row["number"],
        "purchase_order": row["purchase_order"],
        "amount": money(row["amount"]),
        "due_amount": money(row["due_amount"]),
        "subject": row["subject"],
        "notes": row["notes"],
        "currency": row["currency"],
        "state": STATES.get(row["state"], row["state"]),
        "period_start": _date(row["period_start"]),
        "period_end": _date(row["period_end"]),
        "issue_date": _date(row["issued_at"]),
        "due_date": _date(row["due_at"]),
        "sent_at": timestamp(row["sent_at"]),
        "closed_at": timestamp(row["closed_at"]),
        "created_at": timestamp(row["created_at"]),
        "updated_at": timestamp(row["updated_at"]),
    }


def _date(value: Any) -> str | None:
    return None if value is None else value.isoformat()
