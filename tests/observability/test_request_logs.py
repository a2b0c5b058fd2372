"""Request ids, one JSON log line per request, and nothing secret in any log line."""

import base64
import json
import logging
import re
from collections.abc import Callable

import httpx
import pytest
import structlog

from payments_service.accounts.tokens import parse_token
from tests.support.api import create_invoice, payment_xml
from tests.support.auth import Account

CARD = "4111 1111 1111 1111"


@pytest.fixture
def read_logs(capsys: pytest.CaptureFixture[str]) -> Callable[[], list[dict]]:
    """What the service has logged to stderr so far (the JSON lines), parsed line by line."""
    capsys.readouterr()
    written: list[str] = []

    def read() -> list[dict]:
        written.extend(capsys.readouterr().err.splitlines())
        return [json.loads(line) for line in written if line.startswith("{")]

    return read


async def test_a_sane_request_id_is_echoed_and_others_are_replaced(
    client: httpx.AsyncClient, owner: Account
) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123 retry/2"})
    assert given.headers["X-Request-ID"] == "abc-123 retry/2"
    for bad in ("x" * 129, "tab\there", ""):
        replaced = await client.get("/healthz", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])
    generated = [(await client.get("/healthz")).headers["X-Request-ID"] for _ in range(2)]
    assert generated[0] != generated[1]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/invoices/1", 401), ("GET", "/no/such/path", 404), ("POST", "/invoices", 401)],
)
async def test_error_responses_carry_the_request_id_too(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path, headers={"X-Request-ID": "err-1"})
    assert (response.status_code, response.headers["X-Request-ID"]) == (status, "err-1")


async def test_each_request_logs_one_json_line_with_route_status_duration_and_account(
    client: httpx.AsyncClient, owner: Account, read_logs: Callable[[], list[dict]]
) -> None:
    invoice_id = await create_invoice(client, owner, sent=False)
    await client.get(f"/invoices/{invoice_id}", headers={**owner.auth, "X-Request-ID": "req-42"})
    await client.get("/invoices/999", headers={"X-Request-ID": "anon-1"})

    requests = [line for line in read_logs() if line["event"] == "request"]
    shown = [line for line in requests if line["request_id"] == "req-42"]
    assert len(shown) == 1
    assert shown[0]["method"] == "GET"
    assert shown[0]["route"] == "/invoices/{invoice_id}"
    assert shown[0]["status"] == 200
    assert shown[0]["account_id"] == owner.id
    assert isinstance(shown[0]["duration_ms"], float)
    assert shown[0]["level"] == "info" and shown[0]["timestamp"].endswith("Z")
    (anonymous,) = [line for line in requests if line["request_id"] == "anon-1"]
    assert (anonymous["status"], anonymous["account_id"]) == (401, None)


async def test_tokens_credentials_and_card_numbers_never_reach_the_logs(
    client: httpx.AsyncClient, owner: Account, read_logs: Callable[[], list[dict]]
) -> None:
    invoice_id = await create_invoice(client, owner)
    basic = base64.b64encode(f"{owner.email}:{owner.token}".encode()).decode()
    await client.post(
        f"/invoices/{invoice_id}/payments",
        content=payment_xml("10.00", notes=CARD),
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/xml"},
    )
    await client.get(
        f"/invoices/{invoice_id}/payments?card={CARD.replace(' ', '')}", headers=owner.auth
    )
    # Whatever code logs by mistake is masked too, in messages, fields and exceptions.
    logger = logging.getLogger("payments_service.test")
    logger.warning("header was %s, card %s", owner.auth["Authorization"], CARD)
    try:
        raise ValueError(f"token {owner.token} card 4111-1111-1111-1111")
    except ValueError:
        logger.exception("boom")
        structlog.get_logger("payments_service.test").exception("boom", note=CARD)

    lines = read_logs()
    output = "\n".join(json.dumps(line) for line in lines)
    assert len(lines) >= 5
    secret = parse_token(owner.token)[2]  # may itself hold "_": split as the service does
    for leak in (owner.token, secret, basic, "4111111111111111", CARD, "4111-1111-1111-1111"):
        assert leak not in output
    assert "[card-like number]" in output and "[token]" in output


async def test_a_token_in_the_query_string_never_reaches_the_logs(
    client: httpx.AsyncClient, owner: Account, read_logs: Callable[[], list[dict]]
) -> None:
    invoice_id = await create_invoice(client, owner)
    shown = await client.get(f"/invoices/{invoice_id}", params={"access_token": owner.token})
    assert shown.status_code == 200
    refused = await client.get("/invoices", params={"access_token": "opaque-not-ours-123"})
    assert refused.status_code == 401
    # Whatever logs a URL by mistake: the value of access_token is masked, whatever its form.
    logging.getLogger("payments_service.test").warning(
        "fetched /v2/invoices?page=2&access_token=%s&account_id=1", "opaque-not-ours-123"
    )
    output = "\n".join(json.dumps(line) for line in read_logs())
    for leak in (owner.token, owner.token.rsplit("_", 1)[1], "opaque-not-ours-123"):
        assert leak not in output
    assert "access_token=[redacted]&account_id=1" in output
