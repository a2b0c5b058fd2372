"""An XML document read as the data its OpenAPI schema describes, by the schema's `xml` hints.

So one schema serves both media types: JSON is checked as it is, XML after this reading.
Scalars are typed by their own `type` attribute (Harvest v1 style), not by the schema, so a
wrongly typed element still fails the schema.
"""

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import Element

Schema = Mapping[str, Any]
REF_PREFIX = "#/components/schemas/"


class XmlShapeError(ValueError):
    pass


def resolve(schema: Schema, components: Mapping[str, Schema]) -> Schema:
    while "$ref" in schema:
        schema = components[schema["$ref"].removeprefix(REF_PREFIX)]
    return schema


def _main_type(schema: Schema) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind


def _xml(schema: Schema, components: Mapping[str, Schema]) -> Mapping[str, Any]:
    """The XML hints of a property: its own, else those of the schema it refers to."""
    return schema.get("xml") or resolve(schema, components).get("xml") or {}


def from_xml(
    element: Element,
    schema: Schema,
    components: Mapping[str, Schema],
    number: Callable[[str], Any] = Decimal,
) -> Any:
    hints = _xml(schema, components)
    schema = resolve(schema, components)
    kind = _main_type(schema)
    if kind in ("array", "object") and hints.get("name", element.tag) != element.tag:
        raise XmlShapeError(f"expected <{hints['name']}>, got <{element.tag}>")
    if kind == "array":
        return [from_xml(child, schema["items"], components, number) for child in element]
    if kind == "object":
        return _object(element, schema, components, number)
    return _scalar(element, number)


def _object(
    element: Element,
    schema: Schema,
    components: Mapping[str, Schema],
    number: Callable[[str], Any],
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    claimed: set[str] = set()
    for name, prop in schema.get("properties", {}).items():
        hints = _xml(prop, components)
        tag = hints.get("name", name)
        if hints.get("attribute"):
            data[name] = element.get(tag)
        elif hints.get("x-text"):
            data[name] = element.text or ""
        elif _main_type(resolve(prop, components)) == "array" and not hints.get("wrapped"):
            items = resolve(prop, components)["items"]  # repeated directly inside `element`
            item_tag = _xml(items, components).get("name", name)
            data[name] = [
                from_xml(child, items, components, number)
                for child in element
                if child.tag == item_tag
            ]
            claimed.add(item_tag)
        elif (child := element.find(tag)) is not None:
            data[name] = from_xml(child, prop, components, number)
            claimed.add(tag)
    for child in element:  # undocumented elements stay visible, for the schema to refuse
        if child.tag not in claimed:
            data[str(child.tag)] = child.text
    return data


def _scalar(element: Element, number: Callable[[str], Any]) -> Any:
    if element.get("nil") == "true":
        return None
    text = element.text or ""
    kind = element.get("type")
    if kind == "integer":
        return int(text)
    if kind == "decimal":
        return number(text)
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    return text
