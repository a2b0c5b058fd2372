"""Drive the service with wrk (keep-alive, fixed duration) through load.lua."""

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.figures import Figures

SCRIPT = Path(__file__).with_name("load.lua")


def ensure_wrk() -> str:
    """The wrk binary, installed from Debian when missing (as root); a clear error otherwise."""
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench: needs wrk (Debian: apt-get install wrk)")
    return found


def run(
    base_url: str,
    *,
    paths: list[str],
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str],
    seconds: float,
    connections: int,
) -> Figures:
    """wrk with one thread: the service, PostgreSQL and wrk share the same two cores."""
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        paths_file = Path(tmp, "paths")
        paths_file.write_text("\n".join(paths) + "\n")
        args = [str(paths_file), method]
        if body is not None:
            body_file = Path(tmp, "body")
            body_file.write_bytes(body)
            args.append(str(body_file))
        command = [ensure_wrk(), "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        command += ["-s", str(SCRIPT), base_url, "--", *args]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH "))
    raw = json.loads(line.removeprefix("BENCH "))
    errors = raw["status_errors"] + raw["socket_errors"]
    return Figures(
        requests=raw["requests"] - raw["status_errors"],
        errors=errors,
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        p999_ms=raw["p999_us"] / 1000,
    )
