"""Webhook subscriptions: `/webhooks`. Thin: parse, call, render."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from payments_service.auth import CallerDep
from payments_service.contract import operation
from payments_service.database import ConnectionDep, TransactionDep
from payments_service.negotiation import FormatDep, read_body, respond
from payments_service.paths import WebhookId
from payments_service.validation import validate
from payments_service.webhooks import service
from payments_service.webhooks.schemas import WebhookCreate
from payments_service.wire import WEBHOOK, Document

router = APIRouter(tags=["webhooks"])


@router.post(
    "/webhooks",
    operation_id="createWebhook",
    **operation(resource=WEBHOOK, status=201, body=WebhookCreate),
)
async def create_webhook(
    request: Request, caller: CallerDep, conn: TransactionDep, fmt: FormatDep
) -> Response:
    data = validate(WebhookCreate, await read_body(request, WEBHOOK))
    row = await service.create_webhook(conn, account_id=caller.account_id, data=data)
    return respond(fmt, Document(WEBHOOK, row), 201, {"Location": f"/webhooks/{row['id']}"})


@router.get("/webhooks", operation_id="listWebhooks", **operation(resource=WEBHOOK, many=True))
async def list_webhooks(caller: CallerDep, conn: ConnectionDep, fmt: FormatDep) -> Response:
    rows = await service.list_webhooks(conn, account_id=caller.account_id)
    return respond(fmt, Document(WEBHOOK, rows))


@router.get(
    "/webhooks/{webhook_id}", operation_id="getWebhook", **operation(resource=WEBHOOK, errors=[404])
)
async def get_webhook(
    webhook_id: WebhookId, caller: CallerDep, conn: ConnectionDep, fmt: FormatDep
) -> Response:
    row = await service.get_webhook(conn, account_id=caller.account_id, subscription_id=webhook_id)
    return respond(fmt, Document(WEBHOOK, row))


@router.delete("/webhooks/{webhook_id}", operation_id="deleteWebhook", **operation(errors=[404]))
async def delete_webhook(
    webhook_id: WebhookId, caller: CallerDep, conn: TransactionDep
) -> Response:
    await service.delete_webhook(conn, account_id=caller.account_id, subscription_id=webhook_id)
    return Response(status_code=200)


@router.post(
    "/webhooks/{webhook_id}/replay",
    operation_id="replayWebhook",
    **operation(resource=WEBHOOK, errors=[404]),
)
async def replay_webhook(
    webhook_id: WebhookId, caller: CallerDep, conn: TransactionDep, fmt: FormatDep
) -> Response:
    """Send the dead deliveries again."""
    row = await service.replay_dead(conn, account_id=caller.account_id, subscription_id=webhook_id)
    return respond(fmt, Document(WEBHOOK, row))
