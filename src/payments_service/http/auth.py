"""Who is calling: a Bearer token, or HTTP Basic `email:token` as Harvest v1 clients send it
(the tokens themselves are accounts/tokens.py's), refused from memory where possible."""

import asyncio
import base64
import binascii
import hmac
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Annotated

import asyncpg
from fastapi import Depends, Request

from payments_service.accounts import repository
from payments_service.accounts.tokens import Caller, hash_secret, parse_token
from payments_service.db.pool import Connection, Held, pooled, request_connection
from payments_service.errors import Forbidden, Unauthorized
from payments_service.http import rate_limit


class TokenCache:
    """What the database said about a token (its row, or None when refused), for `seconds`: a
    revoked token or a disabled account is seen once its entry is older. A bounded LRU keyed by
    the token's ids and secret hash, so no secret is kept."""

    def __init__(self, seconds: float, max_entries: int = 10_000) -> None:
        self.seconds, self.max_entries = seconds, max_entries
        self._rows: OrderedDict[tuple[int, int, bytes], tuple[float, asyncpg.Record | None]]
        self._rows = OrderedDict()

    def get(self, key: tuple[int, int, bytes]) -> tuple[asyncpg.Record | None] | None:
        """(row or None) when a fresh entry answers; None when the database must."""
        found = self._rows.get(key)
        if found is None:
            return None
        if time.monotonic() - found[0] >= self.seconds:
            del self._rows[key]
            return None
        self._rows.move_to_end(key)
        return (found[1],)

    def put(self, key: tuple[int, int, bytes], row: asyncpg.Record | None) -> None:
        if self.seconds <= 0:
            return
        self._rows[key] = (time.monotonic(), row)
        self._rows.move_to_end(key)
        if len(self._rows) > self.max_entries:
            self._rows.popitem(last=False)


class TokenDirectory:
    """The first bytes of every issued token's secret hash, by token id (ids are never reused),
    so a made-up id or a wrong secret is refused without the database. Ids above the newest it
    knows are learnt with one query when a request names one (and all of them when the worker
    starts)."""

    PREFIX = 8

    def __init__(self) -> None:
        self._prefixes = bytearray()
        self._learning = asyncio.Lock()

    @property
    def newest(self) -> int:
        return len(self._prefixes) // self.PREFIX

    def may_match(self, token_id: int, secret_hash: bytes) -> bool:
        start = (token_id - 1) * self.PREFIX
        return (
            token_id <= self.newest
            and self._prefixes[start : start + self.PREFIX] == (secret_hash[: self.PREFIX])
        )

    async def learn(
        self, connect: Callable[[], AbstractAsyncContextManager[Connection]], *, beyond: int = 0
    ) -> None:
        """Learn the tokens issued since the newest known; a request for an id above it
        passes `beyond`, and asks nothing if another request learnt that id meanwhile."""
        async with self._learning:
            if beyond and beyond <= self.newest:
                return
            async with connect() as conn:
                rows = await repository.token_prefixes(conn, after=self.newest, length=self.PREFIX)
            for found_id, prefix in rows:
                self._prefixes.extend(bytes(found_id * self.PREFIX - len(self._prefixes)))
                self._prefixes[-self.PREFIX :] = prefix


async def _verified(request: Request, token: str) -> asyncpg.Record:
    """`find_live_token` through the worker's cache and directory: the database is asked only
    about a token whose id and secret the directory does not rule out, once per cache window,
    on the connection the request goes on with."""
    account_id, token_id, secret = parse_token(token)
    secret_hash = hash_secret(secret)
    key = (account_id, token_id, secret_hash)
    cache: TokenCache = request.app.state.token_cache
    if (cached := cache.get(key)) is not None:
        row = cached[0]
    else:
        directory: TokenDirectory = request.app.state.token_directory
        if token_id > directory.newest:
            await directory.learn(lambda: pooled(request), beyond=token_id)
        if not directory.may_match(token_id, secret_hash):
            raise Unauthorized("Invalid token")
        conn = await request_connection(request)
        row = await repository.find_token(conn, account_id=account_id, token_id=token_id)
        if row is not None and not hmac.compare_digest(row["token_hash"], secret_hash):
            row = None
        cache.put(key, row)
    if row is None:
        raise Unauthorized("Invalid token")
    return row


def _credentials(request: Request) -> tuple[str | None, str]:
    """(email or None, token) from the Authorization header, else the `access_token` query
    parameter (as Harvest accepts it)."""
    header = request.headers.get("authorization")
    if not header:
        token = request.query_params.get("access_token", "").strip()
        if token:
            return None, token
        raise Unauthorized()
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return None, value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized("Malformed Basic credentials") from None
        email, sep, token = decoded.partition(":")
        if sep:
            return email, token
    raise Unauthorized()


async def authenticate(request: Request) -> Caller:
    """The caller, decided before the request takes a database connection: a refusal costs
    none, and an address that keeps failing is refused without even that (see rate_limit).
    Runs inside `holding_connection` (the connection it may take is the request's)."""
    failures: rate_limit.FailedAuthLimit = request.app.state.auth_failures
    address = request.client.host if request.client else ""
    failures.check(address)
    try:
        email, token = _credentials(request)
        row = await _verified(request, token)
        if email is not None and email.lower() != row["email"].lower():
            raise Unauthorized("Invalid token")
    except Unauthorized:
        failures.failed(address)
        raise
    if not row["is_active"]:
        raise Forbidden("This account is disabled", code="account_disabled")
    if not row["invoices_enabled"]:
        raise Forbidden(
            "The invoice feature is not enabled for this account", code="invoices_disabled"
        )
    request.state.account_id = row["account_id"]  # for the request's log line
    await rate_limit.check(request, account_id=row["account_id"])
    return Caller(
        account_id=row["account_id"], user_id=row["user_id"], name=row["name"], email=row["email"]
    )


async def caller(request: Request, _: Held) -> Caller:
    """`authenticate` as a FastAPI dependency."""
    return await authenticate(request)


CallerDep = Annotated[Caller, Depends(caller)]
