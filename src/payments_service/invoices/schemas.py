"""What a client may send about invoices: a new one, changes to one, and list filters.

`state` and `due-amount` are derived from payments and messages: sent ones are ignored, as
Harvest did, like any other unknown field.
"""

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from payments_service.domain.money import CURRENCIES, is_currency
from payments_service.http.validation import (
    YEAR_PATTERN,
    NonNegativeAmount,
    Text,
    UtcDateTime,
    body,
    in_range,
)
from payments_service.invoices.fields import INVOICE

MAX_BIGINT = 2**63 - 1


def _currency(value: Any) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    if not is_currency(code):
        raise ValueError("must be an ISO 4217 currency code such as USD")
    return code


COMPACT_DATE = r"[0-9]{8}"


def _compact_date(value: Any) -> date:
    """Harvest v1's `from`/`to` format: YYYYMMDD."""
    if isinstance(value, str) and re.fullmatch(COMPACT_DATE, value):
        try:
            day = date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            pass
        else:
            return in_range(day)
    raise ValueError("must be a date written YYYYMMDD, such as 20080206")


ClientId = Annotated[int, Field(ge=1, le=MAX_BIGINT)]
Number = Annotated[Text, Field(min_length=1, max_length=255)]
# The ISO 4217 codes accepted (any case): an enum, so the document says which.
CurrencyCode = StrEnum("Currency", {code: code for code in CURRENCIES})  # type: ignore[misc]
Currency = Annotated[CurrencyCode, BeforeValidator(_currency)]
CompactDate = Annotated[
    date,
    BeforeValidator(_compact_date),
    WithJsonSchema({"type": "string", "pattern": f"{YEAR_PATTERN}[0-9]{{4}}$"}),
]


class InvoiceBody(BaseModel):
    """Both invoice bodies: first the fields the declaration says clients write that a body does
    not write out (`issued_at`, `due_at`, `subject`...: each may be left out on create and on
    update), then the body's own."""

    model_config = ConfigDict(extra="ignore", use_enum_values=True)


class InvoiceCreateFields(InvoiceBody):
    client_id: ClientId
    number: Number
    currency: Currency
    amount: NonNegativeAmount


# The fields clients write whose column may not be null: an update may change them but never
# empty them.
NOT_NIL = tuple(field.name for field in INVOICE.table if field.write and not field.nullable)


class InvoiceUpdateFields(InvoiceBody):
    """A partial update: only the fields sent change."""

    client_id: ClientId | None = None
    number: Number | None = None
    currency: Currency | None = None
    amount: NonNegativeAmount | None = None

    @field_validator(*NOT_NIL, mode="before", check_fields=False)
    @classmethod
    def _not_nil(cls, value: Any) -> Any:
        # Runs only for fields that were sent.
        if value is None:
            raise ValueError("may not be nil")
        return value


InvoiceCreate = body("InvoiceCreate", INVOICE, "v1", InvoiceBody, InvoiceCreateFields)
InvoiceUpdate = body("InvoiceUpdate", INVOICE, "v1", InvoiceBody, InvoiceUpdateFields)


Status = Literal["open", "partial", "draft", "paid", "closed", "unpaid", "pastdue"]


class InvoiceFilters(BaseModel):
    """GET /invoices query parameters. Unknown parameters are ignored, as Harvest does."""

    model_config = ConfigDict(extra="ignore")

    page: int = Field(1, ge=1, le=2**31 - 1)
    status: Status | None = None
    client: ClientId | None = None
    issued_from: CompactDate | None = Field(None, alias="from")
    issued_to: CompactDate | None = Field(None, alias="to")
    updated_since: UtcDateTime | None = None

    @field_validator("issued_to")
    @classmethod
    def _not_before_from(cls, value: date | None, info: ValidationInfo) -> date | None:
        issued_from = info.data.get("issued_from")
        if value and issued_from and value < issued_from:
            raise ValueError("must not be before from")
        return value
