"""Schemas of what the v1 routes render and read: their `Resource`s and pydantic bodies.

The response schemas come from the same `Resource`s the renderers walk, so the
document and the wire cannot drift.
"""

from pydantic import BaseModel

from payments_service.documents import UTC_DATETIME, Element, Kind, Resource
from payments_service.http.openapi.components import Component, Schema
from payments_service.http.openapi.xml_data import REF_PREFIX

KIND_SCHEMAS: dict[Kind, Schema] = {
    Kind.STRING: {"type": "string"},
    Kind.INTEGER: {"type": "integer"},
    Kind.DECIMAL: {"type": "number", "description": "exact decimal, e.g. 1238.0 or 12.5"},
    Kind.DATE: {"type": "string", "format": "date"},
    Kind.DATETIME: {"type": "string", "format": "date-time", "pattern": UTC_DATETIME},
    Kind.BOOLEAN: {"type": "boolean"},
}


def component_name(root: str) -> str:
    return "".join(part.capitalize() for part in root.replace("_", "-").split("-"))


def _element_schema(element: Element) -> Schema:
    schema = {**KIND_SCHEMAS[element.kind], "xml": {"name": element.name}}
    if element.nullable:
        schema["type"] = [schema["type"], "null"]
    return schema


def resource_schema(resource: Resource) -> Component:
    """The resource as rendered: every field, always present, nothing else."""
    return Component(
        component_name(resource.root),
        {
            "type": "object",
            "xml": {"name": resource.root},
            "required": [element.key for element in resource.elements],
            "additionalProperties": False,
            "properties": {element.key: _element_schema(element) for element in resource.elements},
        },
    )


def envelope(name: str, root: str, inner: Component) -> Component:
    """The JSON form: the object wrapped in its root key, `{"payment": {...}}`."""
    return Component(
        f"{name}Envelope",
        {
            "type": "object",
            "required": [root],
            "additionalProperties": False,
            "properties": {root: inner},
        },
    )


def model_schema(model: type[BaseModel], *, xml_root: str | None = None) -> Component:
    """A pydantic model's JSON schema; with `xml_root`, as the XML parser reads it."""
    schema = model.model_json_schema(ref_template=REF_PREFIX + "{model}")
    nested = schema.pop("$defs", {})
    if xml_root is not None:
        schema["xml"] = {"name": xml_root}
        for key, prop in schema.get("properties", {}).items():
            prop["xml"] = {"name": key.replace("_", "-")}
    # Listed here, the models it nests (and any they nest) are all published with it.
    uses = tuple(Component(name, definition) for name, definition in nested.items())
    return Component(model.__name__, schema, uses)
