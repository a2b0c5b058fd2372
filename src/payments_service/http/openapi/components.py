"""Named schemas: a `Component` stands where the document has its `$ref`, and `Components`,
which `install(app)` fills from the app's routes, is what the document's `components` lists."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from payments_service.http.openapi.xml_data import REF_PREFIX

Schema = dict[str, Any]


@dataclass(frozen=True, eq=False)
class Component:
    """A named schema. Its `schema` holds the components it refers to in place of their `$ref`,
    or refers to them by `$ref` and lists them in `uses` (as pydantic writes a model's)."""

    name: str
    schema: Schema
    uses: tuple["Component", ...] = ()


def refer(value: Any) -> tuple[Any, list[Component]]:
    """`value` with each component in it replaced by its `$ref`, and those components."""
    found: list[Component] = []

    def walk(node: Any) -> Any:
        if isinstance(node, Component):
            found.append(node)
            return {"$ref": REF_PREFIX + node.name}
        if isinstance(node, dict):
            return {key: walk(item) for key, item in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(value), found


class Components:
    """The schemas one document refers to, by name, each with the ones it refers to in turn."""

    def __init__(self) -> None:
        self.schemas: dict[str, Schema] = {}

    def add(self, components: Iterable[Component]) -> None:
        for component in components:
            schema, used = refer(component.schema)
            known = self.schemas.setdefault(component.name, schema)
            if known is not schema:
                if known != schema:
                    raise ValueError(f"two different schemas are named {component.name}")
                continue
            self.add([*used, *component.uses])
