"""Dockerfile and docker-compose.yml (no Docker engine here): they run real commands, and those
commands work."""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from payments_service.cli import parser

ROOT = Path(__file__).parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def instruction(name: str) -> list[str]:
    """Every argument of a Dockerfile instruction, continuation lines joined."""
    text = DOCKERFILE.replace("\\\n", " ")
    return re.findall(rf"^{name}\s+(.*)$", text, flags=re.MULTILINE)


def test_the_image_is_multi_stage_non_root_and_checks_healthz() -> None:
    assert len(instruction("FROM")) >= 2
    (user,) = instruction("USER")
    assert user.strip() not in ("root", "0")
    (healthcheck,) = instruction("HEALTHCHECK")
    assert "/healthz" in healthcheck
    (cmd,) = instruction("CMD")
    assert json.loads(cmd) == ["payments-service", "serve"]


def test_compose_runs_postgres_with_a_volume_a_one_shot_migration_and_the_service() -> None:
    services = COMPOSE["services"]
    assert services["db"]["image"].startswith("postgres")
    assert any(volume.split(":")[0] in COMPOSE["volumes"] for volume in services["db"]["volumes"])
    assert services["migrate"]["command"] == ["payments-service", "migrate"]
    assert services["migrate"]["restart"] == "no"
    condition = services["api"]["depends_on"]["migrate"]["condition"]
    assert condition == "service_completed_successfully"


def test_every_payments_service_command_they_run_is_a_real_cli_command() -> None:
    commands = [json.loads(cmd) for cmd in instruction("CMD")]
    commands += [
        service["command"] for service in COMPOSE["services"].values() if "command" in service
    ]
    ours = [command for command in commands if command[0] == "payments-service"]
    assert len(ours) >= 3
    for command in ours:
        parser().parse_args(command[1:])  # exits 2 (SystemExit) on an unknown command or option


def test_the_migration_command_of_compose_migrates(database_url: str) -> None:
    command = COMPOSE["services"]["migrate"]["command"]
    result = subprocess.run(
        [sys.executable, "-m", "payments_service.cli", *command[1:]],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "migrations applied" in result.stderr


def test_the_image_health_check_passes_against_a_running_service(live_server: str) -> None:
    (healthcheck,) = instruction("HEALTHCHECK")
    check = shlex.split(healthcheck.split(" CMD ", 1)[1])
    assert check[0] == "python"
    port = live_server.rsplit(":", 1)[1]
    result = subprocess.run(
        [sys.executable, *check[1:]],
        env={**os.environ, "PORT": port},
        capture_output=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
