"""The /v2 routes in the OpenAPI document: Harvest v2's JSON shapes as `v2/objects.py` writes
them. Payments' and invoices' come from their field declarations; the rest are written here
(the tests check every v2 response against them).
"""

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from payments_service.fields import (
    BOOLEAN,
    DATE,
    INTEGER,
    MONEY,
    TEXT,
    TIMESTAMP,
    Schema,
    array,
    nullable,
    obj,
)
from payments_service.http.openapi import Component, json_operation
from payments_service.http.openapi.responses import ERROR
from payments_service.invoices.fields import INVOICE as INVOICE_FIELDS
from payments_service.payments.fields import PAYMENT as PAYMENT_FIELDS

V2_ERROR = Component(
    "V2Error",
    obj(
        code=INTEGER,
        message=TEXT,
        errors={"type": "array", "items": ERROR},  # v1's, so a problem has one shape in both APIs
    ),
)
USER = Component(
    "V2User",
    obj(
        id=INTEGER,
        first_name=TEXT,
        last_name=TEXT,
        email=TEXT,
        telephone=TEXT,
        timezone=TEXT,
        has_access_to_all_future_projects=BOOLEAN,
        is_contractor=BOOLEAN,
        is_active=BOOLEAN,
        weekly_capacity=INTEGER,
        default_hourly_rate=nullable(MONEY),
        cost_rate=nullable(MONEY),
        roles=array(TEXT),
        access_roles=array(TEXT),
        avatar_url=nullable(TEXT),
        created_at=TIMESTAMP,
        updated_at=TIMESTAMP,
    ),
)
COMPANY = Component(
    "V2Company",
    obj(
        base_uri={"type": "string", "format": "uri"},
        full_domain=TEXT,
        name=TEXT,
        is_active=BOOLEAN,
        week_start_day=TEXT,
        wants_timestamp_timers=BOOLEAN,
        time_format=TEXT,
        date_format=TEXT,
        plan_type=TEXT,
        clock=TEXT,
        currency_code_display=TEXT,
        currency_symbol_display=TEXT,
        decimal_symbol=TEXT,
        thousands_separator=TEXT,
        color_scheme=TEXT,
        weekly_capacity=INTEGER,
        expense_feature=BOOLEAN,
        invoice_feature=BOOLEAN,
        estimate_feature=BOOLEAN,
        approval_feature=BOOLEAN,
        team_feature=BOOLEAN,
    ),
)
ACCOUNTS = Component(
    "V2Accounts",
    obj(
        user=obj(id=INTEGER, first_name=TEXT, last_name=TEXT, email=TEXT),
        accounts=array(obj(id=INTEGER, name=TEXT, product=TEXT)),
    ),
)
PAYMENT = Component("V2InvoicePayment", PAYMENT_FIELDS.v2_schema)


def envelope(key: str, item: Component) -> Schema:
    """v2's list envelope around `key`'s items."""
    return obj(
        **{key: {"type": "array", "items": item}},
        per_page=INTEGER,
        total_pages=INTEGER,
        total_entries=INTEGER,
        next_page=nullable(INTEGER),
        previous_page=nullable(INTEGER),
        page=INTEGER,
        links=obj(first=TEXT, next=nullable(TEXT), previous=nullable(TEXT), last=TEXT),
    )


PAYMENTS = Component("V2InvoicePayments", envelope("invoice_payments", PAYMENT))
INVOICE = Component("V2Invoice", INVOICE_FIELDS.v2_schema)
INVOICES = Component("V2Invoices", envelope("invoices", INVOICE))
MESSAGE = Component(
    "V2InvoiceMessage",
    obj(
        id=nullable(INTEGER),
        sent_by=TEXT,
        sent_by_email=TEXT,
        sent_from=TEXT,
        sent_from_email=TEXT,
        recipients=array(obj(name=TEXT, email=TEXT)),
        subject=nullable(TEXT),
        body=nullable(TEXT),
        include_link_to_client_invoice=BOOLEAN,
        attach_pdf=BOOLEAN,
        send_me_a_copy=BOOLEAN,
        thank_you=BOOLEAN,
        reminder=BOOLEAN,
        send_reminder_on=nullable(DATE),
        event_type=TEXT,
        created_at=TIMESTAMP,
        updated_at=TIMESTAMP,
    ),
)

HEADERS = [
    {
        "name": "User-Agent",
        "in": "header",
        "required": True,
        "description": "Names the calling application (400 without it, as Harvest does).",
        "schema": {"type": "string", "pattern": r"\S"},
    }
]
ACCOUNT_HEADER = {
    "name": "Harvest-Account-Id",
    "in": "header",
    "required": True,
    "description": "The token's account id (403 otherwise; see GET /v2/accounts).",
    "schema": TEXT,
}


def v2_operation(
    *,
    response: Component | None = None,
    status: int = 200,
    body: type[BaseModel] | None = None,
    errors: Iterable[int] = (),
    account: bool = True,
) -> dict[str, Any]:
    """`json_operation` with v2's error shape and its User-Agent / Harvest-Account-Id headers."""
    documented = json_operation(
        response=response,
        status=status,
        body=body,
        errors=[400, 429, *errors],
        error_schema=V2_ERROR,
    )
    documented["openapi_extra"]["parameters"] = HEADERS + ([ACCOUNT_HEADER] if account else [])
    return documented
