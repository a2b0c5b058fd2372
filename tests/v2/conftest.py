"""Helpers for /v2 tests: the headers a Harvest v2 client sends; the in-scope Harvest spec."""

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Account, shared_spec
from tests.v2.harvest_spec import in_scope_spec

USER_AGENT = "PaymentsTests (tests@example.com)"


def v2_headers(account: Account) -> dict[str, str]:
    return {
        **account.auth,
        "Harvest-Account-Id": str(account.id),
        "User-Agent": USER_AGENT,
    }


async def v2_post(
    client: httpx.AsyncClient, account: Account, path: str, body: dict[str, object]
) -> httpx.Response:
    return await client.post(f"/v2{path}", json=body, headers=v2_headers(account))


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
