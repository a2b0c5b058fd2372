"""Who is calling: a Bearer token, or HTTP Basic `email:token` as Harvest v1 clients send it.

Tokens look like `ps_<account id>_<token id>_<secret>`; only a SHA-256 of the secret is stored,
found by its ids and compared in constant time.
"""

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends, Request

from payments_service import rate_limit
from payments_service.accounts import repository
from payments_service.database import Connection, ConnectionDep
from payments_service.errors import Forbidden, Unauthorized

PREFIX = "ps"
MAX_ID_DIGITS = 18  # stays inside a bigint


@dataclass(frozen=True)
class Caller:
    account_id: int
    user_id: int
    name: str
    email: str


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def format_token(account_id: int, token_id: int, secret: str) -> str:
    return f"{PREFIX}_{account_id}_{token_id}_{secret}"


def parse_token(token: str) -> tuple[int, int, str]:
    """(account id, token id, secret) of a `ps_<account>_<id>_<secret>` token."""
    parts = token.split("_", 3)
    if len(parts) != 4 or parts[0] != PREFIX:
        raise Unauthorized("Invalid token")
    account, token_id, secret = parts[1], parts[2], parts[3]
    for part in (account, token_id):
        if not part.isdigit() or len(part) > MAX_ID_DIGITS:
            raise Unauthorized("Invalid token")
    return int(account), int(token_id), secret


class TokenCache:
    """Token rows found recently, kept `seconds`: one query less per request. A revoked token
    or a disabled account is refused once the entry is older than that. An entry serves only a
    token whose secret matches it; any other goes to the database."""

    MAX_ENTRIES = 10_000

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._rows: dict[tuple[int, int], tuple[float, asyncpg.Record]] = {}

    def get(self, key: tuple[int, int], secret_hash: bytes) -> asyncpg.Record | None:
        found = self._rows.get(key)
        if found is None or time.monotonic() - found[0] >= self.seconds:
            return None
        row = found[1]
        return row if hmac.compare_digest(row["token_hash"], secret_hash) else None

    def put(self, key: tuple[int, int], row: asyncpg.Record) -> None:
        if self.seconds <= 0:
            return
        if len(self._rows) >= self.MAX_ENTRIES:
            self._rows.clear()
        self._rows[key] = (time.monotonic(), row)


async def find_live_token(
    conn: Connection, token: str, cache: TokenCache | None = None
) -> asyncpg.Record:
    """The token's row (with its user and account) if it exists, is not revoked and the secret
    matches; the hashes are compared in constant time."""
    account_id, token_id, secret = parse_token(token)
    key, secret_hash = (account_id, token_id), hash_secret(secret)
    if cache is not None and (cached := cache.get(key, secret_hash)) is not None:
        return cached
    row = await repository.find_token(conn, account_id=account_id, token_id=token_id)
    if row is None or not hmac.compare_digest(row["token_hash"], secret_hash):
        raise Unauthorized("Invalid token")
    if cache is not None:
        cache.put(key, row)
    return row


def _credentials(header: str) -> tuple[str | None, str]:
    """(email or None, token) from an Authorization header."""
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


async def authenticate(request: Request, conn: ConnectionDep) -> Caller:
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized()
    email, token = _credentials(header)
    row = await find_live_token(conn, token, request.app.state.token_cache)
    if email is not None and email.lower() != row["email"].lower():
        raise Unauthorized("Invalid token")
    if not row["is_active"]:
        raise Forbidden("This account is disabled", code="account_disabled")
    if not row["invoices_enabled"]:
        raise Forbidden(
            "The invoice feature is not enabled for this account", code="invoices_disabled"
        )
    request.state.account_id = row["account_id"]  # for the request's log line
    await rate_limit.check(request, conn, account_id=row["account_id"])
    return Caller(
        account_id=row["account_id"], user_id=row["user_id"], name=row["name"], email=row["email"]
    )


CallerDep = Annotated[Caller, Depends(authenticate)]
