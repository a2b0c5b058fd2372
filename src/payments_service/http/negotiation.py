"""Content negotiation: which format a request is written in and which one it wants back."""

from collections.abc import AsyncIterator, Sequence
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.responses import Response, StreamingResponse

from payments_service.documents import Document, Errors, Resource, Row
from payments_service.errors import NotAcceptable, UnsupportedMediaType
from payments_service.http.json_codec import JsonResponse, parse_json, stream_json
from payments_service.http.xml_codec import XmlResponse, parse_xml, stream_xml


class Format(StrEnum):
    XML = "xml"
    JSON = "json"


MEDIA_TYPES = {
    "application/xml": Format.XML,
    "text/xml": Format.XML,
    "application/json": Format.JSON,
}
# Harvest v1 answered XML unless asked otherwise.
WILDCARDS = {"*/*": Format.XML, "application/*": Format.XML, "text/*": Format.XML}


def _media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def _quality(range_: str) -> float:
    for param in range_.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def negotiate(accept: str | None) -> Format | None:
    """The best format the Accept header admits, XML when it says nothing, None when neither."""
    if not accept or not accept.strip():
        return Format.XML
    best: tuple[float, Format] | None = None
    for range_ in accept.split(","):
        media = _media_type(range_)
        fmt = MEDIA_TYPES.get(media) or WILDCARDS.get(media)
        q = _quality(range_)
        if fmt is not None and q > 0 and (best is None or q > best[0]):
            best = (q, fmt)
    return best[1] if best else None


async def response_format(request: Request) -> Format:
    # async on purpose: FastAPI runs a plain `def` dependency in a thread, a costly hop per request.
    fmt = negotiate(request.headers.get("accept"))
    if fmt is None:
        raise NotAcceptable("This service answers application/xml or application/json")
    return fmt


FormatDep = Annotated[Format, Depends(response_format)]


def respond(
    fmt: Format,
    content: Document | Errors,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    response_class = XmlResponse if fmt is Format.XML else JsonResponse
    return response_class(content, status_code=status_code, headers=headers)


def respond_streamed(
    fmt: Format,
    resource: Resource,
    first: Sequence[Row],
    more: AsyncIterator[Sequence[Row]],
) -> Response:
    """A list written as its rows come: the same bytes as `respond` with all of them."""
    if fmt is Format.XML:
        return StreamingResponse(
            stream_xml(resource, first, more), media_type=XmlResponse.media_type
        )
    return StreamingResponse(stream_json(resource, first, more), media_type=JsonResponse.media_type)


async def read_body(request: Request, resource: Resource) -> dict[str, Any]:
    """The request body's fields, parsed by its Content-Type; 415 for any other type."""
    fmt = MEDIA_TYPES.get(_media_type(request.headers.get("content-type", "")))
    if fmt is None:
        raise UnsupportedMediaType(
            "Send the body as application/xml or application/json", code="unsupported_media_type"
        )
    body = await request.body()
    return parse_xml(body, resource) if fmt is Format.XML else parse_json(body, resource)
