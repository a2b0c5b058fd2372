"""Bearer and Basic credentials, 401 with a challenge, 403 for a disabled invoice feature."""

import asyncio

import asyncpg
import httpx
import pytest

from payments_service.config import Settings
from tests.support.api import create_invoice, v2_headers
from tests.support.app import serving
from tests.support.auth import Account, basic, bogus_credentials, make_account


async def test_basic_auth_with_email_and_token_works_like_bearer(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner)
    response = await client.get(f"/invoices/{invoice_id}", headers=basic(owner.email, owner.token))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Bearer ps_1_1_wrongsecret"},
        {"Authorization": "Bearer ps_99999999999999999999_1_x"},
        {"Authorization": "Basic !!!"},
        {"Authorization": "Digest abc"},
    ],
)
async def test_missing_or_wrong_credentials_get_401_with_a_challenge(
    client: httpx.AsyncClient, owner: Account, headers: dict[str, str]
) -> None:
    response = await client.get("/invoices/1/payments", headers=headers)
    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]
    assert "Basic" in response.headers["WWW-Authenticate"]


async def test_basic_auth_with_another_users_email_is_refused(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    response = await client.get("/invoices/1", headers=basic(stranger.email, owner.token))
    assert response.status_code == 401


async def test_tokens_are_stored_only_as_hashes(owner: Account, db: asyncpg.Pool) -> None:
    secret = owner.token.split("_", 3)[3]
    stored = await db.fetchval("SELECT token_hash FROM api_tokens")
    assert secret.encode() not in stored
    assert len(stored) == 32


async def test_an_account_without_the_invoice_feature_gets_403(
    client: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    account = await make_account(db, "NoInvoices", invoices_enabled=False)
    response = await client.get(
        "/invoices/1/payments", headers={**account.auth, "Accept": "application/json"}
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "invoices_disabled"


async def test_refused_credentials_take_no_database_connection(
    settings: Settings, owner: Account
) -> None:
    async with serving(settings.model_copy(update={"db_pool_size": 1})) as (app, http):
        assert (await http.get("/invoices", headers=owner.auth)).status_code == 200
        async with app.state.pool.acquire():  # the only connection, held
            for headers in bogus_credentials(owner):
                for path in ("/invoices/1/payments", "/v2/invoices"):
                    response = await http.get(
                        path, headers={**headers, "User-Agent": "test"}, timeout=5
                    )
                    assert response.status_code == 401, (headers, response.text)


async def test_an_address_that_keeps_failing_gets_503_or_429_on_v2_and_others_are_served(
    settings: Settings, owner: Account
) -> None:
    limited = settings.model_copy(update={"auth_failure_limit": 3})
    async with serving(limited) as (app, http):
        for _ in range(3):
            assert (await http.get("/invoices", headers=BAD)).status_code == 401
        for path, status in (("/invoices", 503), ("/v2/invoices", 429)):
            # refused even with good credentials until the window ends
            for headers in (BAD, {**v2_headers(owner)}):
                refused = await http.get(path, headers=headers)
                assert refused.status_code == status
                assert 1 <= int(refused.headers["Retry-After"]) <= 60
        other = httpx.ASGITransport(app=app, client=("127.0.0.2", 4000))
        async with httpx.AsyncClient(transport=other, base_url="http://testserver") as elsewhere:
            assert (await elsewhere.get("/invoices", headers=owner.auth)).status_code == 200
            assert (
                await elsewhere.get("/v2/invoices", headers=v2_headers(owner))
            ).status_code == 200


BAD = {"Authorization": "Bearer ps_1_1_x"}


async def test_made_up_ids_above_the_newest_are_refused_while_a_valid_token_is_served(
    settings: Settings, owner: Account
) -> None:
    """The worker learns new token ids with one query at a time (auth.TokenDirectory)."""
    roomy = {"db_pool_size": 2, "db_pool_timeout": 2, "auth_failure_limit": 1000}
    async with serving(settings.model_copy(update=roomy)) as (app, http):
        newest = int(owner.token.split("_")[2])
        made_up = [{"Authorization": f"Bearer ps_1_{newest + n}_x"} for n in range(1, 41)]
        async with app.state.pool.acquire():  # one of the two connections, held
            answers = await asyncio.gather(
                *(http.get("/invoices", headers=headers) for headers in made_up),
                http.get("/invoices", headers=owner.auth),
            )
        assert [r.status_code for r in answers] == [401] * len(made_up) + [200]


async def test_the_token_works_in_the_access_token_query_parameter_on_v1_and_v2(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner)
    token = {"access_token": owner.token}
    v1 = await client.get(f"/invoices/{invoice_id}/payments", params=token)
    assert v1.status_code == 200
    v2 = await client.get(
        f"/v2/invoices/{invoice_id}",
        params={**token, "account_id": str(owner.id)},
        headers={"User-Agent": "test"},
    )
    assert v2.status_code == 200
    assert v2.json()["id"] == invoice_id
    wrong = await client.get(
        f"/v2/invoices/{invoice_id}",
        params={**token, "account_id": str(owner.id + 1)},
        headers={"User-Agent": "test"},
    )
    assert wrong.status_code == 403
