"""The dispatcher as it runs for real: inside the service's workers, and as
`payments-service dispatch` feeding the example receiver, all managed from the CLI."""

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.support.api import create_invoice, payment_xml
from tests.support.auth import Account
from tests.support.cli import cli
from tests.support.contract import ContractChecker
from tests.support.server import LOOPBACK, free_port, start_server
from tests.support.webhooks import Receiver, eventually, nothing_owed, read_feed, subscribe

pytestmark = pytest.mark.system

EXAMPLE = Path(__file__).parents[2] / "examples" / "webhook_receiver.py"
FAST = {"WEBHOOK_POLL_SECONDS": "0.05", "WEBHOOK_RETRY_BASE_SECONDS": "0.05"}


async def test_the_services_workers_deliver_each_event_once_in_order(
    database_url: str,
    owner: Account,
    db: asyncpg.Pool,
    receiver: Receiver,
    contract: ContractChecker,
) -> None:
    process, base = await asyncio.to_thread(
        start_server, database_url, workers=2, env={"DISPATCHER_ENABLED": "true", **FAST}
    )
    try:
        async with httpx.AsyncClient(base_url=base, event_hooks={"response": [contract]}) as client:
            await subscribe(client, owner, receiver.url)
            invoices = [await create_invoice(client, owner, number=str(n)) for n in range(3)]
            for invoice_id in invoices * 3:
                response = await client.post(
                    f"/invoices/{invoice_id}/payments",
                    content=payment_xml("1.00"),
                    headers={**owner.auth, "Content-Type": "application/xml"},
                )
                assert response.status_code == 201
            await eventually(lambda: nothing_owed(db))
    finally:
        process.terminate()
        await asyncio.to_thread(process.wait, 15)

    assert len(receiver.requests) == len(receiver.accepted) == 3 * 5
    for invoice_id in invoices:
        sequences = [e["sequence"] for e in receiver.accepted if e["invoice_id"] == invoice_id]
        assert sequences == [1, 2, 3, 4, 5]


async def test_cli_subscribes_and_dispatch_feeds_the_example_receiver_which_verifies_signatures(
    database_url: str,
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEBHOOK_ALLOWED_PRIVATE_NETWORKS", LOOPBACK)  # for the CLI and dispatch
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    added = cli("webhooks", "--account", "Acme", "add", url, database_url=database_url)
    assert added.returncode == 0, added.stderr
    webhook = json.loads(added.stdout)["webhook"]
    assert webhook["secret"].startswith("whsec_")
    listed = cli("webhooks", "--account", "Acme", "list", database_url=database_url)
    assert [w["webhook"]["url"] for w in json.loads(listed.stdout)] == [url]
    assert json.loads(listed.stdout)[0]["webhook"]["secret"] is None

    example = subprocess.Popen(  # noqa: ASYNC220  (started once, waited on in a thread)
        [sys.executable, str(EXAMPLE), "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "WEBHOOK_SECRET": webhook["secret"]},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    dispatch = subprocess.Popen(  # noqa: ASYNC220
        [sys.executable, "-m", "payments_service.cli", "dispatch"],
        env={**os.environ, "DATABASE_URL": database_url, **FAST},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert dispatch.stderr is not None
        ready = await asyncio.to_thread(dispatch.stderr.readline)
        if "WEBHOOK_SECRET_KEY is not set" in ready:  # the warning comes first
            ready = await asyncio.to_thread(dispatch.stderr.readline)
        assert ready.startswith("dispatching webhooks"), ready
        invoice_id = await create_invoice(client, owner, amount="5.00")
        await eventually(lambda: nothing_owed(db), within=20)
        async with httpx.AsyncClient() as http:
            forged = await http.post(
                url,
                content=b'{"event": {"id": 999}}',
                headers={"Payments-Signature": "t=1,v1=00"},
            )
        assert forged.status_code == 400
        # A body announced as 1 GB is refused at once, not waited for.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n{}")
        status = await asyncio.wait_for(reader.readline(), 10)
        writer.close()
        assert status.startswith(b"HTTP/1.0 413"), status
    finally:
        dispatch.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(dispatch.wait, 15) == 0
        example.terminate()
        out, err = await asyncio.to_thread(example.communicate, None, 15)

    printed = [json.loads(line) for line in out.splitlines()]
    assert [(e["type"], e["invoice_id"], e["sequence"]) for e in printed] == [
        ("invoice.created", invoice_id, 1),
        ("invoice.updated", invoice_id, 2),
    ]
    assert "rejected: bad signature" in err

    removed = cli(
        "webhooks", "--account", "Acme", "remove", str(webhook["id"]), database_url=database_url
    )
    assert (removed.returncode, removed.stdout) == (0, "")
    assert (
        json.loads(cli("webhooks", "--account", "Acme", "list", database_url=database_url).stdout)
        == []
    )


async def test_cli_replay_sends_dead_deliveries_again(
    database_url: str, client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    webhook = await subscribe(client, owner, "http://127.0.0.1:9/")
    await create_invoice(client, owner, sent=False)
    await read_feed(client, owner)
    await db.execute("UPDATE webhook_deliveries SET state = 'dead', attempts = 7")

    replayed = cli(
        "webhooks", "--account", "Acme", "replay", str(webhook["id"]), database_url=database_url
    )

    assert replayed.returncode == 0, replayed.stderr
    shown = json.loads(replayed.stdout)["webhook"]
    assert (shown["pending_deliveries"], shown["dead_deliveries"]) == (1, 0)
    row = await db.fetchrow(
        "SELECT state, attempts, next_attempt_at <= now() AS due FROM webhook_deliveries"
    )
    assert dict(row) == {"state": "pending", "attempts": 0, "due": True}


async def test_cli_webhook_mistakes_exit_1_or_2_and_change_nothing(
    database_url: str, owner: Account, db: asyncpg.Pool
) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return cli("webhooks", *args, database_url=database_url)

    assert run("--account", "Nope", "add", "http://127.0.0.1:9/").returncode == 2  # unknown
    assert run("--account", "Acme", "add", "ftp://127.0.0.1:9/").returncode == 1
    assert run("--account", "Acme", "remove", "x").returncode == 2
    assert await db.fetchval("SELECT count(*) FROM webhook_subscriptions") == 0
