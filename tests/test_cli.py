"""The `payments-service` command, run as a user would run it."""

import argparse
from importlib.metadata import version
from pathlib import Path

import asyncpg
import httpx
import pytest

from payments_service.cli import FROM_ENVIRONMENT, parser
from tests.support.api import create_invoice, payment_xml
from tests.support.auth import Account
from tests.support.cli import cli
from tests.support.database import snapshot

pytestmark = pytest.mark.system


def test_version_is_the_packages() -> None:
    result = cli("--version", database_url=None)
    assert (result.returncode, result.stdout) == (
        0,
        f"payments-service {version('payments-service')}\n",
    )


def undocumented(parser: argparse.ArgumentParser, path: str = "") -> list[str]:
    """Every argument, option and (sub)command of `parser` without help text."""
    missing = []
    for action in parser._actions:
        if not action.help:
            missing.append(f"{path} {action.dest}")
        if isinstance(action, argparse._SubParsersAction):
            helped = {choice.dest for choice in action._choices_actions if choice.help}
            missing += [f"{path} {name}" for name in action.choices if name not in helped]
            for name, sub in action.choices.items():
                missing += undocumented(sub, f"{path} {name}")
    return missing


def test_every_command_and_option_has_help_and_serves_shows_its_defaults_and_variables() -> None:
    assert undocumented(parser()) == []

    help_text = cli("serve", "--help", database_url=None, env={"PORT": "8123"}).stdout
    for option in FROM_ENVIRONMENT:
        line = next(
            line for line in help_text.splitlines() if line.strip().startswith(f"--{option} ")
        )
        assert f"env {option.upper()}" in line
    assert "--port PORT        TCP port (default: 8123, env PORT)" in help_text


async def test_create_account_prints_its_id_and_says_what_it_created(
    database_url: str, db: asyncpg.Pool
) -> None:
    result = cli("create-account", "Initech", "--invoices-disabled", database_url=database_url)
    assert result.returncode == 0, result.stderr
    row = await db.fetchrow("SELECT id, invoices_enabled FROM accounts WHERE name = 'Initech'")
    assert result.stdout == f"{row['id']}\n"
    assert result.stderr == f"created account {row['id']} (Initech)\n"
    assert row["invoices_enabled"] is False


@pytest.mark.parametrize("given", ["id", "name"])
async def test_create_token_takes_the_id_create_account_printed_or_the_name(
    database_url: str, client: httpx.AsyncClient, db: asyncpg.Pool, given: str
) -> None:
    account_id = cli("create-account", "Cli Co", database_url=database_url).stdout.strip()
    result = cli(
        "create-token",
        "--account",
        account_id if given == "id" else "Cli Co",
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
    user = await db.fetchrow("SELECT account_id, name FROM users WHERE email = 'ops@cli.example'")
    assert (str(user["account_id"]), user["name"]) == (account_id, "Ops")
    assert await db.fetchval("SELECT count(*) FROM accounts") == 1


async def test_an_unknown_account_is_a_usage_error_never_a_new_account(
    database_url: str, db: asyncpg.Pool, owner: Account
) -> None:
    before = await snapshot(db)
    for account in (str(owner.id + 1), "Nobody Inc"):
        result = cli(
            "create-token",
            "--account",
            account,
            "--email",
            "a@x.example",
            database_url=database_url,
        )
        assert (result.returncode, result.stdout) == (2, "")
        assert f"No account {account!r}: give the id that create-account printed" in result.stderr
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        ((), "the following arguments are required: COMMAND"),
        (("nope",), "invalid choice: 'nope'"),
        (("create-token", "--account", "x"), "the following arguments are required: --email"),
        (("create-token", "--account", "x", "--email", "not-an-email"), "is not an email address"),
        (("create-token", "--account", "x", "--email", "a@b"), "is not an email address"),
        (("create-token", "--account", " ", "--email", "a@x.example"), "--account: must not be"),
        (
            ("create-token", "--account", "x", "--email", "a@x.example", "--name", ""),
            "--name: must",
        ),
        (("create-account", ""), "argument name: must not be empty"),
        (("disable-account", ""), "argument account: must not be empty"),
        (("serve", "--port", "abc"), "--port: 'abc' is not a whole number"),
        (("serve", "--port", "70000"), "--port: 70000 is not between 1 and 65535"),
        (("serve", "--workers", "0"), "--workers: 0 is not between 1 and 64"),
        (("webhooks", "--account", "x", "remove", "-1"), "argument id"),
    ],
)
async def test_bad_arguments_get_usage_a_clear_message_exit_2_and_change_nothing(
    database_url: str, db: asyncpg.Pool, args: tuple[str, ...], complaint: str
) -> None:
    before = await snapshot(db)
    result = cli(*args, database_url=database_url)
    assert (result.returncode, result.stdout) == (2, "")
    assert "usage: payments-service" in result.stderr
    assert complaint in result.stderr
    assert await snapshot(db) == before


def test_a_bad_environment_variable_is_named_with_exit_2() -> None:
    result = cli("serve", database_url=None, env={"PORT": "abc"})
    assert result.returncode == 2
    assert result.stderr.startswith("error: PORT='abc': Input should be a valid integer")


def test_a_normal_run_on_the_embedded_database_prints_nothing_but_its_answer(
    tmp_path: Path,
) -> None:
    """No warning (e.g. about XDG_RUNTIME_DIR, unset here), no start-up chatter."""
    environment: dict[str, str | None] = {"DATA_DIR": str(tmp_path), "XDG_RUNTIME_DIR": None}
    migrated = cli("migrate", database_url=None, env=environment)
    assert (migrated.returncode, migrated.stderr) == (0, "migrations applied\n")
    created = cli("create-account", "Quiet", database_url=None, env=environment)
    assert (created.returncode, created.stdout, created.stderr) == (
        0,
        "1\n",
        "created account 1 (Quiet)\n",
    )


async def test_an_email_of_another_account_is_refused(database_url: str) -> None:
    first, second = (
        cli("create-account", name, database_url=database_url).stdout.strip()
        for name in ("A1", "B1")
    )
    ok = cli(
        "create-token", "--account", first, "--email", "same@x.example", database_url=database_url
    )
    refused = cli(
        "create-token", "--account", second, "--email", "same@x.example", database_url=database_url
    )
    assert ok.returncode == 0
    assert (refused.returncode, refused.stdout) == (1, "")
    assert "another account" in refused.stderr


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
