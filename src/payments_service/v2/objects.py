"""v2's objects: Harvest v2 field names, amounts as exact JSON numbers, UTC times.

Payments and invoices are written from their field declarations; the user and company here.
"""

from typing import Any

from payments_service.documents import Row
from payments_service.fields import timestamp
from payments_service.invoices.fields import INVOICE
from payments_service.payments.fields import PAYMENT

WEEKLY_CAPACITY = 35 * 3600  # Harvest's default, in seconds


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


payment = PAYMENT.v2_object
invoice = INVOICE.v2_object
