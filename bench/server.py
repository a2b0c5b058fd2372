"""The service as deployed: `payments-service serve` (uvicorn, N workers, access log off)."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil


@dataclass
class Service:
    base_url: str
    process: subprocess.Popen[bytes]
    workers: int

    def worker_processes(self) -> list[psutil.Process]:
        """The uvicorn worker processes (the server process itself when there is one worker)."""
        if self.workers == 1:
            return [psutil.Process(self.process.pid)]
        children = psutil.Process(self.process.pid).children(recursive=True)
        return [child for child in children if "spawn_main" in " ".join(child.cmdline())]

    def worker_rss_mb(self) -> list[float]:
        return [round(p.memory_info().rss / 2**20, 1) for p in self.worker_processes()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(service: Service, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise SystemExit("bench: the service exited at start")
        try:
            up = httpx.get(f"{service.base_url}/openapi.json", timeout=1).status_code == 200
        except httpx.HTTPError:
            up = False
        if up and len(service.worker_processes()) == service.workers:
            return
        time.sleep(0.2)
    raise SystemExit("bench: the service did not start")


@contextmanager
def _serving(command: list[str], env: dict[str, str], workers: int, log: Path) -> Iterator[Service]:
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    service = Service(f"http://127.0.0.1:{command[command.index('--port') + 1]}", process, workers)
    try:
        _wait_until_up(service)
        time.sleep(1)  # every worker has bound the socket and opened its pool
        yield service
    finally:
        process.terminate()
        process.wait(timeout=30)


def running(
    database_url: str, *, workers: int, pool_size: int, log: Path
) -> AbstractContextManager[Service]:
    """The service, its output appended to `log` (clients cut off at the end of a run log there)."""
    env = {**os.environ, "DATABASE_URL": database_url, "DB_POOL_SIZE": str(pool_size)}
    command = [sys.executable, "-m", "payments_service.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(free_port()), "--workers", str(workers)]
    return _serving(command, env, workers, log)


def app_running(
    app: str, database_url: str, *, workers: int, pool_size: int, account_id: int, log: Path
) -> AbstractContextManager[Service]:
    """A bench ASGI app (`bench.floor:app`, `bench.peer:app`) under uvicorn, set up as `serve`
    sets up the service."""
    env = {**os.environ, "DATABASE_URL": database_url, "BENCH_POOL_SIZE": str(pool_size),
           "BENCH_ACCOUNT": str(account_id)}  # fmt: skip
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1"]
    command += ["--port", str(free_port()), "--workers", str(workers), "--loop", "uvloop"]
    command += ["--http", "httptools", "--no-access-log", "--log-level", "warning"]
    return _serving(command, env, workers, log)
