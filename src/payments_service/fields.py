"""Field declarations: each resource's fields written once, everything else derived.

A resource's `Fields` (`payments/fields.py`, `invoices/fields.py`) lists, one line per field,
its column (type, nullability, default, key), whether v1 and v2 show it and under which names,
and whether clients write it. From that come the table (`db/tables.py`), the repositories'
column lists, the request bodies' plain fields (`http/validation.py`'s `body`), v1's `Resource`
(the XML and JSON codecs and v1's OpenAPI schemas), v2's objects (`v2/objects.py`) and their
OpenAPI schemas. The lines are in v2's order (Harvest's documented order); v1's order is the
resource's `v1_order`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

import orjson

from payments_service.documents import (
    UTC_DATETIME,
    Element,
    Kind,
    Resource,
    Row,
    format_datetime,
    format_decimal,
)

Schema = dict[str, Any]
Api = Literal["v1", "v2"]

# A column's default: numbered by the database (an identity), or the moment of the INSERT.
IDENTITY = "identity"
NOW = "now()"

# v2's JSON Schema vocabulary.
INTEGER: Schema = {"type": "integer"}
TEXT: Schema = {"type": "string"}
BOOLEAN: Schema = {"type": "boolean"}
MONEY: Schema = {"type": "number", "description": "exact decimal"}
DATE: Schema = {"type": "string", "format": "date"}
TIMESTAMP: Schema = {"type": "string", "format": "date-time", "pattern": UTC_DATETIME}
NOTHING: Schema = {"type": "null"}  # what this service has no data for, as Harvest writes none
EMPTY: Schema = {"type": "array", "maxItems": 0}


def nullable(schema: Schema) -> Schema:
    return {**schema, "type": [schema["type"], "null"]}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def obj(**properties: Schema) -> Schema:
    """An object with exactly these properties, all present (null where nullable)."""
    return {
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }


def money(value: Decimal | None) -> orjson.Fragment | None:
    """A JSON number written from the exact Decimal, never through float."""
    return None if value is None else orjson.Fragment(format_decimal(value))


def timestamp(value: datetime | None) -> str | None:
    return None if value is None else format_datetime(value)


def day(value: datetime | None) -> str | None:
    """The UTC date of a moment."""
    return None if value is None else value.astimezone(UTC).date().isoformat()


def _date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _same(value: Any) -> Any:
    return value


# How v2 writes a value of each kind, and its schema.
V2_KINDS: dict[Kind, tuple[Callable[[Any], Any], Schema]] = {
    Kind.STRING: (_same, TEXT),
    Kind.INTEGER: (_same, INTEGER),
    Kind.DECIMAL: (money, MONEY),
    Kind.DATE: (_date, DATE),
    Kind.DATETIME: (timestamp, TIMESTAMP),
    Kind.BOOLEAN: (_same, BOOLEAN),
}


@dataclass(frozen=True)
class V2:
    """A v2 key whose value is not one column as its kind writes it: computed from the row."""

    schema: Schema
    value: Callable[[Row], Any]


def constant(schema: Schema, value: Any) -> V2:
    """A v2 key with the same value on every object (Harvest's keys this service has no
    data for)."""
    return V2(schema, lambda _row: value)


@dataclass(frozen=True)
class Field:
    """One field. `name` is its column, or only its v2 key when it has no column (`v2` is then
    a `V2`). `v1` and `v2` default to showing the column under its name (v1: with dashes);
    False hides it there, a string renames it, a `V2` computes v2's value.

    The column's SQL type follows from `kind` (`db/tables.py`), text of at most `length`
    characters when given; `default` is its SQL default (the database fills it on INSERT),
    `key` makes it part of the primary key; `read` is False for a column the repositories
    never select. `write` lets clients send it, optional, in each API that shows it."""

    name: str
    kind: Kind = Kind.STRING
    nullable: bool = False
    v1: bool | str = True
    v2: bool | str | V2 = True
    column: bool = True
    read: bool = True
    write: bool = False
    key: bool = False
    length: int | None = None
    default: str | None = None

    def element(self) -> Element | None:
        if self.v1 is False:
            return None
        name = self.name.replace("_", "-") if self.v1 is True else self.v1
        return Element(name, self.kind, self.nullable, key=self.name)

    def v2_key(self) -> str | None:
        if self.v2 is False:
            return None
        return self.v2 if isinstance(self.v2, str) else self.name

    def v2_value(self) -> V2:
        if isinstance(self.v2, V2):
            return self.v2
        write, schema = V2_KINDS[self.kind]
        name = self.name
        if self.nullable:
            return V2(nullable(schema), lambda row: None if row[name] is None else write(row[name]))
        return V2(schema, lambda row: write(row[name]))


def v2_only(key: str, v2: V2) -> Field:
    """A v2 key with no column and no v1 element."""
    return Field(key, v1=False, v2=v2, column=False)


def column_only(name: str, kind: Kind = Kind.STRING, *, nullable: bool = False) -> Field:
    """A column the service reads but neither API shows as such (v2 may combine it)."""
    return Field(name, kind, nullable, v1=False, v2=False)


def table_only(name: str, kind: Kind = Kind.STRING, *, key: bool = False) -> Field:
    """A column the repositories do not select: part of the key (the account), or nullable."""
    return Field(name, kind, nullable=not key, v1=False, v2=False, read=False, key=key)


class Fields:
    """One resource's declared fields and what derives from them."""

    def __init__(
        self,
        *,
        root: str,
        plural: str,
        fields: tuple[Field, ...],
        v1_order: tuple[str, ...] | None = None,
    ) -> None:
        """`v1_order` lists v1's elements by column in v1's order (None: by element name,
        alphabetically, as Harvest v1 wrote a payment)."""
        self.fields = fields
        # The table's columns, in declaration order.
        self.table = tuple(field for field in fields if field.column)
        # What the repositories select and return.
        self.columns: tuple[str, ...] = tuple(field.name for field in self.table if field.read)
        # What an INSERT gives a new row (with its account_id): the rest has a default.
        self.written = tuple(
            field.name for field in self.table if field.read and field.default is None
        )
        elements = {field.name: e for field in fields if (e := field.element()) is not None}
        if v1_order is None:
            v1_order = tuple(sorted(elements, key=lambda name: elements[name].name))
        if sorted(v1_order) != sorted(elements):  # at import: a new v1 field has no place yet
            raise ValueError(f"{root}: v1_order must name each of {sorted(elements)} once")
        self.v1 = Resource(root, plural, tuple(elements[name] for name in v1_order))
        by_name = {field.name: field for field in fields}
        # What each API's clients may send, in its order (in a body, under the column's name).
        self.sent: dict[Api, tuple[Field, ...]] = {
            "v1": tuple(by_name[name] for name in v1_order if by_name[name].write),
            "v2": tuple(field for field in fields if field.write and field.v2_key() is not None),
        }
        self.v2_keys: tuple[tuple[str, V2], ...] = tuple(
            (key, field.v2_value()) for field in fields if (key := field.v2_key()) is not None
        )
        self.v2_schema: Schema = obj(**{key: v2.schema for key, v2 in self.v2_keys})

    def v2_object(self, row: Row) -> dict[str, Any]:
        """The row as v2 writes it: every key, in order."""
        return {key: v2.value(row) for key, v2 in self.v2_keys}

    def select(self, alias: str = "") -> str:
        """The column list of a SELECT or RETURNING, each column prefixed by `alias.`."""
        prefix = f"{alias}." if alias else ""
        return ", ".join(prefix + column for column in self.columns)
