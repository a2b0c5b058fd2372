"""The `payments-service` command: the service, its database and its accounts."""

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
from email_validator import EmailNotValidError, validate_email
from pydantic import ValidationError

from payments_service import __version__, serving
from payments_service.accounts import repository as accounts_repository
from payments_service.accounts import service as accounts
from payments_service.balances import service as balances
from payments_service.config import get_settings
from payments_service.db.migrate import migrate
from payments_service.db.pool import NoDatabase, database_url, is_unavailable
from payments_service.documents import WEBHOOK, Document
from payments_service.errors import NotFound, ServiceError
from payments_service.http.json_codec import to_json
from payments_service.http.validation import validate
from payments_service.observability import logs
from payments_service.webhooks import service as webhooks
from payments_service.webhooks.dispatcher import dispatch
from payments_service.webhooks.policy import WebhookPolicy
from payments_service.webhooks.schemas import WebhookCreate

logger = logging.getLogger("payments_service")

T = TypeVar("T")


class UsageError(Exception):
    """A bad argument found only by looking in the database (e.g. an unknown account): exit 2."""


def _with_connection(work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    async def run() -> T:
        conn = await asyncpg.connect(database_url(get_settings()))
        try:
            return await work(conn)
        finally:
            await conn.close()

    return asyncio.run(run())


def cmd_migrate(args: argparse.Namespace) -> int:
    migrate(database_url(get_settings()))
    print("migrations applied", file=sys.stderr)
    return 0


async def _first_steps(conn: asyncpg.Connection) -> str:
    """What a new database still needs before the service is of use, if anything."""
    try:
        if await accounts_repository.any_account(conn):
            return ""
    except asyncpg.UndefinedTableError:
        return "The database has no tables yet: run `payments-service migrate`.\n"
    return (
        "No accounts yet. Create one, then a token for it:\n"
        "  payments-service create-account demo\n"
        "  payments-service create-token --account demo --email you@example.com\n"
    )


def cmd_serve(args: argparse.Namespace) -> int:
    # From here on a stop signal is the normal end: shut down gracefully, then exit 0.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, lambda signum, frame: sys.exit(0))
    settings = get_settings()
    logs.configure(settings.log_level)
    workers: int = args.workers
    if workers > 1:
        serving.share_metrics_between_workers()
    # Workers are separate processes: hand them the resolved URL, not a second embedded server.
    os.environ["DATABASE_URL"] = database_url(settings)
    try:
        print(_with_connection(_first_steps), file=sys.stderr, end="")
    except Exception as exc:
        if not is_unavailable(exc):
            raise  # unreachable: the service starts anyway, and connects when it can
    serving.run(settings, host=args.host, port=args.port, workers=workers)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    checked, problems = _with_connection(balances.verify_balances)
    for problem in problems:
        print(problem)
    summary = f"checked {checked} invoices, {len(problems)} disagree with their payments"
    print(summary, file=sys.stderr)
    return 1 if problems else 0


def cmd_create_account(args: argparse.Namespace) -> int:
    account_id = _with_connection(
        lambda conn: accounts.create_account(
            conn, name=args.name, invoices_enabled=not args.invoices_disabled
        )
    )
    print(account_id)
    print(f"created account {account_id} ({args.name})", file=sys.stderr)
    return 0


async def _account_id(conn: asyncpg.Connection, account: str) -> int:
    try:
        return await accounts.find_account(conn, account=account)
    except NotFound as exc:
        raise UsageError(f"argument --account: {exc}") from None


def cmd_create_token(args: argparse.Namespace) -> int:
    async def work(conn: asyncpg.Connection) -> str:
        account_id = await _account_id(conn, args.account)
        return await accounts.create_token(
            conn, account_id=account_id, email=args.email, name=args.name
        )

    print(_with_connection(work))
    return 0


def cmd_revoke_token(args: argparse.Namespace) -> int:
    token_id = _with_connection(lambda conn: accounts.revoke_token(conn, token=args.token))
    print(f"token {token_id} revoked", file=sys.stderr)
    return 0


def cmd_set_account_active(args: argparse.Namespace) -> int:
    async def work(conn: asyncpg.Connection) -> int:
        account_id = await _account_id(conn, args.account)
        await accounts.set_account_active(conn, account_id=account_id, active=args.active)
        return account_id

    account_id = _with_connection(work)
    print(f"account {account_id} {'enabled' if args.active else 'disabled'}", file=sys.stderr)
    return 0


async def _add_webhook(conn: asyncpg.Connection, account_id: int, url: str) -> Any:
    policy = WebhookPolicy.of(get_settings())
    admitted = await webhooks.admit(policy, validate(WebhookCreate, {"url": url}).url)
    async with conn.transaction():
        return await webhooks.create_webhook(
            conn, account_id=account_id, url=admitted, policy=policy
        )


async def _remove_webhook(conn: asyncpg.Connection, account_id: int, subscription_id: int) -> None:
    async with conn.transaction():
        await webhooks.delete_webhook(conn, account_id=account_id, subscription_id=subscription_id)


WEBHOOK_ACTIONS: dict[str, Callable[[asyncpg.Connection, int, argparse.Namespace], Any]] = {
    "add": lambda conn, account_id, args: _add_webhook(conn, account_id, args.url),
    "list": lambda conn, account_id, args: webhooks.list_webhooks(conn, account_id=account_id),
    "remove": lambda conn, account_id, args: _remove_webhook(conn, account_id, args.id),
    "replay": lambda conn, account_id, args: webhooks.replay_dead(
        conn, account_id=account_id, subscription_id=args.id
    ),
}


def cmd_webhooks(args: argparse.Namespace) -> int:
    """Print the subscription(s) as the API's JSON (the secret only from `add`)."""

    async def work(conn: asyncpg.Connection) -> Any:
        account_id = await _account_id(conn, args.account)
        return await WEBHOOK_ACTIONS[args.action](conn, account_id, args)

    result = _with_connection(work)
    if result is not None:
        print(to_json(Document(WEBHOOK, result)).decode())
    return 0


def cmd_dispatch(args: argparse.Namespace) -> int:
    settings = get_settings()
    url = database_url(settings)

    async def run() -> None:
        task = asyncio.create_task(dispatch(url, settings, WebhookPolicy.of(settings)))
        for stop in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            asyncio.get_running_loop().add_signal_handler(stop, task.cancel)
        print("dispatching webhooks; Ctrl-C to stop", file=sys.stderr, flush=True)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(run())
    return 0


def cmd_db_stop(args: argparse.Namespace) -> int:
    from payments_service.db import embedded  # needs the `embedded` extra, like the server

    pgdata = get_settings().data_dir / "pg"
    try:
        pid = embedded.stop_leftover(pgdata)
    except RuntimeError as exc:
        print(f"error: {pgdata}: {exc}", file=sys.stderr)
        return 1
    if pid is None:
        print(f"no embedded PostgreSQL runs in {pgdata}", file=sys.stderr)
    else:
        print(f"stopped the embedded PostgreSQL of {pgdata} (pid {pid})", file=sys.stderr)
    return 0


# Options whose default comes from the environment variable of the same name, upper-cased.
FROM_ENVIRONMENT = {"host", "port", "workers"}


class HelpFormatter(argparse.HelpFormatter):
    """Shows each option's default, when it has one worth showing, and its variable."""

    def _get_help_string(self, action: argparse.Action) -> str:
        notes = []
        if action.default not in (None, False, argparse.SUPPRESS) and action.option_strings:
            notes.append("default: %(default)s")
        if action.dest in FROM_ENVIRONMENT:
            notes.append(f"env {action.dest.upper()}")
        return f"{action.help} ({', '.join(notes)})" if notes else action.help or ""


def non_empty(value: str) -> str:
    if not value.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return value.strip()


def email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not an email address: {exc}") from None


def bounded(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"{number} is not between {low} and {high}")
        return number

    return parse


DATABASE = (
    "The database is DATABASE_URL, or when it is unset the embedded PostgreSQL in DATA_DIR/pg "
    "(DATA_DIR: .data unless set), started for the command when the service is not running. "
    "LOG_LEVEL (INFO) sets what the service logs. docs/operations.md has the details."
)
ACCOUNT = "the account: the id create-account printed, or its name"


def parser() -> argparse.ArgumentParser:
    settings = get_settings()
    root = argparse.ArgumentParser(
        prog="payments-service", description=__doc__, epilog=DATABASE, formatter_class=HelpFormatter
    )
    root.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = root.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="what to do (COMMAND --help: more)"
    )

    def command(name: str, help_text: str, run: Callable[[argparse.Namespace], int]) -> Any:
        sub = commands.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=DATABASE,
            formatter_class=HelpFormatter,
        )
        sub.set_defaults(run=run)
        return sub

    command("migrate", "apply the database migrations", cmd_migrate)
    serve = command("serve", "run the HTTP service until SIGINT, SIGTERM or SIGHUP", cmd_serve)
    serve.add_argument("--host", default=settings.host, type=non_empty, help="address to listen on")
    serve.add_argument("--port", default=settings.port, type=bounded(1, 65535), help="TCP port")
    serve.add_argument(
        "--workers",
        default=settings.workers,
        type=bounded(1, 64),
        help="worker processes",
    )
    command("verify", "check every invoice's balance and state against its payments", cmd_verify)

    account = command("create-account", "create an account and print its id", cmd_create_account)
    account.add_argument("name", type=non_empty, help="the account's name, unique")
    account.add_argument(
        "--invoices-disabled", action="store_true", help="its tokens are refused on invoices"
    )

    token = command(
        "create-token",
        "print a new token for a user of an account (the user is created when missing)",
        cmd_create_token,
    )
    token.add_argument("--account", required=True, type=non_empty, help=ACCOUNT)
    token.add_argument("--email", required=True, type=email, help="the user's email address")
    token.add_argument(
        "--name",
        type=non_empty,
        help="a new user's name (default: the part of the email before the @)",
    )

    revoke = command(
        "revoke-token", "revoke a token at once: give the whole token, or its id", cmd_revoke_token
    )
    revoke.add_argument("token", help="ps_<account>_<id>_<secret>, or just <id>")

    for name, active, effect in [("disable", False, "refused (403)"), ("enable", True, "served")]:
        toggle = command(
            f"{name}-account", f"{name} an account: its tokens are {effect}", cmd_set_account_active
        )
        toggle.add_argument("account", type=non_empty, help=ACCOUNT)
        toggle.set_defaults(active=active)

    hooks = command("webhooks", "manage an account's webhook subscriptions", cmd_webhooks)
    hooks.add_argument("--account", required=True, type=non_empty, help=ACCOUNT)
    actions = hooks.add_subparsers(
        dest="action", required=True, metavar="ACTION", help="what to do"
    )
    actions.add_parser("add", help="subscribe URL, print the secret once").add_argument(
        "url", help="http(s) URL that receives the events"
    )
    actions.add_parser("list", help="list subscriptions with pending and dead deliveries")
    for action, help_text in (("remove", "unsubscribe"), ("replay", "send dead deliveries again")):
        actions.add_parser(action, help=help_text).add_argument(
            "id", type=bounded(1, 2**63 - 1), help="the subscription's id"
        )

    command("dispatch", "send webhooks until SIGINT, SIGTERM or SIGHUP", cmd_dispatch)

    db = command(
        "db", "the embedded PostgreSQL under DATA_DIR/pg (without DATABASE_URL)", cmd_db_stop
    )
    db_actions = db.add_subparsers(
        dest="action", required=True, metavar="ACTION", help="what to do"
    )
    db_actions.add_parser(
        "stop", help="stop an embedded server that no running payments-service uses"
    )
    return root


def _stop(signum: int, frame: object) -> None:
    """SIGINT or SIGTERM: exit as if killed by it (128 + its number), but through a normal
    exit, so that exit handlers (the embedded database's) run."""
    raise SystemExit(128 + signum)


def _stop_signals() -> None:
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    # A closed terminal: as SIGTERM (uvicorn, when it runs, shuts down gracefully on that).
    signal.signal(signal.SIGHUP, lambda signum, frame: signal.raise_signal(signal.SIGTERM))


def main(argv: list[str] | None = None) -> int:
    _stop_signals()
    try:
        args = parser().parse_args(argv)
        code: int = args.run(args)
    except ValidationError as exc:  # the environment's settings
        for error in exc.errors():
            variable = str(error["loc"][0]).upper()
            print(f"error: {variable}={error['input']!r}: {error['msg']}", file=sys.stderr)
        return 2
    except NoDatabase as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"payments-service {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
