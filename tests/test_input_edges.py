"""No 500 from input: every endpoint that takes an id, a date, a datetime, a cursor or a token
gets each hostile case (non-ASCII digits, out-of-range and infinite dates, offsets that push a
datetime past year 9999, cursors we never handed out) and answers 4xx; the database is
unchanged, and no date is stored as infinity."""

import base64
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from payments_service.config import Settings
from tests.support.api import create_invoice, payment_xml, v2_headers
from tests.support.app import serving
from tests.support.auth import Account, bogus_credentials
from tests.support.database import snapshot

IDS = ["²", "1²", "٣", "0", "-1", "99999999999999999999", "1e3", "%20"]
DATES = ["0001-01-01", "9999-12-31", "0000-01-01", "10000-01-01", "2008-02-30", "infinity"]
DATETIMES = [
    *DATES,
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-23:59",
    "9999-12-31T23:59:59Z",
    "-infinity",
]
COMPACT_DATES = ["00010101", "99991231", "²0080101", "20080230"]


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


CURSORS = ["wrI", b64("²"), b64("0"), b64("9" * 30), b64("-1"), "!!", "%00"]
EVENT_CURSORS = ["²-1", "1-²", "99999999999999999999-1", "-1-1", "1-"]

Case = tuple[str, str, dict[str, Any]]  # method, path, httpx keyword arguments


