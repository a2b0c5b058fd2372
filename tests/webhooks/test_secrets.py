"""Signing secrets: rotated without downtime (both signatures during the grace period, only the
new one after), encrypted at rest with WEBHOOK_SECRET_KEY, and verified by the documented code
without it ever raising on a junk header."""

import importlib.util
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import ModuleType

import asyncpg
import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from pydantic import SecretStr

from payments_service.config import Settings
from payments_service.webhooks.signing import sign
from tests.support.api import create_invoice
from tests.support.app import serving
from tests.support.auth import Account
from tests.support.webhooks import (
    MakeDispatcher,
    Receiver,
    documented_verify,
    nothing_owed,
    run_until,
    subscribe,
)

JSON = {"Accept": "application/json"}
EXAMPLE = Path(__file__).parents[2] / "examples" / "webhook_receiver.py"


def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("webhook_receiver", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_during_the_grace_period_both_secrets_verify_and_after_it_only_the_new_one(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    receiver: Receiver,
    make_dispatcher: MakeDispatcher,
) -> None:
    webhook = await subscribe(client, owner, receiver.url)
    rotated = await client.post(
        f"/webhooks/{webhook['id']}/rotate_secret", headers={**owner.auth, **JSON}
    )
    assert rotated.status_code == 200
    shown = rotated.json()["webhook"]
    old, new = webhook["secret"], shown["secret"]
    assert new.startswith("whsec_") and new != old
    grace_ends = await db.fetchval(
        "SELECT extract(epoch FROM previous_secret_expires_at - now()) FROM webhook_subscriptions"
    )
    assert 24 * 3600 - 60 < grace_ends <= 24 * 3600
    assert shown["previous_secret_expires_at"] is not None
    dispatcher = await make_dispatcher()
    verify = documented_verify()

    await create_invoice(client, owner, number="during", sent=False)
    await run_until(dispatcher, lambda: nothing_owed(db))
    during = receiver.requests[-1]
    assert during.headers["payments-signature"].count("v1=") == 2
    assert verify(old, during.headers["payments-signature"], during.body)
    assert verify(new, during.headers["payments-signature"], during.body)

    # The grace period ends (as 24 h later).
    await db.execute("UPDATE webhook_subscriptions SET previous_secret_expires_at = now()")
    await create_invoice(client, owner, number="after", sent=False)
    await run_until(dispatcher, lambda: nothing_owed(db))
    after = receiver.requests[-1]
    assert after.event["invoice_id"] != during.event["invoice_id"]
    assert after.headers["payments-signature"].count("v1=") == 1
    assert not verify(old, after.headers["payments-signature"], after.body)
    assert verify(new, after.headers["payments-signature"], after.body)
    listed = await client.get(f"/webhooks/{webhook['id']}", headers={**owner.auth, **JSON})
    assert listed.json()["webhook"]["previous_secret_expires_at"] is None
    assert listed.json()["webhook"]["secret"] is None


async def test_rotating_an_unknown_or_anothers_webhook_is_a_404(
    client: httpx.AsyncClient, owner: Account, stranger: Account, db: asyncpg.Pool
) -> None:
    webhook = await subscribe(client, owner, "http://127.0.0.1:9/")
    for account, path in [(owner, "/webhooks/99"), (stranger, f"/webhooks/{webhook['id']}")]:
        response = await client.post(f"{path}/rotate_secret", headers={**account.auth, **JSON})
        assert response.status_code == 404
    assert await db.fetchval("SELECT previous_secret FROM webhook_subscriptions") is None


@pytest.fixture
async def keyed(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, str]]:
    """The service with WEBHOOK_SECRET_KEY set."""
    key = Fernet.generate_key().decode()
    own = settings.model_copy(update={"webhook_secret_key": SecretStr(key)})
    async with serving(own) as (app, http):
        yield app, http, key


async def test_with_a_key_secrets_are_stored_encrypted_and_deliveries_still_verify(
    keyed: tuple[FastAPI, httpx.AsyncClient, str],
    owner: Account,
    db: asyncpg.Pool,
    receiver: Receiver,
    make_dispatcher: MakeDispatcher,
) -> None:
    _, client, key = keyed
    webhook = await subscribe(client, owner, receiver.url)
    stored = await db.fetchval("SELECT secret FROM webhook_subscriptions")
    assert stored.startswith("fernet:") and webhook["secret"] not in stored
    assert Fernet(key).decrypt(stored.removeprefix("fernet:")).decode() == webhook["secret"]
    await create_invoice(client, owner, sent=False)

    await run_until(await make_dispatcher(webhook_secret_key=key), lambda: nothing_owed(db))

    request = receiver.requests[0]
    signature = request.headers["payments-signature"]
    assert documented_verify()(webhook["secret"], signature, request.body)


async def test_without_the_key_an_encrypted_secret_is_never_sent_unsigned(
    keyed: tuple[FastAPI, httpx.AsyncClient, str],
    owner: Account,
    db: asyncpg.Pool,
    receiver: Receiver,
    make_dispatcher: MakeDispatcher,
) -> None:
    _, client, _ = keyed
    await subscribe(client, owner, receiver.url)
    await create_invoice(client, owner, sent=False)

    await run_until(await make_dispatcher(), lambda: _failed(db))

    assert receiver.requests == []
    error = await db.fetchval("SELECT last_error FROM webhook_deliveries")
    assert error == "not sent: the service cannot read the signing secret"


async def _failed(db: asyncpg.Pool) -> bool:
    return await db.fetchval("SELECT attempts FROM webhook_deliveries") >= 1


JUNK_HEADERS = [
    "",
    "garbage",
    "t=",
    "v1=",
    "=,=,,",
    "t=²,v1=00",  # a digit to str.isdigit, not to int()
    "t=1e3,v1=00",
    "t=" + "9" * 5000 + ",v1=00",  # longer than int() converts
    "t={now},v1=é",  # non-ASCII: hmac.compare_digest raises on such str
    "t={now},v1=\x00",
    "t={now}," + "v1=00," * 2000,
]


@pytest.mark.parametrize("header", JUNK_HEADERS)
def test_the_documented_verify_functions_return_false_on_a_junk_header(header: str) -> None:
    header = header.replace("{now}", str(int(time.time())))
    body = b'{"event": {}}'
    verifiers: list[Callable[[str, str, bytes], bool]] = [
        documented_verify(),
        lambda secret, header, body: bool(example().verify(secret, header, body, time.time())),
    ]
    for verify in verifiers:
        assert verify("whsec_x", header, body) is False
        good = sign(["whsec_x"], int(time.time()), body)
        assert verify("whsec_x", good, body) is True
