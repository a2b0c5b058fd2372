"""Token revocation, disabled accounts and one account per user, driven through the CLI."""

import asyncio

import asyncpg
import httpx
import pytest

from payments_service.accounts import service as accounts
from payments_service.config import Settings
from payments_service.errors import ServiceError, Unprocessable
from tests.support.api import v2_headers
from tests.support.auth import Account, basic, make_account
from tests.support.cli import cli
from tests.support.database import snapshot

JSON = {"Accept": "application/json"}


async def status_of(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    return (await client.get("/invoices", headers=headers)).status_code


async def cache_expired(settings: Settings) -> None:
    """Past the token cache's window: from here on every worker asks the database again."""
    await asyncio.sleep(settings.token_cache_seconds)


def token_id(account: Account) -> str:
    return account.token.split("_")[2]


@pytest.mark.system
@pytest.mark.parametrize("given", ["whole token", "token id"])
async def test_a_revoked_token_gets_401_after_the_cache_window_and_other_tokens_keep_working(
    client: httpx.AsyncClient, db: asyncpg.Pool, database_url: str, settings: Settings, given: str
) -> None:
    account = await make_account(db, "Revokers")
    async with db.acquire() as conn:
        other = await accounts.create_token(conn, account_id=account.id, email=account.email)
    assert await status_of(client, account.auth) == 200

    result = cli(
        "revoke-token",
        account.token if given == "whole token" else token_id(account),
        database_url=database_url,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert f"token {token_id(account)} revoked" in result.stderr
    await cache_expired(settings)
    for headers in (account.auth, basic(account.email, account.token)):
        response = await client.get("/invoices", headers={**headers, **JSON})
        assert response.status_code == 401
        assert "Bearer" in response.headers["WWW-Authenticate"]
        assert response.json()["errors"][0]["code"] == "unauthorized"
    assert await status_of(client, {"Authorization": f"Bearer {other}"}) == 200
    revoked_at = await db.fetchval(
        "SELECT revoked_at FROM api_tokens WHERE id = $1", int(token_id(account))
    )
    assert revoked_at is not None


@pytest.mark.parametrize("token", ["999999", "ps_x", "99999999999999999999", "wrong secret"])
async def test_revoking_an_unknown_or_mistyped_token_is_refused_and_changes_nothing(
    db: asyncpg.Pool, owner: Account, token: str
) -> None:
    if token == "wrong secret":
        token = owner.token[:-1] + ("A" if owner.token[-1] != "A" else "B")
    before = await snapshot(db)
    async with db.acquire() as conn:
        with pytest.raises(ServiceError):
            await accounts.revoke_token(conn, token=token)
    assert await snapshot(db) == before


@pytest.mark.system
async def test_revoking_twice_exits_1_the_second_time(
    db: asyncpg.Pool, database_url: str, owner: Account
) -> None:
    async with db.acquire() as conn:
        await accounts.revoke_token(conn, token=owner.token)
    before = await snapshot(db)

    again = cli("revoke-token", token_id(owner), database_url=database_url)

    assert (again.returncode, again.stdout) == (1, "")
    assert again.stderr == f"error: No live token with id {token_id(owner)}\n"
    assert await snapshot(db) == before


@pytest.mark.system
async def test_a_disabled_accounts_tokens_get_403_until_it_is_enabled_again(
    client: httpx.AsyncClient,
    db: asyncpg.Pool,
    database_url: str,
    owner: Account,
    stranger: Account,
    settings: Settings,
) -> None:
    disabled = cli("disable-account", "Acme", database_url=database_url)
    assert disabled.returncode == 0, disabled.stderr
    assert await db.fetchval("SELECT is_active FROM accounts WHERE id = $1", owner.id) is False
    await cache_expired(settings)

    for headers in (owner.auth, basic(owner.email, owner.token)):
        response = await client.get("/invoices", headers={**headers, **JSON})
        assert response.status_code == 403
        assert response.json()["errors"][0]["code"] == "account_disabled"
    v2 = await client.get("/v2/users/me", headers=v2_headers(owner))
    assert v2.status_code in (401, 403)
    assert await status_of(client, stranger.auth) == 200

    assert cli("enable-account", "Acme", database_url=database_url).returncode == 0
    await cache_expired(settings)
    assert await status_of(client, owner.auth) == 200


@pytest.mark.system
async def test_disabling_an_unknown_account_is_a_usage_error(
    db: asyncpg.Pool, database_url: str
) -> None:
    before = await snapshot(db)
    result = cli("disable-account", "Nobody Inc", database_url=database_url)
    assert (result.returncode, result.stdout) == (2, "")
    assert "No account 'Nobody Inc'" in result.stderr
    assert await snapshot(db) == before


async def test_a_user_belongs_to_one_account_only_whatever_the_case_of_the_email(
    db: asyncpg.Pool, owner: Account
) -> None:
    async with db.acquire() as conn:
        globex = await accounts.create_account(conn, name="Globex")
        before = await snapshot(db)
        with pytest.raises(Unprocessable, match="belongs to another account"):
            await accounts.create_token(conn, account_id=globex, email=owner.email.upper())
    assert await snapshot(db) == before

    other = await db.fetchval("INSERT INTO accounts (name) VALUES ('Direct') RETURNING id")
    with pytest.raises(asyncpg.UniqueViolationError):
        await db.execute(
            "INSERT INTO users (account_id, name, email) VALUES ($1, 'x', $2)",
            other,
            owner.email.title(),
        )


async def test_a_verified_token_is_trusted_for_the_cache_window_and_only_with_its_secret(
    client: httpx.AsyncClient, db: asyncpg.Pool, owner: Account, settings: Settings
) -> None:
    assert settings.token_cache_seconds > 0  # the default, as deployed
    assert await status_of(client, owner.auth) == 200
    await db.execute("UPDATE api_tokens SET revoked_at = now() WHERE account_id = $1", owner.id)

    # Inside the window no query is made: the cached entry still answers for this token...
    assert await status_of(client, owner.auth) == 200
    # ...but never for another secret with the same ids.
    forged = owner.token[:-1] + ("A" if owner.token[-1] != "A" else "B")
    assert await status_of(client, {"Authorization": f"Bearer {forged}"}) == 401
    await cache_expired(settings)
    assert await status_of(client, owner.auth) == 401
