"""Hostile input: each case gets a 4xx with an error body, and the database is unchanged.

XML attacks (DTDs, entity expansion, external entities and DTDs), oversized bodies (with and
without Content-Length), deep nesting, invalid UTF-8, hostile amounts, dates and ids. (More
amounts and malformed bodies: tests/payments/test_payments_api.py.)
"""

import socket
from collections.abc import AsyncIterator, Iterator
from xml.etree import ElementTree

import asyncpg
import httpx
import pytest

from payments_service.config import Settings
from tests.support.api import create_invoice, payment_xml
from tests.support.app import serving
from tests.support.auth import Account
from tests.support.database import snapshot

PAID_AT = '<paid-at type="datetime">2008-02-14T00:00:00Z</paid-at>'
AMOUNT = '<amount type="decimal">10.00</amount>'


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A local TCP port that records whether anything connected to it (an external fetch)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        sock.setblocking(False)
        yield sock


def nobody_connected(sock: socket.socket) -> bool:
    try:
        sock.accept()[0].close()
    except BlockingIOError:
        return True
    return False


def error_codes(response: httpx.Response) -> list[str | None]:
    return [error.get("code") for error in ElementTree.fromstring(response.content)]


async def post_payment(
    client: httpx.AsyncClient,
    account: Account,
    invoice_id: int,
    body: bytes | str,
    content_type: str = "application/xml",
) -> httpx.Response:
    return await client.post(
        f"/invoices/{invoice_id}/payments",
        content=body,
        headers={**account.auth, "Content-Type": content_type},
    )


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE payment ['
    '<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">'
        for n in range(1, 10)
    )
    + f"]><payment>{PAID_AT}{AMOUNT}<notes>&lol9;</notes></payment>"
)


@pytest.mark.parametrize(
    "body",
    [
        f"<!DOCTYPE payment><payment>{PAID_AT}{AMOUNT}</payment>",
        BILLION_LAUGHS,
        '<!DOCTYPE payment [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f"<payment>{PAID_AT}{AMOUNT}<notes>&xxe;</notes></payment>",
        '<!DOCTYPE payment SYSTEM "http://127.0.0.1:{port}/evil.dtd">'
        f"<payment>{PAID_AT}{AMOUNT}</payment>",
        '<!DOCTYPE payment [<!ENTITY % remote SYSTEM "http://127.0.0.1:{port}/x"> %remote;]>'
        f"<payment>{PAID_AT}{AMOUNT}</payment>",
    ],
    ids=["doctype", "billion-laughs", "xxe-local-file", "external-dtd", "parameter-entity"],
)
async def test_dtds_and_entities_are_refused_with_400_and_nothing_is_expanded_or_fetched(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    listener: socket.socket,
    body: str,
) -> None:
    invoice_id = await create_invoice(client, owner)
    before = await snapshot(db)
    port = listener.getsockname()[1]
    response = await post_payment(client, owner, invoice_id, body.replace("{port}", str(port)))
    assert response.status_code == 400
    assert error_codes(response) == ["malformed_xml"]
    assert "root:" not in response.text and "lollol" not in response.text
    assert nobody_connected(listener)
    assert await snapshot(db) == before


