"""v2 links (lists, the company's base_uri): PUBLIC_BASE_URL when set; else the request's
host only if ALLOWED_HOSTS names it (400 otherwise); a token given in the query is never
copied into a link."""

import httpx

from payments_service.config import Settings
from tests.support.api import create_invoice, v2_headers
from tests.support.app import serving
from tests.support.auth import Account


async def test_links_use_public_base_url_and_drop_the_query_token(
    settings: Settings, owner: Account
) -> None:
    public = settings.model_copy(update={"public_base_url": "https://pay.example.com/api"})
    async with serving(public) as (_, http):
        await create_invoice(http, owner)
        answer = await http.get(
            "/v2/invoices",
            params={"per_page": 1, "access_token": owner.token, "account_id": owner.id},
            headers={"User-Agent": "t", "Host": "evil.example"},
        )
    assert answer.status_code == 200
    first = answer.json()["links"]["first"]
    assert (
        first == f"https://pay.example.com/api/v2/invoices?account_id={owner.id}&page=1&per_page=1"
    )


async def test_the_company_base_uri_is_the_public_base_url(
    settings: Settings, owner: Account
) -> None:
    public = settings.model_copy(update={"public_base_url": "https://pay.example.com/api/"})
    async with serving(public) as (_, http):
        answer = await http.get(
            "/v2/company", headers={**v2_headers(owner), "Host": "evil.example"}
        )
    assert answer.status_code == 200
    body = answer.json()
    assert (body["base_uri"], body["full_domain"]) == (
        "https://pay.example.com/api",
        "pay.example.com",
    )


async def test_a_host_not_allowed_gets_400_and_allowed_ones_their_own_links(
    client: httpx.AsyncClient, owner: Account
) -> None:
    refused = await client.get(
        "/v2/invoices", headers={**v2_headers(owner), "Host": "evil.example"}
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == "host"
    allowed = await client.get("/v2/invoices", headers=v2_headers(owner))
    assert allowed.json()["links"]["first"].startswith("http://testserver/v2/invoices?")


def test_by_default_the_listen_address_and_localhost_are_allowed() -> None:
    assert Settings(host="10.1.2.3").link_hosts() == {"10.1.2.3", "localhost", "127.0.0.1", "::1"}
    assert Settings(allowed_hosts="api, Example.com").link_hosts() == {"api", "example.com"}
