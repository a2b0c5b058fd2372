"""XML in and out, Harvest v1 style: typed elements, `nil="true"`, `<errors><error>`."""

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from starlette.responses import Response

from payments_service.documents import Document, Errors, Kind, Resource, Row
from payments_service.errors import BadRequest, Unprocessable

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# Kinds whose text is digits, signs, dots, dashes and colons: never anything to escape.
PLAIN_KINDS = {Kind.INTEGER, Kind.DECIMAL, Kind.DATE, Kind.DATETIME, Kind.BOOLEAN}


@dataclass(frozen=True)
class _Tags:
    """One element's tags, written once per resource instead of once per value."""

    key: str
    open: str
    close: str
    nil: str
    text: Callable[[Any], str]
    escaped: bool


@cache
def _tags(resource: Resource) -> tuple[_Tags, ...]:
    tags = []
    for element in resource.elements:
        name, kind = element.name, element.kind
        typed = f' type="{kind.value}"' if kind.value else ""
        tags.append(
            _Tags(
                key=element.key,
                open=f"<{name}{typed}>",
                close=f"</{name}>",
                nil=f'<{name}{typed} nil="true"></{name}>',
                text=element.text,
                escaped=kind not in PLAIN_KINDS,
            )
        )
    return tuple(tags)


def _row(resource: Resource, row: Row, indent: str) -> list[str]:
    lines = [f"{indent}<{resource.root}>"]
    inner = indent + "  "
    for tag in _tags(resource):  # cached: Resource hashes by identity
        value = row[tag.key]
        if value is None:
            lines.append(inner + tag.nil)
        else:
            text = tag.text(value)
            if tag.escaped:
                text = escape(text)
            lines.append(f"{inner}{tag.open}{text}{tag.close}")
    lines.append(f"{indent}</{resource.root}>")
    return lines


def _list_open(resource: Resource) -> str:
    return f'{DECLARATION}<{resource.plural} type="array">\n'


def _rows(resource: Resource, rows: Sequence[Row]) -> str:
    return "".join(line + "\n" for row in rows for line in _row(resource, row, "  "))


def _list_close(resource: Resource) -> str:
    return f"</{resource.plural}>\n"


async def stream_xml(
    resource: Resource, first: Sequence[Row], more: AsyncIterator[Sequence[Row]]
) -> AsyncIterator[bytes]:
    """`to_xml` of a list whose rows come in chunks, a chunk at a time."""
    yield (_list_open(resource) + _rows(resource, first)).encode()
    async for rows in more:
        yield _rows(resource, rows).encode()
    yield _list_close(resource).encode()


def to_xml(content: Document | Errors) -> str:
    if isinstance(content, Errors):
        lines = ["<errors>"]
        for p in content.problems:
            field = f" field={quoteattr(p.field)}" if p.field else ""
            lines.append(f"  <error code={quoteattr(p.code)}{field}>{escape(p.message)}</error>")
        lines.append("</errors>")
    elif isinstance(content.value, Sequence):
        resource = content.resource
        return _list_open(resource) + _rows(resource, content.value) + _list_close(resource)
    else:
        lines = _row(content.resource, content.value, "")
    return DECLARATION + "\n".join(lines) + "\n"


class XmlResponse(Response):
    media_type = "application/xml; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return to_xml(content).encode()


@cache
def _keys(resource: Resource) -> frozenset[str]:
    return frozenset(element.key for element in resource.elements)


def _text(element: Element) -> str | None:
    if element.get("nil") == "true":
        return None
    return element.text or ""


def parse_xml(body: bytes, resource: Resource) -> dict[str, str | None]:
    """The fields of a `<resource>` document, by JSON key. DTDs and entities are refused."""
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise BadRequest(f"Malformed XML: {exc}", code="malformed_xml") from None
    if root.tag != resource.root:
        raise BadRequest(
            f"Expected a <{resource.root}> document, got <{root.tag}>", code="wrong_root"
        )
    if (root.text or "").strip():
        raise BadRequest(f"<{resource.root}> holds elements, not text", code="malformed_xml")
    data: dict[str, str | None] = {}
    for child in root:
        key = str(child.tag).replace("-", "_")
        if key not in _keys(resource):
            continue  # unknown, however it is shaped: ignored, as Harvest did
        if len(child):
            raise Unprocessable(f"{child.tag} must be a plain value", code="invalid", field=key)
        if key in data:
            raise Unprocessable(f"{child.tag} is given twice", code="duplicate_field", field=key)
        data[key] = _text(child)
    return data
