"""`payments-service serve` as a process on a free loopback port, as production runs it."""

import os
import signal
import socket
import subprocess
import sys
import time

import httpx

from tests.support.auth import METRICS_TOKEN

LOOPBACK = "127.0.0.0/8"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    database_url: str,
    *,
    workers: int = 2,
    env: dict[str, str] | None = None,
    stderr: int | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """`payments-service serve` on a free port, once it answers: the process and its base URL."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DB_POOL_SIZE": "10",
        "DISPATCHER_ENABLED": "false",  # webhook tests start the dispatchers they need
        "METRICS_TOKEN": METRICS_TOKEN,
        # Subscribers on loopback; no host name is looked up (no DNS from tests).
        "WEBHOOK_ALLOWED_PRIVATE_NETWORKS": LOOPBACK,
        "WEBHOOK_REGISTRATION_LOOKUP": "false",
        **(env or {}),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "payments_service.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=environment,
        stderr=stderr,
        start_new_session=True,  # its own process group, so a test can kill it whole
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # a loaded machine restarts slow workers a few times
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            os.killpg(process.pid, signal.SIGKILL)
            raise RuntimeError("the live server did not start")
        time.sleep(0.2)
    return process, base
