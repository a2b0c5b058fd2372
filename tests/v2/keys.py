"""Which keys Harvest's v2 description says each object of a response has, and what we miss.

Harvest always sends every property of its objects (null or [] where there is no data);
clients and connectors read them without looking first, so a missing key breaks them.
"""

import re
from collections.abc import Iterator
from typing import Any

Spec = dict[str, Any]


def operation(spec: Spec, method: str, path: str) -> tuple[str, Spec]:
    """The spec's path template matching `path` (under /v2) and its operation for `method`;
    a literal segment beats a parameter (`/users/me` before `/users/{userId}`)."""
    found = [
        template
        for template, item in spec["paths"].items()
        if method.lower() in item
        and re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), path.removeprefix("/v2"))
    ]
    assert found, f"{method} {path} is not in Harvest's description"
    template = min(found, key=lambda t: t.count("{"))
    return template, spec["paths"][template][method.lower()]


def _resolve(spec: Spec, schema: Spec) -> Spec:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def key_problems(spec: Spec, schema: Spec, value: Any, where: str = "") -> Iterator[str]:
    """Each object within `value` whose keys are not exactly its schema's properties."""
    schema = _resolve(spec, schema)
    if isinstance(value, dict) and "properties" in schema:
        expected, sent = set(schema["properties"]), set(value)
        if missing := expected - sent:
            yield f"{where or '.'}: missing {sorted(missing)}"
        if extra := sent - expected:
            yield f"{where or '.'}: not in the spec {sorted(extra)}"
        for key in expected & sent:
            yield from key_problems(spec, schema["properties"][key], value[key], f"{where}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            yield from key_problems(spec, schema["items"], item, f"{where}[{index}]")


def response_problems(spec: Spec, method: str, path: str, status: int, body: Any) -> list[str]:
    """What the answer to `method path` lacks or adds against the spec's success schema."""
    _, op = operation(spec, method, path)
    declared = op["responses"].get(status) or op["responses"].get(str(status))
    assert declared is not None, f"{method} {path}: {status} is not a documented answer"
    schema = declared["content"]["application/json"]["schema"]
    return list(key_problems(spec, schema, body))
