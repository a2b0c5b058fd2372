"""The `payments-service` command, run as a user would run it."""

import os
import subprocess
import sys

import asyncpg
import httpx


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
