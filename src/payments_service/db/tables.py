"""The tables. SQLModel classes give Alembic its metadata; queries live in the repositories.

A payment's and an invoice's columns come from their field declarations (`payments/fields.py`,
`invoices/fields.py`); their table classes add the keys and indexes.

Every table carries `account_id`, and every key includes it, so the schema can be distributed
by account (e.g. Citus) without a rewrite. Money is NUMERIC(19, 4): four places hold every
ISO 4217 currency's minor units.
"""

import types
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.schema import SchemaItem
from sqlalchemy.types import TypeEngine
from sqlmodel import Field, SQLModel

from payments_service.documents import Kind
from payments_service.fields import IDENTITY, Fields
from payments_service.fields import Field as DeclaredField
from payments_service.invoices.fields import INVOICE
from payments_service.payments.fields import PAYMENT

MONEY = Numeric(19, 4)


def _id() -> Column[int]:
    return Column(BigInteger, Identity(), primary_key=True)


def _account_id() -> Column[int]:
    return Column(BigInteger, primary_key=True)


def _created_at() -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


def _display(default: str) -> Column[str]:
    return Column(Text, nullable=False, server_default=text(f"'{default}'"))


class Account(SQLModel, table=True):
    __tablename__ = "accounts"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    name: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    invoices_enabled: bool = Field(
        sa_column=Column(Boolean, nullable=False, server_default=text("true"))
    )
    is_active: bool = Field(sa_column=Column(Boolean, nullable=False, server_default=text("true")))
    created_at: datetime = Field(sa_column=_created_at())
    # How v2's company shows money (Harvest's defaults until set).
    currency_code_display: str = Field(sa_column=_display("iso_code_none"))
    currency_symbol_display: str = Field(sa_column=_display("symbol_before"))
    decimal_symbol: str = Field(sa_column=_display("."))
    thousands_separator: str = Field(sa_column=_display(","))


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        # A user belongs to one account only: the email is unique across accounts. (In a
        # distributed deployment users would be a small reference table.)
        Index("uq_users_email", text("lower(email)"), unique=True),
    )

    account_id: int = Field(sa_column=_account_id())
    id: int | None = Field(default=None, sa_column=_id())
    name: str = Field(sa_column=Column(Text, nullable=False))
    email: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=_created_at())


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"
    __table_args__ = (
        ForeignKeyConstraint(["account_id", "user_id"], ["users.account_id", "users.id"]),
    )

    account_id: int = Field(sa_column=_account_id())
    id: int | None = Field(default=None, sa_column=_id())
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    token_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=_created_at())
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


# A declared field's column: its kind's SQL type and the Python type SQLModel gives the attribute.
COLUMN_TYPES: dict[Kind, tuple[TypeEngine[Any], type]] = {
    Kind.STRING: (Text(), str),
    Kind.INTEGER: (BigInteger(), int),
    Kind.DECIMAL: (MONEY, Decimal),
    Kind.DATE: (Date(), date),
    Kind.DATETIME: (DateTime(timezone=True), datetime),
    Kind.BOOLEAN: (Boolean(), bool),
}


def _column(field: DeclaredField) -> tuple[Any, Any]:
    """The field's annotation and SQLModel `Field`, for a table class's namespace."""
    if field.default == IDENTITY:
        return int | None, Field(default=None, sa_column=_id())
    sql_type, python_type = COLUMN_TYPES[field.kind]
    column = Column(
        String(field.length) if field.length else sql_type,
        primary_key=field.key,
        nullable=field.nullable,
        server_default=None if field.default is None else text(field.default),
    )
    if field.nullable:
        return python_type | None, Field(default=None, sa_column=column)
    return python_type, Field(sa_column=column)


def _table(name: str, table: str, fields: Fields, *args: SchemaItem) -> type[SQLModel]:
    """A SQLModel table class with a column for each of the declared fields (`fields.py`)."""
    columns = {field.name: _column(field) for field in fields.table}

    def fill(namespace: dict[str, Any]) -> None:
        namespace["__module__"] = __name__
        namespace["__tablename__"] = table
        namespace["__table_args__"] = args
        namespace["__annotations__"] = {key: annotation for key, (annotation, _) in columns.items()}
        namespace.update({key: default for key, (_, default) in columns.items()})

    return types.new_class(name, (SQLModel,), {"table": True}, fill)


Invoice = _table(
    "Invoice",
    "invoices",
    INVOICE,
    ForeignKeyConstraint(["account_id"], ["accounts.id"]),
    ForeignKeyConstraint(
        ["account_id", "created_by_id"],
        ["users.account_id", "users.id"],
        name="fk_invoices_created_by",
    ),
    # A number is unique among an account's live invoices: a deleted one frees its number.
    Index(
        "uq_invoices_account_number",
        "account_id",
        "number",
        unique=True,
        postgresql_where=text("deleted_at IS NULL"),
    ),
    Index("ix_invoices_account_updated", "account_id", "updated_at"),
    # GET /invoices: newest issued first, page by page.
    Index(
        "ix_invoices_account_issued",
        "account_id",
        "issued_at",
        "id",
        postgresql_where=text("deleted_at IS NULL"),
    ),
)