@pytest.fixture
async def small_limit(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(Settings(database_url=database_url, max_body_bytes=1000)) as (_, http):
        yield http


async def test_a_body_over_the_limit_is_413_before_parsing_with_content_length(
    small_limit: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(small_limit, owner)
    before = await snapshot(db)
    malformed = b"<payment>" + b"x" * 1000  # would be a 400 if it were parsed
    response = await post_payment(small_limit, owner, invoice_id, malformed)
    assert response.status_code == 413
    assert error_codes(response) == ["payload_too_large"]
    assert await snapshot(db) == before


async def test_a_chunked_body_over_the_limit_is_413_too(
    small_limit: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(small_limit, owner)
    before = await snapshot(db)

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: streamed
        yield b"<payment>"
        for _ in range(20):
            yield b"x" * 100

    response = await small_limit.post(
        f"/invoices/{invoice_id}/payments",
        content=chunks(),
        headers={**owner.auth, "Content-Type": "application/xml"},
    )
    assert response.status_code == 413
    assert error_codes(response) == ["payload_too_large"]
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (
            "<payment>" + "<notes>" * 5000 + "</notes>" * 5000 + "</payment>",
            "application/xml",
            422,
            "invalid",
        ),
        ("[" * 100_000 + "]" * 100_000, "application/json", 400, "malformed_json"),
        ('{"payment": ' * 5000 + "{}" + "}" * 5000, "application/json", 400, "malformed_json"),
        (b"<payment><notes>\xff\xfe</notes></payment>", "application/xml", 400, "malformed_xml"),
        (b'{"payment": {"notes": "\xff\xfe"}}', "application/json", 400, "malformed_json"),
        ("<payment>" + "<notes/>" * 2 + "</payment>", "application/xml", 422, "duplicate_field"),
        ('{"amount": 1, "amount": 2}', "application/json", 422, "duplicate_field"),
        ('{"payment": {"amount": 1e400}}', "application/json", 422, "invalid"),
        ('{"payment": {"amount": Infinity}}', "application/json", 400, "malformed_json"),
        ('{"payment": {"amount": [1]}}', "application/json", 422, "invalid"),
        ('{"payment": {"amount": true}}', "application/json", 422, "invalid"),
        ("<payments><payment/></payments>", "application/xml", 400, "wrong_root"),
        ("<payment>true</payment>", "application/xml", 400, "malformed_xml"),
        ("", "application/xml", 400, "malformed_xml"),
    ],
    ids=[
        "deep-xml",
        "deep-json",
        "deep-json-objects",
        "invalid-utf8-xml",
        "invalid-utf8-json",
        "duplicate-xml",
        "duplicate-json",
        "json-1e400",
        "json-infinity",
        "json-array-amount",
        "json-boolean-amount",
        "wrong-root",
        "text-root",
        "empty",
    ],
)
async def test_malformed_structures_get_4xx_with_an_error_body_and_change_nothing(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    body: str | bytes,
    content_type: str,
    status: int,
    code: str,
) -> None:
    invoice_id = await create_invoice(client, owner)
    before = await snapshot(db)
    response = await post_payment(client, owner, invoice_id, body, content_type)
    assert response.status_code == status, response.text
    assert code in error_codes(response)
    assert await snapshot(db) == before


async def test_unknown_fields_are_ignored_as_harvest_did(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    invoice_id = await create_invoice(client, owner)
    unknown = "<id>999</id><invoice-id>77</invoice-id><x>1</x><x><y>2</y></x><z><z/></z>"
    body = f"<payment>{PAID_AT}{AMOUNT}{unknown}</payment>"
    response = await post_payment(client, owner, invoice_id, body)
    assert response.status_code == 201
    row = await db.fetchrow("SELECT id, invoice_id FROM payments")
    assert (row["id"], row["invoice_id"]) == (1, invoice_id)


@pytest.mark.parametrize(
    "paid_at",
    [
        "yesterday",
        "2008-13-45",
        "2008-02-30T00:00:00Z",
        "2008-02-14T25:00:00Z",
        "99999-01-01",
        "2008-02-14T00:00:00+25:00",
        "",
        "\u0662\u0660\u0660\u0668-02-14",
    ],
)
async def test_dates_that_are_not_dates_or_out_of_range_get_422_and_change_nothing(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool, paid_at: str
) -> None:
    invoice_id = await create_invoice(client, owner)
    before = await snapshot(db)
    response = await post_payment(client, owner, invoice_id, payment_xml("10.00", paid_at))
    assert response.status_code == 422, response.text
    assert error_codes(response) == ["invalid"]
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/invoices/-1/payments"),
        ("POST", "/invoices/0/payments"),
        ("POST", "/invoices/1.5/payments"),
        ("POST", "/invoices/9223372036854775808/payments"),
        ("POST", "/invoices/1e3/payments"),
        ("DELETE", "/invoices/{id}/payments/9223372036854775808"),
        ("DELETE", "/invoices/{id}/payments/abc"),
        ("DELETE", "/invoices/{id}/payments/%00"),
        ("GET", "/invoices/{id}/payments/-0"),
        ("POST", "/invoices/99999999999999999999999999999/messages/mark_as_closed"),
    ],
)
async def test_ids_that_are_not_bigints_are_404_and_change_nothing(
    client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool, method: str, path: str
) -> None:
    invoice_id = await create_invoice(client, owner)
    before = await snapshot(db)
    response = await client.request(
        method,
        path.format(id=invoice_id),
        content=payment_xml("10.00"),
        headers={**owner.auth, "Content-Type": "application/xml"},
    )
    assert response.status_code == 404
    assert error_codes(response) == ["not_found"]
    assert await snapshot(db) == before


async def test_a_method_the_path_does_not_serve_is_405_naming_every_method_it_does(
    client: httpx.AsyncClient, owner: Account
) -> None:
    invoice_id = await create_invoice(client, owner)
    response = await client.patch(f"/invoices/{invoice_id}", headers=owner.auth)
    assert response.status_code == 405
    assert response.headers["Allow"] == "DELETE, GET, PUT"
    assert error_codes(response) == ["method_not_allowed"]
