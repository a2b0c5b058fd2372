"""Published Harvest clients and connectors as `make clients` installs them (each in its own
environment under HARVEST_CLIENTS), and their drivers (tests/clients/drivers/), run on
loopback only."""

import asyncio
import json
import os
from pathlib import Path
from typing import Any

CLIENTS = os.environ.get("HARVEST_CLIENTS")
DRIVERS = Path(__file__).parents[1] / "clients" / "drivers"
# Python HTTP libraries (requests, urllib) send anything not for loopback through this proxy,
# where nothing listens (port 9, discard): a client reaching for Harvest itself fails at once.
DEAD_PROXY = "http://127.0.0.1:9"
LOOPBACK_ONLY = {
    name: value
    for key, value in {
        "http_proxy": DEAD_PROXY,
        "https_proxy": DEAD_PROXY,
        "no_proxy": "127.0.0.1,localhost",
    }.items()
    for name in (key, key.upper())
}


def installed(name: str, program: str = "bin/python") -> Path:
    """The interpreter of the client `name`'s environment (as `make clients` lays them out)."""
    assert CLIENTS is not None
    return Path(CLIENTS).resolve() / name / program


async def run_driver(program: Path | str, driver: str, **env: str) -> str:
    """Run `drivers/<driver>` with `program` (a path, or a command on PATH); its stdout.
    Fails with its stderr when it fails."""
    process = await asyncio.create_subprocess_exec(
        program,
        DRIVERS / driver,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PATH": os.environ["PATH"], **LOOPBACK_ONLY, **env},
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=300)
    assert process.returncode == 0, err.decode()[-4000:]
    return out.decode()


def json_lines(output: str) -> list[dict[str, Any]]:
    """The JSON messages a tap or source wrote, one a line."""
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]
