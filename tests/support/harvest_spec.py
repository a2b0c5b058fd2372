"""Harvest's own documents beside the checkout, and the in-scope part of its v2 OpenAPI
description, for the client and schemathesis: the operations this service serves under /v2,
and only the components they reference.
"""

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

SHARED = Path(__file__).resolve().parents[3] / "shared"  # beside the checkout


def shared_spec(name: str, *, variable: str) -> Path:
    """One of Harvest's documents: `../shared/spec/<name>` beside the checkout, or the file the
    environment variable `variable` names. Missing (e.g. in a clone of the repository alone):
    the test that needs it skips, saying what to place where."""
    path = Path(os.environ.get(variable) or SHARED / "spec" / name)
    if not path.is_file():
        pytest.skip(f"needs Harvest's {name}: place it at {path}, or set {variable} to its path")
    return path


IN_SCOPE = {
    "/company": ["get"],
    "/invoices": ["get"],
    "/invoices/{invoiceId}": ["get"],
    "/invoices/{invoiceId}/messages": ["post"],
    "/invoices/{invoiceId}/payments": ["get", "post"],
    "/invoices/{invoiceId}/payments/{paymentId}": ["delete"],
    "/users/me": ["get"],
}


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[1]} if "$ref" in node else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node))
    return set()


def in_scope_spec(source: Path) -> dict[str, Any]:
    spec = yaml.safe_load(source.read_text())
    paths = {
        path: {method: spec["paths"][path][method] for method in methods}
        for path, methods in IN_SCOPE.items()
    }
    schemas = spec["components"]["schemas"]
    wanted: set[str] = set()
    todo = _refs(paths)
    while todo:
        name = todo.pop()
        wanted.add(name)
        todo |= _refs(schemas[name]) - wanted
    return {
        **spec,
        "paths": paths,
        "components": {
            "securitySchemes": spec["components"]["securitySchemes"],
            "schemas": {name: schemas[name] for name in sorted(wanted)},
        },
    }
