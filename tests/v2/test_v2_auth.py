"""v2 credentials: Bearer token, Harvest-Account-Id and User-Agent; errors in v2's JSON shape."""

import asyncpg
import httpx
import pytest

from tests.support.api import USER_AGENT, v2_headers
from tests.support.auth import Account, make_account


async def test_accounts_with_only_the_token_lists_the_tokens_account_and_user(
    client: httpx.AsyncClient, owner: Account
) -> None:
    response = await client.get("/v2/accounts", headers={**owner.auth, "User-Agent": USER_AGENT})
    assert response.status_code == 200
    body = response.json()
    assert body["accounts"] == [{"id": owner.id, "name": "Acme", "product": "harvest"}]
    assert body["user"]["email"] == owner.email
    assert (body["user"]["first_name"], body["user"]["last_name"]) == ("Happy", "Owner")


async def test_users_me_returns_the_tokens_user(client: httpx.AsyncClient, owner: Account) -> None:
    response = await client.get("/v2/users/me", headers=v2_headers(owner))
    assert response.status_code == 200
    me = response.json()
    assert me["email"] == owner.email
    assert (me["first_name"], me["last_name"], me["is_active"]) == ("Happy", "Owner", True)
    assert me["created_at"].endswith("Z")


async def test_a_missing_user_agent_is_a_400(client: httpx.AsyncClient, owner: Account) -> None:
    headers = {**v2_headers(owner), "User-Agent": ""}
    response = await client.get("/v2/users/me", headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == 400
    assert "User-Agent" in response.json()["message"]


@pytest.mark.parametrize("account_id", [None, "", "abc", "0", "999999"])
async def test_an_account_header_that_is_not_the_tokens_account_is_a_403(
    client: httpx.AsyncClient, owner: Account, account_id: str | None
) -> None:
    headers = v2_headers(owner)
    if account_id is None:
        del headers["Harvest-Account-Id"]
    else:
        headers["Harvest-Account-Id"] = account_id
    response = await client.get("/v2/users/me", headers=headers)
    assert response.status_code == 403
    assert response.json()["code"] == 403


async def test_another_accounts_id_is_a_403_even_with_a_valid_token(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    headers = {**v2_headers(owner), "Harvest-Account-Id": str(stranger.id)}
    response = await client.get("/v2/users/me", headers=headers)
    assert response.status_code == 403


@pytest.mark.parametrize("authorization", [None, "Bearer nonsense", "Bearer ps_1_1_wrong"])
async def test_missing_or_wrong_token_is_a_401_in_v2_shape(
    client: httpx.AsyncClient, owner: Account, authorization: str | None
) -> None:
    headers = v2_headers(owner)
    del headers["Authorization"]
    if authorization:
        headers["Authorization"] = authorization
    response = await client.get("/v2/accounts", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == 401 and body["message"]


async def test_an_account_without_the_invoice_feature_gets_403_in_v2_shape(
    client: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    account = await make_account(db, "NoInvoices", invoices_enabled=False)
    response = await client.get("/v2/users/me", headers=v2_headers(account))
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "invoices_disabled"


async def test_an_unknown_v2_path_is_a_404_in_v2_shape(
    client: httpx.AsyncClient, owner: Account
) -> None:
    response = await client.get("/v2/nothing-here", headers=v2_headers(owner))
    assert response.status_code == 404
    assert response.json()["code"] == 404
