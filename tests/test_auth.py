"""Bearer and Basic credentials, 401 with a challenge, 403 for a disabled invoice feature."""

import base64

import asyncpg
import httpx
import pytest

from tests.conftest import Account, create_invoice, make_account


def basic(email: str, token: str) -> dict[str, str]:
    raw = base64.b64encode(f"{email}:{token}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


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
