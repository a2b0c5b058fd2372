"""Helpers for /v2 tests: the headers a Harvest v2 client sends."""

import httpx

from tests.conftest import Account

USER_AGENT = "PaymentsTests (tests@example.com)"


def v2_headers(account: Account) -> dict[str, str]:
    return {
        **account.auth,
        "Harvest-Account-Id": str(account.id),
        "User-Agent": USER_AGENT,
    }


async def v2_post(
    client: httpx.AsyncClient, account: Account, path: str, body: dict[str, object]
) -> httpx.Response:
    return await client.post(f"/v2{path}", json=body, headers=v2_headers(account))
