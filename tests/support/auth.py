"""Accounts with tokens, as `payments-service create-token` makes them, and credentials."""

import base64
from dataclasses import dataclass
from typing import Any

import asyncpg

from payments_service.accounts import service as accounts

METRICS_TOKEN = "scraper-secret"
METRICS_AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}


@dataclass
class Account:
    """An account with one user and a token, as `payments-service create-token` makes them."""

    id: int
    email: str
    name: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_account(
    db: asyncpg.Pool, name: str, *, invoices_enabled: bool = True, user: str = "Happy Owner"
) -> Account:
    email = f"{name.lower()}@example.com"
    async with db.acquire() as conn:
        account_id = await accounts.create_account(
            conn, name=name, invoices_enabled=invoices_enabled
        )
        token = await accounts.create_token(conn, account_id=account_id, email=email, name=user)
    return Account(id=account_id, email=email, name=user, token=token)


def basic(email: str, token: str) -> dict[str, str]:
    raw = base64.b64encode(f"{email}:{token}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def bogus_credentials(owner: Account) -> list[dict[str, Any]]:
    """None, malformed, non-ASCII digits, a made-up id (not above the newest token's: see
    tests/test_auth.py, test_made_up_ids_above_the_newest_are_refused_while_a_valid_token_is_
    served), a wrong secret."""
    account, token_id = owner.token.split("_")[1:3]
    return [
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Basic !!!"},
        {"Authorization": b"Bearer ps_\xb2_1_x"},  # latin-1: Bearer ps_²_1_x
        {"Authorization": f"Bearer ps_{account}_{max(1, int(token_id) - 1)}_x"},
        {"Authorization": f"Bearer ps_{account}_{token_id}_wrongsecret"},
    ]
