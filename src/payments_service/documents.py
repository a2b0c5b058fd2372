"""What the v1 XML and JSON codecs render: a resource's typed elements, in order.

A `Resource` is v1's view of a resource: its root element and its `Element`s (name, type
attribute, JSON key). Payments and invoices derive theirs from their field declarations
(`payments/fields.py`, `invoices/fields.py`); the XML and JSON renderers and parsers and the
OpenAPI document all read them, so they cannot drift.
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


# What `format_datetime` writes, as the OpenAPI document says it.
UTC_DATETIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"


def format_datetime(value: datetime) -> str:
    """2008-02-14T19:36:52Z: in UTC, to the second (isoformat: twice as fast as strftime)."""
    if value.tzinfo is not UTC:  # asyncpg's timestamptz are in UTC already: no conversion
        value = value.astimezone(UTC)
    return value.isoformat(timespec="seconds").removesuffix("+00:00") + "Z"


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
class Element:
    name: str  # the XML element name, e.g. "invoice-id"
    kind: Kind = Kind.STRING
    nullable: bool = False  # rendered as nil="true" / null when the value is missing
    # The JSON key and the row's key (e.g. "invoice_id"): by default the name with underscores.
    key: str = ""
    # Derived once, read for every value rendered: the function writing a value as text.
    text: Callable[[Any], str] = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", self.key or self.name.replace("-", "_"))
        object.__setattr__(self, "text", TEXT[self.kind])


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: each is defined once
class Resource:
    root: str
    plural: str
    elements: tuple[Element, ...]


Row = Mapping[str, Any] | asyncpg.Record  # asyncpg.Record is no Mapping to the type checker


@dataclass(frozen=True)
class Document:
    """One resource (a row) or a list of them, ready to render in either format."""

    resource: Resource
    value: Row | Sequence[Row]


@dataclass(frozen=True)
class Errors:
    problems: Sequence[Problem]


EVENT = Resource(
    root="event",
    plural="events",
    elements=(
        Element("id", Kind.INTEGER),
        Element("cursor"),
        Element("type"),
        Element("account-id", Kind.INTEGER),
        Element("invoice-id", Kind.INTEGER),
        Element("sequence", Kind.INTEGER),
        Element("payment-id", Kind.INTEGER, nullable=True),
        Element("payment-amount", Kind.DECIMAL, nullable=True),
        Element("amount", Kind.DECIMAL),
        Element("due-amount", Kind.DECIMAL),
        Element("state"),
        Element("currency"),
        Element("created-at", Kind.DATETIME),
    ),
)

WEBHOOK = Resource(
    root="webhook",
    plural="webhooks",
    elements=(
        Element("id", Kind.INTEGER),
        Element("url"),
        Element("secret", nullable=True),  # shown once, in the answer to its creation
        Element("pending-deliveries", Kind.INTEGER),
        Element("dead-deliveries", Kind.INTEGER),
        Element("last-error", nullable=True),
        Element("created-at", Kind.DATETIME),
        # After a rotation: until then the old secret signs too.
        Element("previous-secret-expires-at", Kind.DATETIME, nullable=True),
    ),
)
