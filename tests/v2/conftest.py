"""Harvest's in-scope v2 description, as a dict and as a JSON file (support/harvest_spec.py)."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.harvest_spec import in_scope_spec, shared_spec


@pytest.fixture(scope="session")
def harvest_spec() -> dict[str, Any]:
    """Harvest's v2 description, in-scope paths only (skips without the shared file)."""
    return in_scope_spec(shared_spec("harvest-v2-openapi.yaml", variable="HARVEST_V2_SPEC"))


@pytest.fixture(scope="session")
def harvest_spec_file(
    tmp_path_factory: pytest.TempPathFactory, harvest_spec: dict[str, Any]
) -> Path:
    """Harvest's v2 description, in-scope paths only, as JSON (YAML's integer status keys
    are not valid OpenAPI once parsed; JSON writes them as strings)."""
    path = tmp_path_factory.mktemp("harvest-spec") / "harvest-v2-in-scope.json"
    path.write_text(json.dumps(harvest_spec))
    return path
