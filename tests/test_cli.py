"""The `payments-service` command, run as a user would run it."""

import os
import subprocess
import sys

import asyncpg
import httpx

from tests.conftest import Account, create_invoice, payment_xml


def cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "payments_service.cli", *args],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_create_token_prints_only_a_working_token(
    database_url: str, client: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    result = cli(
        "create-token",
        "--account",
        "Cli Co",
        "--email",
        "ops@cli.example",
        "--name",
        "Ops",
        database_url=database_url,
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert result.stdout == token + "\n"

    response = await client.get("/invoices/1", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404  # authenticated; there is simply no invoice 1
    assert await db.fetchval("SELECT count(*) FROM users WHERE email = 'ops@cli.example'") == 1


async def test_create_account_prints_its_id(database_url: str, db: asyncpg.Pool) -> None:
    result = cli("create-account", "Initech", "--invoices-disabled", database_url=database_url)
    assert result.returncode == 0, result.stderr
    row = await db.fetchrow("SELECT id, invoices_enabled FROM accounts WHERE name = 'Initech'")
    assert result.stdout.strip() == str(row["id"])
    assert row["invoices_enabled"] is False


def test_bad_arguments_get_usage_and_exit_2(database_url: str) -> None:
    for args in [(), ("create-token", "--account", "x"), ("serve", "--port", "abc"), ("nope",)]:
        result = cli(*args, database_url=database_url)
        assert result.returncode == 2
        assert "usage:" in result.stderr


async def test_an_email_of_another_account_is_refused(database_url: str) -> None:
    first = cli(
        "create-token", "--account", "A1", "--email", "same@x.example", database_url=database_url
    )
    second = cli(
        "create-token", "--account", "B1", "--email", "same@x.example", database_url=database_url
    )
    assert first.returncode == 0
    assert second.returncode == 1
    assert second.stdout == ""
    assert "another account" in second.stderr


async def test_verify_passes_consistent_invoices_and_names_each_one_that_disagrees(
    database_url: str, client: httpx.AsyncClient, owner: Account, db: asyncpg.Pool
) -> None:
    consistent = await create_invoice(client, owner, number="1", amount="100.00")
    drifted = await create_invoice(client, owner, number="2", amount="100.00")
    wrong_state = await create_invoice(client, owner, number="3", amount="100.00")
    for invoice_id in (consistent, drifted, wrong_state):
        paid = await client.post(
            f"/invoices/{invoice_id}/payments",
            content=payment_xml("40.00"),
            headers={**owner.auth, "Content-Type": "application/xml"},
        )
        assert paid.status_code == 201

    clean = cli("verify", database_url=database_url)
    assert (clean.returncode, clean.stdout) == (0, "")
    assert "checked 3 invoices, 0 disagree" in clean.stderr

    await db.execute("UPDATE invoices SET due_amount = 70 WHERE id = $1", drifted)
    await db.execute("UPDATE invoices SET state = 'open' WHERE id = $1", wrong_state)
    await db.execute(
        "UPDATE payments SET deleted_at = now() WHERE invoice_id = $1", consistent
    )  # a payment deleted behind the service's back: the stored balance no longer matches
    found = cli("verify", database_url=database_url)
    assert found.returncode == 1
    assert found.stdout.splitlines() == [
        f"account {owner.id} invoice {consistent}: due_amount is 60.0000, amount - payments "
        "is 100.0000; state is partial, its balance says open",
        f"account {owner.id} invoice {drifted}: due_amount is 70.0000, amount - payments "
        "is 60.0000",
        f"account {owner.id} invoice {wrong_state}: state is open, its balance says partial",
    ]
    assert "checked 3 invoices, 3 disagree" in found.stderr
