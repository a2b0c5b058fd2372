"""The `payments-service` command. Uses DATABASE_URL, or the embedded database of `make run`."""

import argparse
import asyncio
import contextlib
import os
import resource
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import uvicorn
from uvicorn.supervisors import Multiprocess

from payments_service.accounts import repository as accounts_repository
from payments_service.accounts import service as accounts
from payments_service.config import get_settings
from payments_service.database import database_url
from payments_service.edge import HeaderLimitedProtocol
from payments_service.errors import ServiceError
from payments_service.invoices import service as invoices
from payments_service.json_wire import to_json
from payments_service.observability import logs
from payments_service.schema import migrate
from payments_service.validation import validate
from payments_service.webhooks import service as webhooks
from payments_service.webhooks.dispatcher import dispatch
from payments_service.webhooks.policy import WebhookPolicy
from payments_service.webhooks.schemas import WebhookCreate
from payments_service.wire import WEBHOOK, Document

T = TypeVar("T")


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


class Supervisor(Multiprocess):
    """uvicorn's worker supervisor, except that on SIGTERM it stops listening at once: new
    connections are refused while the workers finish the requests in flight. (uvicorn's own
    keeps the socket open until its workers exit, so connections queue there unanswered.)"""

    def terminate_all(self) -> None:
        for sock in self.sockets:
            sock.close()
        super().terminate_all()


def _share_metrics_between_workers() -> None:
    """Workers write their samples to PROMETHEUS_MULTIPROC_DIR (a fresh one unless given), so
    /metrics on any worker reports them all."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        for stale in Path(given).glob("*.db"):  # a previous run's samples
            stale.unlink()
    else:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="payments-metrics-")


def _allow_open_files(wanted: int) -> None:
    """Raise the soft open-file limit towards `wanted` (as far as the hard limit allows), so
    the connection cap, not the file descriptors, decides when connections are refused."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))


def cmd_serve(args: argparse.Namespace) -> int:
    settings = get_settings()
    logs.configure(settings.log_level)
    workers = args.workers or settings.workers
    if workers > 1:
        _share_metrics_between_workers()
    # Workers are separate processes: hand them the resolved URL, not a second embedded server.
    os.environ["DATABASE_URL"] = database_url(settings)
    if not _with_connection(accounts_repository.any_account):
        print(
            "No accounts yet. Get a token with:\n"
            "  payments-service create-token --account demo --email you@example.com",
            file=sys.stderr,
        )
    _allow_open_files(settings.max_connections_per_worker + 256)  # + the pool, logs, files
    config = uvicorn.Config(
        "payments_service.main:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=workers,
        loop="uvloop",
        http=HeaderLimitedProtocol,  # httptools, with header size and time limits
        timeout_keep_alive=settings.keepalive_timeout_seconds,
        limit_concurrency=settings.max_connections_per_worker,  # beyond: 503 at once
        access_log=False,  # ours logs one JSON line per request, with its request id
        log_config=None,  # logs.configure routes uvicorn's records through our JSON renderer
        # On SIGTERM: stop accepting, let requests in flight finish for up to 10 s.
        timeout_graceful_shutdown=10,
        # uvicorn kills a worker that misses a 5 s ping; a worker still importing on a busy
        # machine is not hung, so give it longer.
        timeout_worker_healthcheck=30,
    )
    if config.workers > 1:
        Supervisor(config, sockets=[config.bind_socket()]).run()
    else:
        uvicorn.Server(config).run()
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    checked, problems = _with_connection(invoices.verify_balances)
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
    return 0


def cmd_create_token(args: argparse.Namespace) -> int:
    token = _with_connection(
        lambda conn: accounts.create_token(
            conn, account=args.account, email=args.email, name=args.name
        )
    )
    print(token)
    return 0


def cmd_revoke_token(args: argparse.Namespace) -> int:
    token_id = _with_connection(lambda conn: accounts.revoke_token(conn, token=args.token))
    print(f"token {token_id} revoked", file=sys.stderr)
    return 0


def cmd_set_account_active(args: argparse.Namespace) -> int:
    _with_connection(
        lambda conn: accounts.set_account_active(conn, name=args.name, active=args.active)
    )
    print(f"account {args.name!r} {'enabled' if args.active else 'disabled'}", file=sys.stderr)
    return 0


async def _add_webhook(conn: asyncpg.Connection, account_id: int, url: str) -> Any:
    policy = WebhookPolicy.of(get_settings())
    admitted = await webhooks.admit(policy, validate(WebhookCreate, {"url": url}).url)
    async with conn.transaction():
        return await webhooks.create_webhook(
            conn, account_id=account_id, url=admitted, policy=policy
        )


WEBHOOK_ACTIONS: dict[str, Callable[[asyncpg.Connection, int, argparse.Namespace], Any]] = {
    "add": lambda conn, account_id, args: _add_webhook(conn, account_id, args.url),
    "list": lambda conn, account_id, args: webhooks.list_webhooks(conn, account_id=account_id),
    "remove": lambda conn, account_id, args: webhooks.delete_webhook(
        conn, account_id=account_id, subscription_id=args.id
    ),
    "replay": lambda conn, account_id, args: webhooks.replay_dead(
        conn, account_id=account_id, subscription_id=args.id
    ),
}


def cmd_webhooks(args: argparse.Namespace) -> int:
    """Print the subscription(s) as the API's JSON (the secret only from `add`)."""

    async def work(conn: asyncpg.Connection) -> Any:
        account_id = await accounts.account_id_of(conn, name=args.account)
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
        for stop in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(stop, task.cancel)
        print("dispatching webhooks; Ctrl-C to stop", file=sys.stderr, flush=True)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(run())
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="payments-service", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=cmd_migrate)

    commands.add_parser(
        "verify", help="check every invoice's balance and state against its payments"
    ).set_defaults(run=cmd_verify)

    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.set_defaults(run=cmd_serve)

    account = commands.add_parser("create-account", help="create an account, print its id")
    account.add_argument("name")
    account.add_argument("--invoices-disabled", action="store_true")
    account.set_defaults(run=cmd_create_account)

    token = commands.add_parser(
        "create-token", help="create a token (and the account and user when missing), print it"
    )
    token.add_argument("--account", required=True)
    token.add_argument("--email", required=True)
    token.add_argument("--name")
    token.set_defaults(run=cmd_create_token)

    revoke = commands.add_parser(
        "revoke-token", help="revoke a token at once: give the whole token, or its id"
    )
    revoke.add_argument("token", help="ps_<account>_<id>_<secret>, or just <id>")
    revoke.set_defaults(run=cmd_revoke_token)

    for name, active, action in [("disable", False, "refused (403)"), ("enable", True, "served")]:
        toggle = commands.add_parser(
            f"{name}-account", help=f"{name} an account: its tokens are {action}"
        )
        toggle.add_argument("name")
        toggle.set_defaults(run=cmd_set_account_active, active=active)

    hooks = commands.add_parser("webhooks", help="manage an account's webhook subscriptions")
    hooks.add_argument("--account", required=True, help="the account's name")
    actions = hooks.add_subparsers(dest="action", required=True)
    actions.add_parser("add", help="subscribe URL, print the secret once").add_argument("url")
    actions.add_parser("list", help="list subscriptions with pending and dead deliveries")
    for action, help_text in (("remove", "unsubscribe"), ("replay", "send dead deliveries again")):
        actions.add_parser(action, help=help_text).add_argument("id", type=int)
    hooks.set_defaults(run=cmd_webhooks)

    commands.add_parser("dispatch", help="send webhooks until stopped").set_defaults(
        run=cmd_dispatch
    )
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
