"""Idempotency-Key on POSTs (as Stripe and the IETF draft define it): a retried request gets
the first response again, and its change happens once.

The key is locked and stored in the request's own transaction, so it is saved exactly when the
change is committed; a failed request stores nothing and may be retried with the same key.
"""

import asyncio
import functools
import hashlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, ParamSpec

import asyncpg
import orjson
from fastapi import Depends, Header, Request
from pydantic import TypeAdapter
from starlette.responses import Response

from payments_service.accounts.tokens import Caller
from payments_service.db.pool import Connection, TransactionDep, is_unavailable
from payments_service.errors import Conflict, Unprocessable
from payments_service.http.auth import CallerDep
from payments_service.http.validation import parameter
from payments_service.idempotency import repository

logger = logging.getLogger("payments_service.idempotency")

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
# Headers that belong to one transmission, not to the response being replayed.
NOT_REPLAYED = {"content-length", "date", "server"}

KeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        min_length=1,
        max_length=255,
        pattern=r"^[\x20-\x7e]+$",
        description="Retries with the same key replay the first response (kept for 24 h).",
    ),
]
_KEY: TypeAdapter[str | None] = TypeAdapter(KeyHeader)


def key_of(request: Request) -> str | None:
    """The Idempotency-Key header as a `KeyHeader`; an invalid one is a RequestValidationError
    (a 422)."""
    return parameter(_KEY, request.headers.get(HEADER), ("header", HEADER))


@dataclass
class Idempotency:
    conn: Connection
    account_id: int
    key: str
    request_hash: bytes
    ttl: timedelta
    replay: Response | None

    async def save(self, response: Response) -> None:
        headers = {
            name: value for name, value in response.headers.items() if name not in NOT_REPLAYED
        }
        await repository.save(
            self.conn,
            account_id=self.account_id,
            key=self.key,
            request_hash=self.request_hash,
            status_code=response.status_code,
            headers=headers,
            body=bytes(response.body),
            ttl=self.ttl,
        )


def _request_hash(request: Request, body: bytes) -> bytes:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return hashlib.sha256(b"\0".join([request.method.encode(), target.encode(), body])).digest()


def _replay(stored: asyncpg.Record) -> Response:
    headers = {**orjson.loads(stored["headers"]), REPLAYED: "true"}
    return Response(stored["body"], status_code=stored["status_code"], headers=headers)


async def begin(
    request: Request, caller: Caller, conn: Connection, key: str | None
) -> Idempotency | None:
    """None without a key; else the key, locked in `conn`'s transaction, with the response to
    replay if any."""
    if key is None:
        return None
    account_id = caller.account_id
    if not await repository.try_lock(conn, account_id=account_id, key=key):
        raise Conflict(
            "A request with this Idempotency-Key is still being processed; retry shortly",
            code="idempotency_key_in_use",
        )
    request_hash = _request_hash(request, await request.body())
    stored = await repository.find_live(conn, account_id=account_id, key=key)
    if stored is not None and stored["request_hash"] != request_hash:
        raise Unprocessable(
            "This Idempotency-Key was used for a different request",
            code="idempotency_key_reused",
            field="Idempotency-Key",
        )
    ttl = timedelta(seconds=request.app.state.settings.idempotency_key_ttl_seconds)
    return Idempotency(
        conn=conn,
        account_id=account_id,
        key=key,
        request_hash=request_hash,
        ttl=ttl,
        replay=None if stored is None else _replay(stored),
    )


async def idempotency(
    request: Request, caller: CallerDep, conn: TransactionDep, key: KeyHeader = None
) -> Idempotency | None:
    return await begin(request, caller, conn, key)


IdempotencyDep = Annotated[Idempotency | None, Depends(idempotency)]


async def answer(
    idempotency: Idempotency | None, endpoint: Callable[[], Awaitable[Response]]
) -> Response:
    """The endpoint's response, or the stored one for a retry; a first answer is stored."""
    if idempotency is None:
        return await endpoint()
    if idempotency.replay is not None:
        return idempotency.replay
    response = await endpoint()
    await idempotency.save(response)
    return response


P = ParamSpec("P")


def idempotent(endpoint: Callable[P, Awaitable[Response]]) -> Callable[P, Awaitable[Response]]:
    """The endpoint, answering retries with the same Idempotency-Key from the stored response."""

    @functools.wraps(endpoint)
    async def wrapper(*args: Any, idempotency: Idempotency | None, **kwargs: Any) -> Response:
        return await answer(idempotency, functools.partial(endpoint, *args, **kwargs))

    # FastAPI reads the signature: the endpoint's parameters plus the idempotency dependency.
    signature = inspect.signature(endpoint)
    extra = inspect.Parameter(
        "idempotency", inspect.Parameter.KEYWORD_ONLY, annotation=IdempotencyDep
    )
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), extra]
    )
    return wrapper  # type: ignore[return-value]


async def purge_expired_keys(pool: asyncpg.Pool, *, every: float) -> None:
    """Forever: delete expired keys, then sleep `every` seconds (runs in each worker)."""
    while True:
        try:
            async with pool.acquire() as conn:
                purged = await repository.purge_expired(conn)
            if purged:
                logger.info("purged %d expired idempotency keys", purged)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            logger.warning("could not purge idempotency keys (%r)", exc)
        await asyncio.sleep(every)
