"""The layers depend one way: read from the imports in the source, not from a convention."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "src" / "payments_service"
ROUTERS = ["v1", "v2", "observability/health.py", "observability/router.py"]


def imports(path: Path) -> set[str]:
    """Every module `path` imports, `from a import b` counted as both `a` and `a.b`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def modules(*places: str) -> list[Path]:
    paths = [PACKAGE / place for place in places]
    return [p for path in paths for p in ([path] if path.is_file() else sorted(path.rglob("*.py")))]


@pytest.mark.parametrize("path", modules(*ROUTERS), ids=lambda path: path.name)
def test_routers_call_services_never_repositories(path: Path) -> None:
    assert not {name for name in imports(path) if name.endswith(".repository")}


@pytest.mark.parametrize("path", modules("http"), ids=lambda path: path.name)
def test_the_shared_http_code_knows_nothing_of_v2(path: Path) -> None:
    assert not {name for name in imports(path) if name.startswith("payments_service.v2")}


USE_CASES = [
    *(f"{package}/{layer}.py" for package in ("accounts", "balances", "events", "invoices",
      "payments", "webhooks") for layer in ("service", "repository")),
    "accounts/tokens.py",
    "domain",
]  # fmt: skip


@pytest.mark.parametrize("path", modules(*USE_CASES), ids=lambda path: str(path.parent.name))
def test_services_repositories_and_the_domain_know_nothing_of_http(path: Path) -> None:
    surfaces = ("payments_service.http", "payments_service.v1", "payments_service.v2")
    assert not {name for name in imports(path) if name.startswith(surfaces)}
