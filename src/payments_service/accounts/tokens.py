"""API tokens: `ps_<account id>_<token id>_<secret>`; only a SHA-256 of the secret is stored,
found by its ids and compared in constant time. A token names its `Caller`."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import asyncpg

from payments_service.accounts import repository
from payments_service.db.pool import Connection
from payments_service.errors import Unauthorized

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
        if not (part.isascii() and part.isdigit()) or len(part) > MAX_ID_DIGITS:
            raise Unauthorized("Invalid token")
    return int(account), int(token_id), secret


async def find_live_token(conn: Connection, token: str) -> asyncpg.Record:
    """The token's row (with its user and account) if it exists, is not revoked and the secret
    matches; the hashes are compared in constant time."""
    account_id, token_id, secret = parse_token(token)
    row = await repository.find_token(conn, account_id=account_id, token_id=token_id)
    if row is None or not hmac.compare_digest(row["token_hash"], hash_secret(secret)):
        raise Unauthorized("Invalid token")
    return row
