"""GET /v2/company: the token's account as Harvest's company object."""

import asyncpg
import httpx

from tests.support.api import v2_headers
from tests.support.auth import Account


async def company(client: httpx.AsyncClient, account: Account) -> httpx.Response:
    return await client.get("/v2/company", headers=v2_headers(account))


async def test_the_company_is_the_tokens_account_at_this_services_address(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    response = await company(client, owner)
    assert response.status_code == 200
    body = response.json()
    assert (body["base_uri"], body["full_domain"]) == ("http://testserver", "testserver")
    assert (body["name"], body["is_active"], body["invoice_feature"]) == ("Acme", True, True)
    assert (body["expense_feature"], body["estimate_feature"]) == (False, False)
    assert [body[key] for key in ("decimal_symbol", "thousands_separator")] == [".", ","]
    assert (await company(client, stranger)).json()["name"] == "Globex"


async def test_money_display_comes_from_the_account(
    client: httpx.AsyncClient, owner: Account, stranger: Account, db: asyncpg.Pool
) -> None:
    await db.execute(
        "UPDATE accounts SET decimal_symbol = ',', thousands_separator = '.', "
        "currency_code_display = 'iso_code_after_amount' WHERE id = $1",
        owner.id,
    )
    body = (await company(client, owner)).json()
    assert (body["decimal_symbol"], body["thousands_separator"]) == (",", ".")
    assert body["currency_code_display"] == "iso_code_after_amount"
    assert (await company(client, stranger)).json()["decimal_symbol"] == "."


async def test_another_accounts_id_is_a_403(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    headers = {**v2_headers(owner), "Harvest-Account-Id": str(stranger.id)}
    response = await client.get("/v2/company", headers=headers)
    assert response.status_code == 403
