"""What a client sends to record a payment (the source document's sample post)."""

from pydantic import BaseModel, ConfigDict

from payments_service.http.validation import PositiveAmount, Text, UtcDateTime


class PaymentCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    paid_at: UtcDateTime
    amount: PositiveAmount
    notes: Text | None = None
