"""What every operation may answer besides its success: the statuses, their error schema and
headers."""

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from payments_service.http.openapi.components import Component, Schema
from payments_service.http.openapi.examples import EXAMPLES

XML = "application/xml"
JSON = "application/json"

ERROR_STATUSES = {
    400: "Malformed XML or JSON, a DTD or entity in XML, or the wrong root element",
    401: "Missing or wrong credentials",
    403: "The account is disabled or its invoice feature is off",
    404: "Unknown id, another account's id, or an id that is not a positive bigint",
    406: "The Accept header admits neither application/xml nor application/json",
    413: "The body is larger than MAX_BODY_BYTES",
    415: "The body is neither application/xml (or text/xml) nor application/json",
    422: "A validation or business rule failed; every problem is listed with a stable code",
    429: "The rate limit (/v2 only): retry after Retry-After seconds",
    500: "Unexpected error",
    503: "No database connection in time, or the rate limit (v1): retry after Retry-After seconds",
}
ERROR_HEADERS = {
    401: {"WWW-Authenticate": "Bearer and Basic challenges"},
    429: {"Retry-After": "seconds to wait before retrying"},
    503: {"Retry-After": "seconds to wait before retrying"},
}

ERROR = Component(
    "Error",
    {
        "type": "object",
        "xml": {"name": "error"},
        "required": ["code", "field", "message"],
        "additionalProperties": False,
        "properties": {
            "code": {"type": "string", "xml": {"attribute": True}},
            "field": {"type": ["string", "null"], "xml": {"attribute": True}},
            "message": {"type": "string", "xml": {"x-text": True}},
        },
    },
)
ERRORS = Component(
    "Errors",
    {
        "type": "object",
        "description": "Every problem with the request; in XML the message is the text.",
        "xml": {"name": "errors"},
        "required": ["errors"],
        "additionalProperties": False,
        "properties": {"errors": {"type": "array", "items": ERROR}},
    },
)


def content(xml_schema: Any, json_schema: Any, example: str) -> Schema:
    """Both media types; the XML example named `example`, if there is one (`install` derives
    the JSON one)."""
    described: Schema = {XML: {"schema": xml_schema}, JSON: {"schema": json_schema}}
    if example in EXAMPLES:
        described[XML]["example"] = EXAMPLES[example]
    return described


def headers(descriptions: dict[str, str]) -> Schema:
    return {
        name: {"description": text, "schema": {"type": "string"}}
        for name, text in descriptions.items()
    }


def implied(errors: Iterable[int], *, auth: bool, renders: bool, body: bool) -> list[int]:
    """The statuses an operation answers: `errors`, 500, and those its traits imply."""
    statuses = {500, *errors}
    if auth:
        statuses |= {401, 403, 503}
    if renders:
        statuses.add(406)
    if body:
        statuses |= {400, 413, 415, 422}
    return sorted(statuses)


def error_responses(statuses: Iterable[int], error_content: Schema | None) -> dict[int, Schema]:
    """Each status described, with `error_content` (default: v1's `Errors` in both types)."""
    responses: dict[int, Schema] = {}
    for code in statuses:
        responses[code] = {
            "description": ERROR_STATUSES.get(code, HTTPStatus(code).phrase),
            "content": error_content or content(ERRORS, ERRORS, "Errors" if code == 422 else ""),
        }
        if code in ERROR_HEADERS:
            responses[code]["headers"] = headers(ERROR_HEADERS[code])
    return responses
