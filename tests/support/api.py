"""Requests as Harvest clients send them: invoices and payments through v1 (XML, as the source
document sends them), and the headers and bodies of a Harvest v2 client."""

import httpx

from tests.support.auth import Account

INVOICE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<invoice>
  <client-id type="integer">11</client-id>
  <number>{number}</number>
  <currency>{currency}</currency>
  <amount type="decimal">{amount}</amount>
  <issued-at type="date">2008-02-06</issued-at>
  <due-at type="date">2008-03-06</due-at>
  <subject>Invoice {number}</subject>
  <notes>Some notes</notes>
</invoice>"""


async def create_invoice(
    client: httpx.AsyncClient,
    account: Account,
    *,
    number: str = "1",
    amount: str = "100.00",
    currency: str = "USD",
    sent: bool = True,
) -> int:
    """An invoice via the API, marked as sent unless `sent` is False; returns its id."""
    response = await client.post(
        "/invoices",
        content=INVOICE_XML.format(number=number, amount=amount, currency=currency),
        headers={**account.auth, "Content-Type": "application/xml"},
    )
    assert response.status_code == 201, response.text
    invoice_id = int(response.headers["Location"].rsplit("/", 1)[1])
    if sent:
        sent_response = await client.post(
            f"/invoices/{invoice_id}/messages/mark_as_sent", headers=account.auth
        )
        assert sent_response.status_code == 200, sent_response.text
    return invoice_id


def payment_xml(amount: str, paid_at: str = "2008-02-14T00:00:00Z", notes: str = "check") -> str:
    return (
        "<payment>"
        f'<paid-at type="datetime">{paid_at}</paid-at>'
        f'<amount type="decimal">{amount}</amount>'
        f"<notes>{notes}</notes>"
        "</payment>"
    )


async def pay(
    client: httpx.AsyncClient, account: Account, invoice_id: int, amount: str
) -> httpx.Response:
    """Record a payment via the API (XML, as the source document sends it)."""
    return await client.post(
        f"/invoices/{invoice_id}/payments",
        content=payment_xml(amount),
        headers={**account.auth, "Content-Type": "application/xml"},
    )


async def paid(client: httpx.AsyncClient, account: Account, invoice_id: int, amount: str) -> int:
    """Record a payment that must succeed; its id."""
    response = await pay(client, account, invoice_id, amount)
    assert response.status_code == 201, response.text
    return int(response.headers["Location"].rsplit("/", 1)[1])


USER_AGENT = "PaymentsTests (tests@example.com)"


def v2_headers(account: Account) -> dict[str, str]:
    """The headers a Harvest v2 client sends."""
    return {
        **account.auth,
        "Harvest-Account-Id": str(account.id),
        "User-Agent": USER_AGENT,
    }


async def v2_post(
    client: httpx.AsyncClient, account: Account, path: str, body: dict[str, object]
) -> httpx.Response:
    return await client.post(f"/v2{path}", json=body, headers=v2_headers(account))
