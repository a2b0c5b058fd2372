"""The server processes: one uvicorn server, or uvicorn's supervisor of several workers, with
this service's socket limits, graceful stop and one start-up line saying where it listens."""

import logging
import os
import resource
import socket
import tempfile
from pathlib import Path

import uvicorn
from uvicorn.supervisors import Multiprocess

from payments_service import __version__
from payments_service.config import Settings
from payments_service.http.edge import HeaderLimitedProtocol

logger = logging.getLogger("payments_service")


def _listening(config: uvicorn.Config) -> None:
    host = f"[{config.host}]" if ":" in config.host else config.host
    url = f"http://{host}:{config.port}"
    logger.info("payments-service %s listening on %s, API docs at %s/docs", __version__, url, url)


class Server(uvicorn.Server):
    """uvicorn's server, ending its start-up with one line: where it listens, where the docs are."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            _listening(self.config)


class Supervisor(Multiprocess):
    """uvicorn's worker supervisor, except that on SIGTERM it stops listening at once: new
    connections are refused while the workers finish the requests in flight. (uvicorn's own
    keeps the socket open until its workers exit, so connections queue there unanswered.)
    SIGHUP stops it too, as it stops a single worker (uvicorn's would restart the workers)."""

    def init_processes(self) -> None:
        super().init_processes()
        _listening(self.config)

    def terminate_all(self) -> None:
        for sock in self.sockets:
            sock.close()
        super().terminate_all()

    def handle_hup(self) -> None:
        self.handle_term()


def share_metrics_between_workers() -> None:
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


def run(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Serve until stopped (a stop signal re-raised once it has shut down)."""
    _allow_open_files(settings.max_connections_per_worker + 256)  # + the pool, logs, files
    config = uvicorn.Config(
        "payments_service.main:create_app",
        factory=True,
        host=host,
        port=port,
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
        Server(config).run()  # re-raises the signal that stopped it, once it has shut down
