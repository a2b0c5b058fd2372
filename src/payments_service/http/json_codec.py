"""JSON in and out, mirroring the XML: snake_case keys, each object wrapped in its root key.

Amounts are JSON numbers written from the exact Decimal (never through float), and numbers
in requests are read as Decimal.
"""

import json
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any

import orjson
from starlette.responses import Response

from payments_service.documents import Document, Errors, Kind, Resource, Row
from payments_service.domain.money import PLAIN_DECIMAL
from payments_service.errors import BadRequest, Unprocessable

# Kinds whose values orjson writes itself, as JSON strings, numbers or booleans.
NATIVE = (Kind.STRING, Kind.INTEGER, Kind.BOOLEAN)


def _row(resource: Resource, row: Row) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for element in resource.elements:
        value = row[element.key]
        if value is None or element.kind in NATIVE:
            out[element.key] = value
        elif element.kind is Kind.DECIMAL:
            out[element.key] = orjson.Fragment(element.text(value))
        else:
            out[element.key] = element.text(value)
    return {resource.root: out}


def to_json(content: Document | Errors) -> bytes:
    body: Any
    if isinstance(content, Errors):
        body = {
            "errors": [
                {"code": p.code, "field": p.field, "message": p.message} for p in content.problems
            ]
        }
    elif isinstance(content.value, Sequence):
        body = [_row(content.resource, row) for row in content.value]
    else:
        body = _row(content.resource, content.value)
    return orjson.dumps(body)


def _joined(resource: Resource, rows: Sequence[Row]) -> bytes:
    return b",".join(orjson.dumps(_row(resource, row)) for row in rows)


async def stream_json(
    resource: Resource, first: Sequence[Row], more: AsyncIterator[Sequence[Row]]
) -> AsyncIterator[bytes]:
    """`to_json` of a list whose rows come in chunks (`first` is not empty), a chunk at a time."""
    yield b"[" + _joined(resource, first)
    async for rows in more:
        if rows:
            yield b"," + _joined(resource, rows)
    yield b"]"


class JsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return to_json(content)


class _DuplicateKey(ValueError):
    pass


def _number(text: str) -> Decimal | str:
    # Exponent forms ("1e3") stay text so validation rejects them like any other non-amount.
    return Decimal(text) if PLAIN_DECIMAL.match(text) else text


def _constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _DuplicateKey(key)
        data[key] = value
    return data


def parse_json(body: bytes, resource: Resource | None) -> dict[str, Any]:
    """The fields of a JSON object, wrapped (`{"payment": {...}}`) or bare; always bare when
    there is no resource to name the wrapper (v2)."""
    try:
        doc = json.loads(
            body, parse_float=_number, parse_constant=_constant, object_pairs_hook=_no_duplicates
        )
    except _DuplicateKey as exc:
        raise Unprocessable(
            f"{exc} is given twice", code="duplicate_field", field=str(exc)
        ) from None
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"Malformed JSON: {exc}", code="malformed_json") from None
    if (
        resource is not None
        and isinstance(doc, dict)
        and list(doc) == [resource.root]
        and isinstance(doc[resource.root], dict)
    ):
        doc = doc[resource.root]
    if not isinstance(doc, dict):
        name = f"a JSON object with a {resource.root}" if resource else "a JSON object"
        raise BadRequest(f"Expected {name}", code="wrong_root")
    return doc
