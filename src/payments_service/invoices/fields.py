"""An invoice's fields, declared once (see `payments_service/fields.py`): adding a field is a
migration, a line here (and its place in `v1_order` if v1 shows it) and a test.

v2 always writes every key of Harvest's invoice. What this service does not have is null or
empty: no client names, line items, estimates, retainers, client links (`client_key`), taxes,
discounts, gateways or recurring invoices (see docs/harvest-clients.md).
"""

from datetime import date
from typing import Any

import orjson

from payments_service.documents import Kind, Row
from payments_service.domain.ledger import InvoiceState
from payments_service.fields import (
    DATE,
    EMPTY,
    IDENTITY,
    INTEGER,
    MONEY,
    NOTHING,
    NOW,
    TEXT,
    V2,
    Field,
    Fields,
    column_only,
    constant,
    day,
    nullable,
    obj,
    table_only,
    v2_only,
)

# v2 knows no `partial`: a sent invoice with something still due is `open`.
V2_STATES = {InvoiceState.PARTIAL.value: InvoiceState.OPEN.value}
PAYMENT_TERMS = {0: "upon receipt", 15: "net 15", 30: "net 30", 45: "net 45", 60: "net 60"}
ZERO = orjson.Fragment(b"0.0")


def payment_term(issued: date, due: date) -> str:
    """Harvest's name for the days between issue and due date."""
    return PAYMENT_TERMS.get((due - issued).days, "custom")


def _creator(row: Row) -> dict[str, Any] | None:
    creator = row["created_by_id"]
    return None if creator is None else {"id": creator, "name": row["created_by"]}


NONE = constant(NOTHING, None)
NO_ITEMS = constant(EMPTY, [])
NO_MONEY = constant(MONEY, ZERO)

INVOICE = Fields(
    root="invoice",
    plural="invoices",
    fields=(
        table_only("account_id", Kind.INTEGER, key=True),
        Field("id", Kind.INTEGER, key=True, default=IDENTITY),
        Field("client_id", Kind.INTEGER, v2=False, write=True),
        v2_only(
            "client",
            V2(
                obj(id=INTEGER, name=nullable(TEXT)),
                lambda row: {"id": row["client_id"], "name": None},
            ),
        ),
        v2_only("line_items", NO_ITEMS),
        v2_only("estimate", NONE),
        v2_only("retainer", NONE),
        # The user whose token created it, and their name then (None: created before 0010).
        column_only("created_by_id", Kind.INTEGER, nullable=True),
        column_only("created_by", nullable=True),
        v2_only("creator", V2({"oneOf": [NOTHING, obj(id=INTEGER, name=TEXT)]}, _creator)),
        v2_only("client_key", NONE),
        Field("number", write=True),
        Field("purchase_order", nullable=True, write=True),
        Field("amount", Kind.DECIMAL, write=True),
        Field("due_amount", Kind.DECIMAL),
        v2_only("tax", NONE),
        v2_only("tax_amount", NO_MONEY),
        v2_only("tax2", NONE),
        v2_only("tax2_amount", NO_MONEY),
        v2_only("discount", NONE),
        v2_only("discount_amount", NO_MONEY),
        Field("subject", nullable=True, write=True),
        Field("notes", nullable=True, write=True),
        Field("currency", length=3, write=True),
        Field(
            "state",
            v2=V2(
                {"type": "string", "enum": ["draft", "open", "paid", "closed"]},
                lambda row: V2_STATES.get(row["state"], row["state"]),
            ),
        ),
        Field("period_start", Kind.DATE, nullable=True, write=True),
        Field("period_end", Kind.DATE, nullable=True, write=True),
        Field("issued_at", Kind.DATE, v2="issue_date", write=True),
        Field("due_at", Kind.DATE, v2="due_date", write=True),
        v2_only(
            "payment_term",
            V2(
                {"type": "string", "enum": [*PAYMENT_TERMS.values(), "custom"]},
                lambda row: payment_term(row["issued_at"], row["due_at"]),
            ),
        ),
        v2_only("payment_options", NO_ITEMS),
        Field("sent_at", Kind.DATETIME, nullable=True),
        # When it became paid: the paid_at of the payment that settled it (None unless paid).
        Field("paid_at", Kind.DATETIME, nullable=True, v1=False),
        v2_only("paid_date", V2(nullable(DATE), lambda row: day(row["paid_at"]))),
        Field("closed_at", Kind.DATETIME, nullable=True),
        v2_only("recurring_invoice_id", NONE),
        Field("created_at", Kind.DATETIME, default=NOW),
        Field("updated_at", Kind.DATETIME, default=NOW),
        # Soft delete: the (soft-deleted) payments that once paid it still reference the row.
        table_only("deleted_at", Kind.DATETIME),
        table_only("deleted_by_email"),
        # The sequence number of its last event: the next change's events take the next ones.
        Field("last_event_sequence", Kind.INTEGER, v1=False, v2=False, read=False, default="0"),
    ),
    v1_order=(
        "id",
        "client_id",
        "number",
        "currency",
        "amount",
        "due_amount",
        "state",
        "issued_at",
        "due_at",
        "subject",
        "notes",
        "purchase_order",
        "period_start",
        "period_end",
        "sent_at",
        "closed_at",
        "created_at",
        "updated_at",
    ),
)
