"""Accounts, users and tokens: as the CLI and the tests create them, and as v2 shows them."""

import asyncpg

from payments_service.accounts import repository, tokens
from payments_service.db.pool import Connection
from payments_service.errors import NotFound, Unprocessable


async def create_account(conn: Connection, *, name: str, invoices_enabled: bool = True) -> int:
    if await repository.find_account(conn, name=name) is not None:
        raise Unprocessable(f"An account named {name!r} exists already", code="taken")
    return await repository.insert_account(conn, name=name, invoices_enabled=invoices_enabled)


async def find_account(conn: Connection, *, account: str) -> int:
    """The id of the account `account` names: its id, as `create-account` prints it, or its
    name. Unknown: NotFound (never a new account)."""
    found = None
    if account.isdigit() and len(account) <= tokens.MAX_ID_DIGITS:
        found = await repository.find_account_by_id(conn, account_id=int(account))
    found = found or await repository.find_account(conn, name=account)
    if found is None:
        raise NotFound(f"No account {account!r}: give the id that create-account printed")
    account_id: int = found["id"]
    return account_id


async def create_token(
    conn: Connection, *, account_id: int, email: str, name: str | None = None
) -> str:
    """A new token for the user `email` of the account, creating the user when missing."""
    async with conn.transaction():
        user = await repository.find_user(conn, email=email)
        if user is not None and user["account_id"] != account_id:
            raise Unprocessable(f"{email} belongs to another account", code="taken")
        user_id = (
            user["id"]
            if user
            else await repository.insert_user(
                conn, account_id=account_id, name=name or email.split("@")[0], email=email
            )
        )
        secret = tokens.new_secret()
        token_id = await repository.insert_token(
            conn, account_id=account_id, user_id=user_id, token_hash=tokens.hash_secret(secret)
        )
    return tokens.format_token(account_id, token_id, secret)


async def revoke_token(conn: Connection, *, token: str) -> int:
    """Revoke a token given whole (its secret must match) or by its id; returns the id."""
    if token.isdigit() and len(token) <= tokens.MAX_ID_DIGITS:
        token_id = int(token)
    else:
        token_id = (await tokens.find_live_token(conn, token))["token_id"]
    if not await repository.revoke_token(conn, token_id=token_id):
        raise Unprocessable(f"No live token with id {token_id}", code="not_found")
    return token_id


async def get_user(conn: Connection, *, account_id: int, user_id: int) -> asyncpg.Record:
    return await repository.get_user(conn, account_id=account_id, user_id=user_id)


async def get_account(conn: Connection, *, account_id: int) -> asyncpg.Record:
    return await repository.get_account(conn, account_id=account_id)


async def set_account_active(conn: Connection, *, account_id: int, active: bool) -> None:
    """Disable an account (its tokens get 403) or enable it again."""
    await repository.set_active(conn, account_id=account_id, active=active)
