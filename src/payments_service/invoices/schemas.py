"""What a client may send to create an invoice. `state` and `due-amount` are derived: ignored."""

from pydantic import BaseModel, ConfigDict, Field, field_validator

from payments_service.money import is_currency
from payments_service.validation import Amount, Date, Text


class InvoiceCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    client_id: int = Field(ge=1, le=2**63 - 1)
    number: Text = Field(min_length=1, max_length=255)
    currency: str
    amount: Amount = Field(ge=0)
    issued_at: Date | None = None
    due_at: Date | None = None
    subject: Text | None = None
    notes: Text | None = None
    purchase_order: Text | None = None
    period_start: Date | None = None
    period_end: Date | None = None

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        code = value.strip().upper()
        if not is_currency(code):
            raise ValueError("must be an ISO 4217 currency code such as USD")
        return code
