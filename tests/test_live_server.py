"""The service as deployed: uvicorn workers on a real socket, driven like the README's curl."""

import subprocess
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.support.api import INVOICE_XML, payment_xml
from tests.support.auth import make_account
from tests.support.contract import ContractChecker
from tests.support.workers import workers_of

pytestmark = pytest.mark.system


async def test_a_curl_like_session_over_a_real_socket(
    live_server: str, db: asyncpg.Pool, contract: ContractChecker
) -> None:
    account = await make_account(db, "Live")
    async with httpx.AsyncClient(
        base_url=live_server, headers=account.auth, event_hooks={"response": [contract]}
    ) as http:
        created = await http.post(
            "/invoices",
            content=INVOICE_XML.format(number="L-1", amount="100.00", currency="EUR"),
            headers={"Content-Type": "application/xml"},
        )
        assert created.status_code == 201
        invoice = created.headers["Location"]
        assert (await http.post(f"{invoice}/messages/mark_as_sent")).status_code == 200

        paid = await http.post(
            f"{invoice}/payments",
            content=payment_xml("25.50"),
            headers={"Content-Type": "application/xml"},
        )
        assert paid.status_code == 201
        shown = await http.get(paid.headers["Location"])
        assert shown.status_code == 200
        assert '<amount type="decimal">25.5</amount>' in shown.text

        balance = (await http.get(invoice, headers={"Accept": "application/json"})).json()
        assert (balance["invoice"]["due_amount"], balance["invoice"]["state"]) == (74.5, "partial")
        assert (await http.delete(paid.headers["Location"])).status_code == 200
        assert (await http.get(f"{invoice}/payments")).text.count("<payment>") == 0


def test_serve_runs_each_worker_on_uvloop_and_httptools(
    live_service: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, _ = live_service
    workers = workers_of(process.pid)
    assert len(workers) == 2
    for worker in workers:
        loaded = Path(f"/proc/{worker}/maps").read_text()  # the shared libraries it runs
        assert "/uvloop/loop." in loaded
        assert "/httptools/parser/" in loaded
