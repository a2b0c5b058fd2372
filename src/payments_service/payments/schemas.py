"""What a client sends to record a payment (the source document's sample post)."""

from pydantic import BaseModel, ConfigDict, Field

from payments_service.validation import Amount, Text, UtcDateTime


class PaymentCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    paid_at: UtcDateTime
    amount: Amount = Field(gt=0)
    notes: Text | None = None
