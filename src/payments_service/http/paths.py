"""Path parameters. An id that is not a positive bigint names nothing: 404, like a missing one."""

from typing import Annotated

from fastapi import Path, Request
from pydantic import TypeAdapter

from payments_service.http.validation import parameter

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
InvoiceId = Id
PaymentId = Id
WebhookId = Id

_ID: TypeAdapter[int] = TypeAdapter(Id)


def path_id(request: Request, name: str) -> int:
    """The path parameter `name` as an `Id`; an invalid one is a RequestValidationError, which
    main.py answers with 404."""
    return parameter(_ID, request.path_params[name], ("path", name))
