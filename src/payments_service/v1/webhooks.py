"""Webhook subscriptions: `/webhooks`. Thin: parse, call, render."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from payments_service.db.pool import ConnectionDep, TransactionDep
from payments_service.documents import WEBHOOK, Document
from payments_service.http.auth import CallerDep
from payments_service.http.negotiation import FormatDep, read_body, respond
from payments_service.http.openapi import operation
from payments_service.http.paths import WebhookId
from payments_service.http.validation import validate
from payments_service.webhooks import service
from payments_service.webhooks.destinations import Admitted
from payments_service.webhooks.policy import WebhookPolicy
from payments_service.webhooks.schemas import WebhookCreate

router = APIRouter(tags=["webhooks"])


def _policy(request: Request) -> WebhookPolicy:
    policy: WebhookPolicy = request.app.state.webhook_policy
    return policy


PolicyDep = Annotated[WebhookPolicy, Depends(_policy)]


async def _admitted(request: Request, policy: PolicyDep) -> Admitted:
    """The body's URL, checked as a destination before a database connection is taken."""
    data = validate(WebhookCreate, await read_body(request, WEBHOOK))
    return await service.admit(policy, data.url)


@router.post(
    "/webhooks",
    operation_id="createWebhook",
    **operation(resource=WEBHOOK, status=201, body=WebhookCreate),
)
async def create_webhook(
    caller: CallerDep,
    url: Annotated[Admitted, Depends(_admitted)],
    policy: PolicyDep,
    conn: TransactionDep,
    fmt: FormatDep,
) -> Response:
    row = await service.create_webhook(conn, account_id=caller.account_id, url=url, policy=policy)
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


@router.post(
    "/webhooks/{webhook_id}/rotate_secret",
    operation_id="rotateWebhookSecret",
    **operation(resource=WEBHOOK, errors=[404]),
)
async def rotate_webhook_secret(
    webhook_id: WebhookId,
    caller: CallerDep,
    policy: PolicyDep,
    conn: TransactionDep,
    fmt: FormatDep,
) -> Response:
    """A new signing secret, shown this once; the old one keeps signing for the grace period."""
    row = await service.rotate_secret(
        conn, account_id=caller.account_id, subscription_id=webhook_id, policy=policy
    )
    return respond(fmt, Document(WEBHOOK, row))