Payment = _table(
    "Payment",
    "payments",
    PAYMENT,
    ForeignKeyConstraint(["account_id", "invoice_id"], ["invoices.account_id", "invoices.id"]),
    Index(
        "ix_payments_live_by_invoice",
        "account_id",
        "invoice_id",
        "id",
        postgresql_where=text("deleted_at IS NULL"),
    ),
    # A provider's transaction is recorded at most once per invoice (v2 `transaction_id`).
    Index(
        "uq_payments_live_transaction",
        "account_id",
        "invoice_id",
        "transaction_id",
        unique=True,
        postgresql_where=text("transaction_id IS NOT NULL AND deleted_at IS NULL"),
    ),
)


class IdempotencyKey(SQLModel, table=True):
    """A request made with an Idempotency-Key, and the response to replay for its retries."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        Index("ix_idempotency_keys_expires_at", "expires_at"),
    )

    account_id: int = Field(sa_column=_account_id())
    key: str = Field(sa_column=Column(Text, primary_key=True))
    request_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    status_code: int = Field(sa_column=Column(Integer, nullable=False))
    headers: dict[str, str] = Field(sa_column=Column(JSONB, nullable=False))
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=_created_at())
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Event(SQLModel, table=True):
    """The outbox: one row per change, written in the change's transaction (see `events/`)."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("account_id", "invoice_id", "sequence", name="uq_events_invoice_sequence"),
        Index("ix_events_feed", "account_id", "position", "id"),
        Index(
            "ix_events_unnumbered", "account_id", "id", postgresql_where=text("position IS NULL")
        ),
    )

    account_id: int = Field(sa_column=_account_id())
    id: int | None = Field(default=None, sa_column=_id())
    # The feed's order: the account's events numbered once seen committed (None until then;
    # see `events/repository.py`). Events from before 0009 keep their transaction id here.
    position: int | None = Field(default=None, sa_column=Column(BigInteger))
    type: str = Field(sa_column=Column(Text, nullable=False))
    # No foreign key to the invoice: events are history and outlive what they describe.
    invoice_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    sequence: int = Field(sa_column=Column(BigInteger, nullable=False))
    payment_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    payment_amount: Decimal | None = Field(default=None, sa_column=Column(MONEY))
    amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    due_amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    state: str = Field(sa_column=Column(Text, nullable=False))
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    created_at: datetime = Field(sa_column=_created_at())


class EventFeed(SQLModel, table=True):
    """One row per account with events: the position of its newest numbered event, locked
    while the next ones are numbered (see `events/repository.py`)."""

    __tablename__ = "event_feeds"
    __table_args__ = (ForeignKeyConstraint(["account_id"], ["accounts.id"]),)

    account_id: int = Field(sa_column=_account_id())
    last_position: int = Field(sa_column=Column(BigInteger, nullable=False))


class WebhookSubscription(SQLModel, table=True):
    __tablename__ = "webhook_subscriptions"
    __table_args__ = (ForeignKeyConstraint(["account_id"], ["accounts.id"]),)

    account_id: int = Field(sa_column=_account_id())
    id: int | None = Field(default=None, sa_column=_id())
    url: str = Field(sa_column=Column(Text, nullable=False))
    # Encrypted with WEBHOOK_SECRET_KEY when set (webhooks/secret_box.py): the dispatcher needs
    # it to sign (HMAC), so it cannot be a one-way hash.
    secret: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=_created_at())
    # After a rotation, the old secret still signs until it expires.
    previous_secret: str | None = Field(default=None, sa_column=Column(Text))
    previous_secret_expires_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    # A dispatcher sending to it holds it until then (see webhooks/dispatcher.py).
    leased_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class WebhookDelivery(SQLModel, table=True):
    """An event still owed to a subscriber; deleted once the subscriber accepted it."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        ForeignKeyConstraint(
            ["account_id", "subscription_id"],
            ["webhook_subscriptions.account_id", "webhook_subscriptions.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(["account_id", "event_id"], ["events.account_id", "events.id"]),
        Index(
            "ix_webhook_deliveries_queue", "account_id", "subscription_id", "invoice_id", "sequence"
        ),
        Index(
            "ix_webhook_deliveries_due",
            "account_id",
            "subscription_id",
            "next_attempt_at",
            postgresql_where=text("state = 'pending'"),
        ),
    )

    account_id: int = Field(sa_column=_account_id())
    id: int | None = Field(default=None, sa_column=_id())
    subscription_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    event_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    # The event's invoice and number, copied here so each invoice's queue is one index range.
    invoice_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    sequence: int = Field(sa_column=Column(BigInteger, nullable=False))
    state: str = Field(sa_column=Column(Text, nullable=False, server_default=text("'pending'")))
    attempts: int = Field(sa_column=Column(Integer, nullable=False, server_default=text("0")))
    next_attempt_at: datetime = Field(sa_column=_created_at())
    # The first failure of the current run of attempts (replay clears it): the give-up clock.
    failing_since: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_error: str | None = Field(default=None, sa_column=Column(Text))


class RateLimitWindow(SQLModel, table=True):
    """An account's current rate-limit window (see `rate_limit.py`): one row per account,
    overwritten when a new window starts, so there is nothing old to purge."""

    __tablename__ = "rate_limit_windows"
    __table_args__ = (ForeignKeyConstraint(["account_id"], ["accounts.id"]),)

    account_id: int = Field(sa_column=_account_id())
    window_start: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    hits: int = Field(sa_column=Column(Integer, nullable=False))
