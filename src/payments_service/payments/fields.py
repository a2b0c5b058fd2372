"""A payment's fields, declared once (see `payments_service/fields.py`): adding a field is a
migration, a line here and a test."""

from payments_service.documents import Kind
from payments_service.fields import (
    DATE,
    IDENTITY,
    INTEGER,
    NOW,
    TEXT,
    V2,
    Field,
    Fields,
    constant,
    day,
    nullable,
    obj,
    table_only,
    v2_only,
)

PAYMENT = Fields(
    root="payment",
    plural="payments",
    fields=(
        table_only("account_id", Kind.INTEGER, key=True),
        Field("id", Kind.INTEGER, key=True, default=IDENTITY),
        Field("invoice_id", Kind.INTEGER, v2=False),
        Field("amount", Kind.DECIMAL, write=True),
        Field("paid_at", Kind.DATETIME, write=True),
        v2_only("paid_date", V2(DATE, lambda row: day(row["paid_at"]))),
        Field("recorded_by"),
        Field("recorded_by_email"),
        Field("notes", nullable=True, write=True),
        # Ours, not Harvest's: a provider's transaction, recorded once per invoice (v2 only).
        Field("transaction_id", nullable=True, v1=False, write=True),
        # Payments are recorded by API callers, never through a gateway of ours.
        v2_only(
            "payment_gateway",
            constant(obj(id=nullable(INTEGER), name=nullable(TEXT)), {"id": None, "name": None}),
        ),
        Field("created_at", Kind.DATETIME, default=NOW),
        Field("updated_at", Kind.DATETIME, default=NOW),
        # Soft delete: money history is never lost, a deleted payment only leaves the API.
        table_only("deleted_at", Kind.DATETIME),
        table_only("deleted_by_email"),
    ),
)
