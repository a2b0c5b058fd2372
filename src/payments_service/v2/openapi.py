"""The /v2 routes in the OpenAPI document: Harvest v2's JSON shapes as `v2/wire.py` writes them.

Hand-written (v2's wire is plain dicts); the tests check every v2 response against them.
"""

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from payments_service.http.openapi import Component, json_operation
from payments_service.http.openapi.resources import UTC_DATETIME
from payments_service.http.openapi.responses import ERROR

Schema = dict[str, Any]

INTEGER: Schema = {"type": "integer"}
TEXT: Schema = {"type": "string"}
BOOLEAN: Schema = {"type": "boolean"}
MONEY: Schema = {"type": "number", "description": "exact decimal"}
DATE: Schema = {"type": "string", "format": "date"}
TIMESTAMP: Schema = {"type": "string", "format": "date-time", "pattern": UTC_DATETIME}


def nullable(schema: Schema) -> Schema:
    return {**schema, "type": [schema["type"], "null"]}


def array(items: Schema | Component) -> Schema:
    return {"type": "array", "items": items}


def obj(**properties: Schema) -> Schema:
    """An object with exactly these properties, all present (null where nullable)."""
    return {
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }


V2_ERROR = Component(
    "V2Error",
    obj(
        code=INTEGER,
        message=TEXT,
        errors=array(ERROR),  # v1's, so a problem has one shape in both APIs
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
PAYMENT = Component(
    "V2InvoicePayment",
    obj(
        id=INTEGER,
        amount=MONEY,
        paid_at=TIMESTAMP,
        paid_date=DATE,
        recorded_by=TEXT,
        recorded_by_email=TEXT,
        notes=nullable(TEXT),
        transaction_id=nullable(TEXT),
        payment_gateway=obj(id=nullable(INTEGER), name=nullable(TEXT)),
        created_at=TIMESTAMP,
        updated_at=TIMESTAMP,
    ),
)


def envelope(key: str, item: Component) -> Schema:
    """v2's list envelope around `key`'s items."""
    return obj(
        **{key: array(item)},
        per_page=INTEGER,
        total_pages=INTEGER,
        total_entries=INTEGER,
        next_page=nullable(INTEGER),
        previous_page=nullable(INTEGER),
        page=INTEGER,
        links=obj(first=TEXT, next=nullable(TEXT), previous=nullable(TEXT), last=TEXT),
    )


PAYMENTS = Component("V2InvoicePayments", envelope("invoice_payments", PAYMENT))
# What this service has no data for, as Harvest writes "none" (see v2/wire.py).
NOTHING: Schema = {"type": "null"}
EMPTY: Schema = {"type": "array", "maxItems": 0}
INVOICE = Component(
    "V2Invoice",
    obj(
        id=INTEGER,
        client=obj(id=INTEGER, name=nullable(TEXT)),
        line_items=EMPTY,
        estimate=NOTHING,
        retainer=NOTHING,
        creator={"oneOf": [NOTHING, obj(id=INTEGER, name=TEXT)]},
        client_key=NOTHING,
        number=TEXT,
        purchase_order=nullable(TEXT),
        amount=MONEY,
        due_amount=MONEY,
        tax=NOTHING,
        tax_amount=MONEY,
        tax2=NOTHING,
        tax2_amount=MONEY,
        discount=NOTHING,
        discount_amount=MONEY,
        subject=nullable(TEXT),
        notes=nullable(TEXT),
        currency=TEXT,
        state={"type": "string", "enum": ["draft", "open", "paid", "closed"]},
        period_start=nullable(DATE),
        period_end=nullable(DATE),
        issue_date=DATE,
        due_date=DATE,
        payment_term={
            "type": "string",
            "enum": ["upon receipt", "net 15", "net 30", "net 45", "net 60", "custom"],
        },
        payment_options=EMPTY,
        sent_at=nullable(TIMESTAMP),
        paid_at=nullable(TIMESTAMP),
        paid_date=nullable(DATE),
        closed_at=nullable(TIMESTAMP),
        recurring_invoice_id=NOTHING,
        created_at=TIMESTAMP,
        updated_at=TIMESTAMP,
    ),
)
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
