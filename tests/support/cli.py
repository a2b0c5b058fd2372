"""The `payments-service` command, run as a user would run it."""

import os
import subprocess
import sys


def cli(
    *args: str, database_url: str | None, env: dict[str, str | None] | None = None
) -> subprocess.CompletedProcess[str]:
    """The command, with DATABASE_URL (none: the embedded database) and `env` (None: unset)."""
    environment = {**os.environ, "DATABASE_URL": database_url, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "payments_service.cli", *args],
        env={k: v for k, v in environment.items() if v is not None},
        capture_output=True,
        text=True,
        timeout=120,
    )