@pytest.fixture(scope="module")
async def http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An app of its own (the tests' settings put the failed-authentication limit out of
    reach: each 401 here counts)."""
    assert settings.auth_failure_limit > 1000
    async with serving(settings) as (_, client):
        yield client


def v1_xml(account: Account) -> dict[str, str]:
    return {**account.auth, "Content-Type": "application/xml"}


def v2_json(account: Account) -> dict[str, str]:
    return {**v2_headers(account), "Content-Type": "application/json"}


def invoice_xml(issued_at: str = "2008-02-06", due_at: str = "2008-03-06") -> str:
    return (
        '<invoice><client-id type="integer">11</client-id><number>E-1</number>'
        f'<currency>USD</currency><amount type="decimal">100.00</amount>'
        f'<issued-at type="date">{issued_at}</issued-at><due-at type="date">{due_at}</due-at>'
        "</invoice>"
    )


def id_cases(owner: Account, invoice_id: int) -> list[Case]:
    cases: list[Case] = []
    v1, v2 = {"headers": owner.auth}, {"headers": v2_headers(owner)}
    pay_v1 = {"headers": v1_xml(owner), "content": payment_xml("1")}
    pay_v2 = {"headers": v2_json(owner), "json": {"amount": 1}}
    for bad in IDS:
        cases += [
            ("GET", f"/invoices/{bad}", v1),
            ("PUT", f"/invoices/{bad}", {"headers": v1_xml(owner), "content": invoice_xml()}),
            ("DELETE", f"/invoices/{bad}", v1),
            ("GET", f"/invoices/{bad}/payments", v1),
            ("POST", f"/invoices/{bad}/payments", pay_v1),
            ("GET", f"/invoices/{invoice_id}/payments/{bad}", v1),
            ("DELETE", f"/invoices/{invoice_id}/payments/{bad}", v1),
            ("POST", f"/invoices/{bad}/messages/mark_as_sent", v1),
            ("GET", f"/webhooks/{bad}", v1),
            ("DELETE", f"/webhooks/{bad}", v1),
            ("POST", f"/webhooks/{bad}/replay", v1),
            ("GET", f"/invoices?client={bad}", v1),
            ("GET", f"/invoices?page={bad}", v1),
            ("GET", f"/events?limit={bad}", v1),
            ("GET", f"/v2/invoices/{bad}", v2),
            ("GET", f"/v2/invoices/{bad}/payments", v2),
            ("POST", f"/v2/invoices/{bad}/payments", pay_v2),
            ("DELETE", f"/v2/invoices/{invoice_id}/payments/{bad}", v2),
            ("GET", f"/v2/invoices?client_id={bad}", v2),
            ("GET", f"/v2/invoices?page={bad}", v2),
            ("GET", f"/v2/invoices?per_page={bad}", v2),
            ("GET", f"/v2/invoices/{invoice_id}/payments?page={bad}", v2),
            ("GET", "/v2/invoices", {"headers": {**v2_headers(owner), "Harvest-Account-Id": bad}}),
        ]  # fmt: skip
    return cases


def date_cases(owner: Account, invoice_id: int) -> list[Case]:
    cases: list[Case] = []
    v1, v2 = {"headers": owner.auth}, {"headers": v2_headers(owner)}
    for bad in DATES:
        xml = {"headers": v1_xml(owner)}
        cases += [
            ("POST", "/invoices", {**xml, "content": invoice_xml(issued_at=bad)}),
            ("POST", "/invoices", {**xml, "content": invoice_xml(due_at=bad)}),
            ("PUT", f"/invoices/{invoice_id}", {**xml, "content": invoice_xml(due_at=bad)}),
            ("POST", f"/v2/invoices/{invoice_id}/payments",
             {"headers": v2_json(owner), "json": {"amount": 1, "paid_date": bad}}),
            ("GET", f"/v2/invoices?from={bad}", v2),
            ("GET", f"/v2/invoices?to={bad}", v2),
        ]  # fmt: skip
    for bad in DATETIMES:
        since = {"updated_since": bad}
        cases += [
            ("POST", f"/invoices/{invoice_id}/payments",
             {"headers": v1_xml(owner), "content": payment_xml("1", paid_at=bad)}),
            ("POST", f"/invoices/{invoice_id}/payments",
             {"headers": {**owner.auth, "Content-Type": "application/json"},
              "json": {"payment": {"amount": "1", "paid_at": bad}}}),
            ("POST", f"/v2/invoices/{invoice_id}/payments",
             {"headers": v2_json(owner), "json": {"amount": 1, "paid_at": bad}}),
            ("GET", "/invoices", {**v1, "params": since}),
            ("GET", "/v2/invoices", {**v2, "params": since}),
            ("GET", f"/v2/invoices/{invoice_id}/payments", {**v2, "params": since}),
        ]  # fmt: skip
    for bad in COMPACT_DATES:
        cases += [("GET", "/invoices", {**v1, "params": {"from": bad}})]
        cases += [("GET", "/invoices", {**v1, "params": {"to": bad}})]
    return cases


def cursor_cases(owner: Account, invoice_id: int) -> list[Case]:
    v1, v2 = {"headers": owner.auth}, {"headers": v2_headers(owner)}
    cases: list[Case] = []
    for bad in CURSORS:
        cases += [("GET", f"/v2/invoices/{invoice_id}/payments", {**v2, "params": {"cursor": bad}})]
    for bad in EVENT_CURSORS:
        cases += [("GET", "/events", {**v1, "params": {"after": bad}})]
    return cases


def token_cases(owner: Account, invoice_id: int) -> list[Case]:
    cases: list[Case] = []
    for credentials in [*bogus_credentials(owner), {"Authorization": "Bearer ps_1_²_x"}]:
        v2_bad = {**v2_headers(owner), **credentials}
        if "Authorization" not in credentials:
            del v2_bad["Authorization"]
        cases += [
            ("GET", f"/invoices/{invoice_id}/payments", {"headers": credentials}),
            ("POST", f"/invoices/{invoice_id}/payments",
             {"headers": {**credentials, "Content-Type": "application/xml"},
              "content": payment_xml("1")}),
            ("DELETE", f"/invoices/{invoice_id}", {"headers": credentials}),
            ("GET", "/v2/invoices", {"headers": v2_bad}),
            ("POST", f"/v2/invoices/{invoice_id}/payments",
             {"headers": {**v2_bad, "Content-Type": "application/json"}, "json": {"amount": 1}}),
            ("GET", "/v2/users/me", {"headers": v2_bad}),
        ]  # fmt: skip
    for token in ("ps_²_1_x", "ps_1_1_\x00", "x" * 5000):
        cases += [("GET", f"/invoices/{invoice_id}", {"params": {"access_token": token}})]
    return cases


def with_raw_headers(case: Case) -> Case:
    """httpx sends str headers as ASCII: anything else goes as UTF-8 bytes (as a client can)."""
    method, path, kwargs = case
    headers = {
        name: value.encode() if isinstance(value, str) and not value.isascii() else value
        for name, value in kwargs.get("headers", {}).items()
    }
    return method, path, {**kwargs, "headers": headers}


@pytest.mark.parametrize("kind", [id_cases, date_cases, cursor_cases, token_cases])
async def test_every_hostile_id_date_cursor_and_token_gets_a_4xx_and_changes_nothing(
    http: httpx.AsyncClient, client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool, kind: Any
) -> None:
    invoice_id = await create_invoice(client, owner)
    assert (await http.post(f"/invoices/{invoice_id}/payments", content=payment_xml("1"),
                            headers=v1_xml(owner))).status_code == 201  # fmt: skip
    before = await snapshot(db)
    answers = []
    for case in kind(owner, invoice_id):
        method, path, kwargs = with_raw_headers(case)
        response = await http.request(method, path, **kwargs)
        answers.append((response.status_code, method, path, kwargs.get("params")))
    assert [a for a in answers if not 400 <= a[0] < 500] == []
    assert await snapshot(db) == before
    infinite = await db.fetchval(
        "SELECT count(*) FROM invoices WHERE NOT (isfinite(issued_at) AND isfinite(due_at))"
    ) + await db.fetchval("SELECT count(*) FROM payments WHERE NOT isfinite(paid_at)")
    assert infinite == 0
