"""What a client sends to record a payment (the source document's sample post)."""

from pydantic import BaseModel, ConfigDict

from payments_service.http.validation import PositiveAmount, UtcDateTime, body
from payments_service.payments.fields import PAYMENT


# The fields written out (their validation is more than their kind's), before the other ones
# the declaration says clients write (`notes`...).
class PaymentTime(BaseModel):
    model_config = ConfigDict(extra="ignore")

    paid_at: UtcDateTime
    amount: PositiveAmount


PaymentCreate = body("PaymentCreate", PAYMENT, "v1", PaymentTime)
