"""What v2 clients send: request bodies and list parameters."""

from datetime import UTC, datetime, time
from typing import Annotated, Any, Self

from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from payments_service.errors import UnsupportedMediaType
from payments_service.http.json_codec import parse_json
from payments_service.http.validation import Date, PositiveAmount, Text, UtcDateTime, body
from payments_service.payments.fields import PAYMENT

PerPage = Annotated[int, Query(ge=1, le=2000)]
PageNumber = Annotated[int, Query(ge=1, le=2**31)]
UpdatedSince = Annotated[UtcDateTime | None, Query()]


async def read_json(request: Request) -> dict[str, Any]:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType("Send the body as application/json")
    return parse_json(await request.body(), None)


# The fields written out, before and after the other ones the declaration says clients write
# (`notes`...).
class InvoicePayment(BaseModel):
    model_config = ConfigDict(extra="ignore")

    amount: PositiveAmount
    paid_at: UtcDateTime | None = None
    paid_date: Date | None = None

    @model_validator(mode="after")
    def _one_date(self) -> Self:
        if self.paid_at is not None and self.paid_date is not None:
            raise ValueError("send paid_at or paid_date, not both")
        return self

    def moment(self) -> datetime:
        """When it was paid: a date means midnight UTC, nothing means now."""
        if self.paid_at is not None:
            return self.paid_at
        if self.paid_date is not None:
            return datetime.combine(self.paid_date, time(), UTC)
        return datetime.now(UTC)


class InvoicePaymentExtras(InvoicePayment):
    send_thank_you: bool | None = None  # accepted; this service sends no email
    # Not in Harvest's create body; ours so payment-provider callbacks cannot double-record.
    transaction_id: Text | None = Field(default=None, min_length=1, max_length=255)


InvoicePaymentCreate = body(
    "InvoicePaymentCreate", PAYMENT, "v2", InvoicePayment, InvoicePaymentExtras
)
