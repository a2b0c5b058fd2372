"""Path parameters. An id that is not a positive bigint names nothing: 404, like a missing one."""

from typing import Annotated

from fastapi import Path

InvoiceId = Annotated[int, Path(ge=1, le=2**63 - 1)]
PaymentId = Annotated[int, Path(ge=1, le=2**63 - 1)]
WebhookId = Annotated[int, Path(ge=1, le=2**63 - 1)]
