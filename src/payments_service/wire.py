"""The wire format, defined once: each resource's fields in order with their types.

The XML and JSON renderers and parsers all read these definitions, so they cannot drift.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import asyncpg

from payments_service.errors import Problem


def format_decimal(value: Decimal) -> str:
    """Rails' BigDecimal style: 1238 -> "1238.0", 12.50 -> "12.5", 0.05 -> "0.05"."""
    text = format(value, "f")
    if "." not in text:
        return text + ".0"
    text = text.rstrip("0")
    return text + "0" if text.endswith(".") else text


def format_datetime(value: datetime) -> str:
    """2008-02-14T19:36:52Z: in UTC, to the second (isoformat: twice as fast as strftime)."""
    return value.astimezone(UTC).isoformat(timespec="seconds").removesuffix("+00:00") + "Z"


class Kind(Enum):
    """A field's type: its XML `type` attribute (see `TEXT` for how its value is written)."""

    STRING = None
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"


def _date(value: date) -> str:
    return value.isoformat()


def _boolean(value: bool) -> str:
    return "true" if value else "false"


# How each kind's value is written as text.
TEXT: dict[Kind, Callable[[Any], str]] = {
    Kind.STRING: str,
    Kind.INTEGER: str,
    Kind.DECIMAL: format_decimal,
    Kind.DATE: _date,
    Kind.DATETIME: format_datetime,
    Kind.BOOLEAN: _boolean,
}


@dataclass(frozen=True)
class Field:
    name: str  # the XML element name, e.g. "invoice-id"
    kind: Kind = Kind.STRING
    nullable: bool = False  # rendered as nil="true" / null when the value is missing
    # Derived once, read for every value rendered: the JSON key and column name (e.g.
    # "invoice_id"), and the function writing a value as text.
    key: str = dataclass_field(init=False)
    text: Callable[[Any], str] = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", self.name.replace("-", "_"))
        object.__setattr__(self, "text", TEXT[self.kind])


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: each is defined once
class Resource:
    root: str
    plural: str
    fields: tuple[Field, ...]


Row = Mapping[str, Any] | asyncpg.Record  # asyncpg.Record is no Mapping to the type checker


@dataclass(frozen=True)
class Document:
    """One resource (a row) or a list of them, ready to render in either format."""

    resource: Resource
    value: Row | Sequence[Row]


@dataclass(frozen=True)
class Errors:
    problems: Sequence[Problem]


PAYMENT = Resource(
    root="payment",
    plural="payments",
    fields=(
        Field("amount", Kind.DECIMAL),
        Field("created-at", Kind.DATETIME),
        Field("id", Kind.INTEGER),
        Field("invoice-id", Kind.INTEGER),
        Field("notes", nullable=True),
        Field("paid-at", Kind.DATETIME),
        Field("recorded-by"),
        Field("recorded-by-email"),
        Field("updated-at", Kind.DATETIME),
    ),
)

INVOICE = Resource(
    root="invoice",
    plural="invoices",
    fields=(
        Field("id", Kind.INTEGER),
        Field("client-id", Kind.INTEGER),
        Field("number"),
        Field("currency"),
        Field("amount", Kind.DECIMAL),
        Field("due-amount", Kind.DECIMAL),
        Field("state"),
        Field("issued-at", Kind.DATE),
        Field("due-at", Kind.DATE),
        Field("subject", nullable=True),
        Field("notes", nullable=True),
        Field("purchase-order", nullable=True),
        Field("period-start", Kind.DATE, nullable=True),
        Field("period-end", Kind.DATE, nullable=True),
        Field("sent-at", Kind.DATETIME, nullable=True),
        Field("closed-at", Kind.DATETIME, nullable=True),
        Field("created-at", Kind.DATETIME),
        Field("updated-at", Kind.DATETIME),
    ),
)

EVENT = Resource(
    root="event",
    plural="events",
    fields=(
        Field("id", Kind.INTEGER),
        Field("cursor"),
        Field("type"),
        Field("account-id", Kind.INTEGER),
        Field("invoice-id", Kind.INTEGER),
        Field("sequence", Kind.INTEGER),
        Field("payment-id", Kind.INTEGER, nullable=True),
        Field("payment-amount", Kind.DECIMAL, nullable=True),
        Field("amount", Kind.DECIMAL),
        Field("due-amount", Kind.DECIMAL),
        Field("state"),
        Field("currency"),
        Field("created-at", Kind.DATETIME),
    ),
)

WEBHOOK = Resource(
    root="webhook",
    plural="webhooks",
    fields=(
        Field("id", Kind.INTEGER),
        Field("url"),
        Field("secret", nullable=True),  # shown once, in the answer to its creation
        Field("pending-deliveries", Kind.INTEGER),
        Field("dead-deliveries", Kind.INTEGER),
        Field("last-error", nullable=True),
        Field("created-at", Kind.DATETIME),
        # After a rotation: until then the old secret signs too.
        Field("previous-secret-expires-at", Kind.DATETIME, nullable=True),
    ),
)
