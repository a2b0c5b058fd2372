"""Who am I: the token's accounts (as Harvest's ID service lists them), its user and company."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from payments_service.accounts import service
from payments_service.db.pool import ConnectionDep
from payments_service.v2 import PREFIX, objects
from payments_service.v2.auth import TokenCallerDep, V2CallerDep
from payments_service.v2.errors import V2Response
from payments_service.v2.openapi import ACCOUNTS, COMPANY, USER, v2_operation
from payments_service.v2.pagination import public

router = APIRouter(prefix=PREFIX, tags=["v2"])


@router.get(
    "/accounts", operation_id="v2ListAccounts", **v2_operation(response=ACCOUNTS, account=False)
)
async def list_accounts(caller: TokenCallerDep, conn: ConnectionDep) -> Response:
    """Needs only the token: this is how a client learns its `Harvest-Account-Id`."""
    row = await service.get_user(conn, account_id=caller.account_id, user_id=caller.user_id)
    me = objects.user(row)
    return V2Response(
        {
            "user": {key: me[key] for key in ("id", "first_name", "last_name", "email")},
            "accounts": [
                {"id": row["account_id"], "name": row["account_name"], "product": "harvest"}
            ],
        }
    )


@router.get("/users/me", operation_id="v2RetrieveCurrentUser", **v2_operation(response=USER))
async def current_user(caller: V2CallerDep, conn: ConnectionDep) -> Response:
    row = await service.get_user(conn, account_id=caller.account_id, user_id=caller.user_id)
    return V2Response(objects.user(row))


@router.get("/company", operation_id="v2RetrieveCompany", **v2_operation(response=COMPANY))
async def company(request: Request, caller: V2CallerDep, conn: ConnectionDep) -> Response:
    """The token's account; `base_uri` is this service, as links name it (PUBLIC_BASE_URL)."""
    row = await service.get_account(conn, account_id=caller.account_id)
    base = public(request, request.url.replace(path="", query=""))
    return V2Response(objects.company(row, base_uri=str(base).rstrip("/"), domain=base.netloc))
