"""How v2 writes our rows: Harvest v2 field names, amounts as exact JSON numbers, UTC times."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson

from payments_service.domain.ledger import InvoiceState
from payments_service.wire import Row, format_datetime, format_decimal

# v2 knows no `partial`: a sent invoice with something still due is `open`.
STATES = {InvoiceState.PARTIAL.value: InvoiceState.OPEN.value}
PAYMENT_TERMS = {0: "upon receipt", 15: "net 15", 30: "net 30", 45: "net 45", 60: "net 60"}
WEEKLY_CAPACITY = 35 * 3600  # Harvest's default, in seconds
ZERO = orjson.Fragment(b"0.0")


def money(value: Decimal | None) -> orjson.Fragment | None:
    """A JSON number written from the exact Decimal, never through float."""
    return None if value is None else orjson.Fragment(format_decimal(value))


def timestamp(value: datetime | None) -> str | None:
    return None if value is None else format_datetime(value)


def user(row: Row) -> dict[str, Any]:
    """Every user may do everything in their account: an administrator, with no time-tracking
    settings (capacity is Harvest's default, 35 hours in seconds)."""
    first, _, last = row["name"].partition(" ")
    return {
        "id": row["id"],
        "first_name": first,
        "last_name": last,
        "email": row["email"],
        "telephone": "",
        "timezone": "UTC",
        "has_access_to_all_future_projects": False,
        "is_contractor": False,
        "is_active": row["is_active"],
        "weekly_capacity": WEEKLY_CAPACITY,
        "default_hourly_rate": None,
        "cost_rate": None,
        "roles": [],
        "access_roles": ["administrator"],
        "avatar_url": None,
        "created_at": timestamp(row["created_at"]),
        "updated_at": timestamp(row["created_at"]),
    }


def company(row: Row, *, base_uri: str, domain: str) -> dict[str, Any]:
    """The account as Harvest's company, with Harvest's defaults for time tracking; of the
    features only invoices exist here."""
    return {
        "base_uri": base_uri,
        "full_domain": domain,
        "name": row["name"],
        "is_active": row["is_active"],
        "week_start_day": "Monday",
        "wants_timestamp_timers": False,
        "time_format": "hours_minutes",
        "date_format": "%Y-%m-%d",
        "plan_type": "free",
        "clock": "24h",
        "currency_code_display": row["currency_code_display"],
        "currency_symbol_display": row["currency_symbol_display"],
        "decimal_symbol": row["decimal_symbol"],
        "thousands_separator": row["thousands_separator"],
        "color_scheme": "orange",
        "weekly_capacity": WEEKLY_CAPACITY,
        "expense_feature": False,
        "invoice_feature": row["invoices_enabled"],
        "estimate_feature": False,
        "approval_feature": False,
        "team_feature": False,
    }


def payment(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "amount": money(row["amount"]),
        "paid_at": timestamp(row["paid_at"]),
        "paid_date": _day(row["paid_at"]),
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
    """Always every key of Harvest's invoice. What this service does not have is null or
    empty: no client names, line items, estimates, retainers, client links (`client_key`),
    taxes, discounts, gateways or recurring invoices (see docs/harvest-clients.md)."""
    creator = row["created_by_id"]
    return {
        "id": row["id"],
        "client": {"id": row["client_id"], "name": None},
        "line_items": [],
        "estimate": None,
        "retainer": None,
        "creator": None if creator is None else {"id": creator, "name": row["created_by"]},
        "client_key": None,
        "number": row["number"],
        "purchase_order": row["purchase_order"],
        "amount": money(row["amount"]),
        "due_amount": money(row["due_amount"]),
        "tax": None,
        "tax_amount": ZERO,
        "tax2": None,
        "tax2_amount": ZERO,
        "discount": None,
        "discount_amount": ZERO,
        "subject": row["subject"],
        "notes": row["notes"],
        "currency": row["currency"],
        "state": STATES.get(row["state"], row["state"]),
        "period_start": _date(row["period_start"]),
        "period_end": _date(row["period_end"]),
        "issue_date": _date(row["issued_at"]),
        "due_date": _date(row["due_at"]),
        "payment_term": payment_term(row["issued_at"], row["due_at"]),
        "payment_options": [],
        "sent_at": timestamp(row["sent_at"]),
        "paid_at": timestamp(row["paid_at"]),
        "paid_date": _day(row["paid_at"]),
        "closed_at": timestamp(row["closed_at"]),
        "recurring_invoice_id": None,
        "created_at": timestamp(row["created_at"]),
        "updated_at": timestamp(row["updated_at"]),
    }


def payment_term(issued: date, due: date) -> str:
    """Harvest's name for the days between issue and due date."""
    days = (due - issued).days
    return PAYMENT_TERMS.get(days, "custom")


def _date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _day(value: datetime | None) -> str | None:
    """The UTC date of a moment."""
    return None if value is None else value.astimezone(UTC).date().isoformat()
