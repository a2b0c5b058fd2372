"""v2 credentials as Harvest v2 clients send them, on top of the shared token check.

`Authorization: Bearer <token>` (verified by `payments_service.http.auth`), a `User-Agent` (400 when
missing, as Harvest does) and `Harvest-Account-Id`, which must name the token's account (403).
"""

from typing import Annotated

from fastapi import Depends, Request

from payments_service.accounts.tokens import Caller
from payments_service.db.pool import Held
from payments_service.errors import BadRequest, Forbidden
from payments_service.http.auth import authenticate


async def token_caller(request: Request, _: Held) -> Caller:
    """The token's caller, without an account header (what Harvest's ID service asks for)."""
    if not request.headers.get("user-agent", "").strip():
        raise BadRequest("Send a User-Agent header naming your application", code="user_agent")
    return await authenticate(request)


async def account_caller(
    caller: Annotated[Caller, Depends(token_caller)], request: Request
) -> Caller:
    account = (
        request.headers.get("harvest-account-id") or request.query_params.get("account_id", "")
    ).strip()
    if account != str(caller.account_id):
        raise Forbidden(
            "Harvest-Account-Id must be the id of the token's account (see GET /v2/accounts)",
            code="account_mismatch",
        )
    return caller


TokenCallerDep = Annotated[Caller, Depends(token_caller)]
V2CallerDep = Annotated[Caller, Depends(account_caller)]
