"""Harvest's tolerance: unknown query parameters are ignored on every endpoint (known ones stay
strictly checked), and a path with a trailing slash is served as without it, never redirected."""

from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.api import create_invoice, paid, payment_xml, v2_headers
from tests.support.auth import Account, make_account

UNKNOWN = {"utm_source": "connector", "include": "everything", "fields[]": "id"}


@pytest.mark.parametrize(
    "path",
    [
        "/invoices",
        "/invoices/{invoice}",
        "/invoices/{invoice}/payments",
        "/invoices/{invoice}/payments/{payment}",
        "/events",
        "/webhooks",
        "/v2/invoices",
        "/v2/invoices/{invoice}",
        "/v2/invoices/{invoice}/payments",
        "/v2/users/me",
        "/v2/company",
        "/v2/accounts",
    ],
)
async def test_unknown_query_parameters_are_ignored_on_every_endpoint(
    client: httpx.AsyncClient, owner: Account, path: str
) -> None:
    invoice_id = await create_invoice(client, owner)
    payment_id = await paid(client, owner, invoice_id, "10.00")
    url = path.format(invoice=invoice_id, payment=payment_id)
    headers = {**v2_headers(owner), "Accept": "application/json"}
    plain = await client.get(url, headers=headers)
    tolerated = await client.get(url, params=UNKNOWN, headers=headers)
    assert plain.status_code == tolerated.status_code == 200, tolerated.text
    assert without_links(tolerated.json()) == without_links(plain.json())


def without_links(body: Any) -> Any:
    """A v2 list's links repeat the request's query; the rest must not change."""
    return {k: v for k, v in body.items() if k != "links"} if isinstance(body, dict) else body


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v2/invoices", {"per_page": "0", "utm_source": "x"}),
        ("/v2/invoices", {"updated_since": "yesterday"}),
        ("/v2/invoices/{invoice}/payments", {"per_page": "2001"}),
        ("/v2/invoices/{invoice}/payments", {"updated_since": "2017-13-01T00:00:00Z"}),
        ("/invoices", {"updated_since": "soon", "utm_source": "x"}),
    ],
)
async def test_known_parameters_stay_strict_beside_unknown_ones(
    client: httpx.AsyncClient, owner: Account, path: str, params: dict[str, str]
) -> None:
    invoice_id = await create_invoice(client, owner)
    response = await client.get(
        path.format(invoice=invoice_id),
        params=params,
        headers={**v2_headers(owner), "Accept": "application/json"},
    )
    assert response.status_code == 422


async def test_a_trailing_slash_is_served_as_without_it_for_every_method(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner)
    headers = v2_headers(owner)

    listed = await client.get("/v2/invoices/", headers=headers)
    assert listed.status_code == 200
    assert [i["id"] for i in listed.json()["invoices"]] == [invoice_id]
    assert (await client.get("/v2/company/", headers=headers)).json()["name"] == "Acme"

    v2_paid = await client.post(
        f"/v2/invoices/{invoice_id}/payments/", json={"amount": 5}, headers=headers
    )
    assert v2_paid.status_code == 201, v2_paid.text
    v1_paid = await client.post(
        f"/invoices/{invoice_id}/payments/",
        content=payment_xml("7.00"),
        headers={**owner.auth, "Content-Type": "application/xml"},
    )
    assert v1_paid.status_code == 201, v1_paid.text
    assert await db.fetchval("SELECT sum(amount) FROM payments WHERE deleted_at IS NULL") == 12

    deleted = await client.delete(
        f"/v2/invoices/{invoice_id}/payments/{v2_paid.json()['id']}/", headers=headers
    )
    assert deleted.status_code == 200
    shown = await client.get(f"/invoices/{invoice_id}/", headers=owner.auth)
    assert shown.status_code == 200
    assert b"<due-amount" in shown.content and b"93.0" in shown.content


@pytest.mark.system
async def test_a_live_server_answers_slash_paths_directly_without_a_redirect(
    live_server: str, db: asyncpg.Pool
) -> None:
    account = await make_account(db, "Slashed")
    async with httpx.AsyncClient(base_url=live_server, follow_redirects=False) as http:
        response = await http.get("/v2/invoices/", headers=v2_headers(account))
        assert response.status_code == 200
        missing = await http.post(
            "/v2/invoices/1/payments/", json={"amount": 1}, headers=v2_headers(account)
        )
        assert missing.status_code == 404  # the route's own answer, not a 307 to it
