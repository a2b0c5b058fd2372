"""Each operation's OpenAPI description, built from the v1 `Resource`s and pydantic schemas.

Routers read bodies with `negotiation.read_body` and return ready responses, so FastAPI sees
neither: `operation()` declares them (both media types, every status with its error schema,
auth, examples) and `install()` adds the schemas they use to the app's `/openapi.json`.
The response schemas come from the same `Resource` definitions the renderers walk, so the
document and the wire cannot drift.
"""

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any
from xml.etree.ElementTree import fromstring

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from starlette.responses import Response

from payments_service.documents import UTC_DATETIME, Element, Kind, Resource
from payments_service.http.openapi.examples import EXAMPLES
from payments_service.http.openapi.xml_data import REF_PREFIX, from_xml, resolve
from payments_service.http.plain_route import openapi_routes

XML = "application/xml"
JSON = "application/json"

KIND_SCHEMAS: dict[Kind, dict[str, Any]] = {
    Kind.STRING: {"type": "string"},
    Kind.INTEGER: {"type": "integer"},
    Kind.DECIMAL: {"type": "number", "description": "exact decimal, e.g. 1238.0 or 12.5"},
    Kind.DATE: {"type": "string", "format": "date"},
    Kind.DATETIME: {"type": "string", "format": "date-time", "pattern": UTC_DATETIME},
    Kind.BOOLEAN: {"type": "boolean"},
}

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

SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from `payments-service create-token`.",
    },
    "basicAuth": {
        "type": "http",
        "scheme": "basic",
        "description": "`email:token`, as Harvest v1 clients send it.",
    },
}
AUTHENTICATED: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"basicAuth": []}]

# The schema components used by the operations declared so far; `install` publishes them.
SCHEMAS: dict[str, dict[str, Any]] = {}


def _ref(name: str, schema: dict[str, Any]) -> dict[str, str]:
    SCHEMAS[name] = schema
    return {"$ref": REF_PREFIX + name}


def component_name(root: str) -> str:
    return "".join(part.capitalize() for part in root.replace("_", "-").split("-"))


def _element_schema(element: Element) -> dict[str, Any]:
    schema = {**KIND_SCHEMAS[element.kind], "xml": {"name": element.name}}
    if element.nullable:
        schema["type"] = [schema["type"], "null"]
    return schema


def _resource(resource: Resource) -> dict[str, str]:
    """The resource as rendered: every field, always present, nothing else."""
    return _ref(
        component_name(resource.root),
        {
            "type": "object",
            "xml": {"name": resource.root},
            "required": [element.key for element in resource.elements],
            "additionalProperties": False,
            "properties": {element.key: _element_schema(element) for element in resource.elements},
        },
    )


def _envelope(name: str, root: str, inner: dict[str, str]) -> dict[str, str]:
    """The JSON form: the object wrapped in its root key, `{"payment": {...}}`."""
    return _ref(
        f"{name}Envelope",
        {
            "type": "object",
            "required": [root],
            "additionalProperties": False,
            "properties": {root: inner},
        },
    )


def _model_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF_PREFIX + "{model}")
    for name, definition in schema.pop("$defs", {}).items():
        _ref(name, definition)
    return schema


def _body(model: type[BaseModel], resource: Resource) -> dict[str, str]:
    """A pydantic input schema, with the XML element names the parser reads."""
    schema = _model_schema(model)
    schema["xml"] = {"name": resource.root}
    for key, prop in schema.get("properties", {}).items():
        prop["xml"] = {"name": key.replace("_", "-")}
    return _ref(model.__name__, schema)


def _errors() -> dict[str, str]:
    error = _ref(
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
    return _ref(
        "Errors",
        {
            "type": "object",
            "description": "Every problem with the request; in XML the message is the text.",
            "xml": {"name": "errors"},
            "required": ["errors"],
            "additionalProperties": False,
            "properties": {"errors": {"type": "array", "items": error}},
        },
    )


def _content(
    xml_schema: dict[str, Any], json_schema: dict[str, Any], example: str
) -> dict[str, Any]:
    content: dict[str, Any] = {XML: {"schema": xml_schema}, JSON: {"schema": json_schema}}
    if example in EXAMPLES:
        content[XML]["example"] = EXAMPLES[example]  # `install` derives the JSON one
    return content


def _success(resource: Resource, many: bool) -> dict[str, Any]:
    name = component_name(resource.root)
    item = _resource(resource)
    envelope = _envelope(name, resource.root, item)
    if many:
        xml_list = {"type": "array", "xml": {"name": resource.plural, "wrapped": True}}
        return _content(
            {**xml_list, "items": item}, {"type": "array", "items": envelope}, f"{name}List"
        )
    return _content(item, envelope, name)


def _json_example(content: dict[str, Any]) -> Any:
    """The XML example read by its schema, then wrapped as the JSON schema says."""
    xml, json_schema = content[XML], content[JSON]["schema"]
    data = from_xml(fromstring(xml["example"]), xml["schema"], SCHEMAS, number=float)
    if json_schema == xml["schema"]:
        return data
    json_schema = json_schema.get("anyOf", [json_schema])[0]  # a request: show it wrapped
    if json_schema.get("type") == "array":
        (root,) = resolve(json_schema["items"], SCHEMAS)["properties"]
        return [{root: row} for row in data]
    (root,) = resolve(json_schema, SCHEMAS)["properties"]
    return {root: data}


def _headers(descriptions: dict[str, str]) -> dict[str, Any]:
    return {
        name: {"description": text, "schema": {"type": "string"}}
        for name, text in descriptions.items()
    }


def register(name: str, schema: dict[str, Any]) -> dict[str, str]:
    """Publish a hand-written schema component; returns its `$ref`."""
    return _ref(name, schema)


def _implied(errors: Iterable[int], *, auth: bool, renders: bool, body: bool) -> list[int]:
    statuses = {500, *errors}
    if auth:
        statuses |= {401, 403, 503}
    if renders:
        statuses.add(406)
    if body:
        statuses |= {400, 413, 415, 422}
    return sorted(statuses)


def _documented(
    *,
    status: int,
    content: dict[str, Any] | None,
    statuses: list[int],
    error_content: dict[str, Any] | None,
    auth: bool,
    request: dict[str, Any] | None,
    location: bool = False,
) -> dict[str, Any]:
    success: dict[str, Any] = {"description": HTTPStatus(status).phrase}
    if content is not None:
        success["content"] = content
    if location:
        success["headers"] = _headers({"Location": "where the new resource lives"})
    responses: dict[int | str, Any] = {status: success}
    errors_ref = _errors()
    for code in statuses:
        responses[code] = {
            "description": ERROR_STATUSES.get(code, HTTPStatus(code).phrase),
            "content": error_content
            or _content(errors_ref, errors_ref, "Errors" if code == 422 else ""),
        }
        if code in ERROR_HEADERS:
            responses[code]["headers"] = _headers(ERROR_HEADERS[code])
    extra: dict[str, Any] = {"security": AUTHENTICATED if auth else []}
    if request is not None:
        extra["requestBody"] = {"required": True, **request}
    return {
        "status_code": status,
        "response_class": Response,
        "responses": responses,
        "openapi_extra": extra,
    }


def operation(
    *,
    resource: Resource | None = None,
    status: int = 200,
    many: bool = False,
    body: type[BaseModel] | None = None,
    errors: Iterable[int] = (),
    auth: bool = True,
) -> dict[str, Any]:
    """Keyword arguments for `add_api_route` or `@router.<method>` that document an operation.

    `resource` is what a success renders (None: an empty body), `many` a list of it; `body` is
    the pydantic schema of the request body, read as `resource`. `errors` adds statuses to
    those implied: auth 401 403 503, a rendered resource 406, a body 400 413 415 422, and 500.
    """
    request = None
    if body is not None:
        assert resource is not None, "a body is read as its resource"
        item = _body(body, resource)
        # JSON may come wrapped in its root key, as Harvest v1 sent it, or bare.
        wrapped_or_bare = {"anyOf": [_envelope(body.__name__, resource.root, item), item]}
        request = {
            "description": "XML (also as text/xml) or JSON, wrapped in its root key or bare.",
            "content": _content(item, wrapped_or_bare, body.__name__),
        }
    return _documented(
        status=status,
        content=None if resource is None else _success(resource, many),
        statuses=_implied(errors, auth=auth, renders=resource is not None, body=body is not None),
        error_content=None,
        auth=auth,
        request=request,
        location=status == 201,
    )


def json_operation(
    *,
    response: dict[str, Any] | None = None,
    status: int = 200,
    body: type[BaseModel] | None = None,
    errors: Iterable[int] = (),
    auth: bool = True,
    error_schema: dict[str, Any] | None = None,
    media_type: str = JSON,
) -> dict[str, Any]:
    """`operation` for JSON-only routes: `response` and `error_schema` are schemas (or refs from
    `register`); without `error_schema` errors are the v1 `Errors` in both media types."""
    request = None
    if body is not None:
        request = {"content": {JSON: {"schema": _ref(body.__name__, _model_schema(body))}}}
    return _documented(
        status=status,
        content=None if response is None else {media_type: {"schema": response}},
        statuses=_implied(errors, auth=auth, renders=False, body=body is not None),
        error_content=None if error_schema is None else {JSON: {"schema": error_schema}},
        auth=auth,
        request=request,
    )


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for path in document.get("paths", {}).values() for op in path.values()]


def _add_json_examples(document: dict[str, Any]) -> None:
    """Added after FastAPI's encoding, which would drop the examples' nulls."""
    for op in _operations(document):
        bodies = [op.get("requestBody", {}), *op.get("responses", {}).values()]
        for body in bodies:
            content = body.get("content", {})
            if "example" in content.get(XML, {}) and JSON in content:
                content[JSON]["example"] = _json_example(content)


def _drop_fastapi_validation_errors(document: dict[str, Any]) -> None:
    """FastAPI adds a 422 to every route with parameters; ours declare their own or none
    (an invalid path id is a 404)."""
    fastapi_422 = {"$ref": REF_PREFIX + "HTTPValidationError"}
    for op in _operations(document):
        response = op.get("responses", {}).get("422", {})
        if response.get("content", {}).get(JSON, {}).get("schema") == fastapi_422:
            del op["responses"]["422"]
    schemas = document.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)


REQUEST_ID = "X-Request-ID"
REQUEST_ID_PARAMETER = {
    "name": REQUEST_ID,
    "in": "header",
    "required": False,
    "description": "Your id for this request, 1-128 printable ASCII characters (anything else is "
    "replaced by a new one); echoed in the response and in the service's log lines.",
    "schema": {"type": "string"},
}
REQUEST_ID_HEADER = {
    "description": "The request's id: the caller's X-Request-ID, or a new one",
    "schema": {"type": "string"},
}


def _declare_request_id(document: dict[str, Any]) -> None:
    """The observability middleware takes and echoes X-Request-ID on every route and answer."""
    for op in _operations(document):
        op.setdefault("parameters", []).append(REQUEST_ID_PARAMETER)
        for response in op.get("responses", {}).values():
            response.setdefault("headers", {})[REQUEST_ID] = REQUEST_ID_HEADER


def install(app: FastAPI) -> None:
    """Serve the document with the schemas and security schemes the operations declared."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=openapi_routes(app.routes),
            )
            _drop_fastapi_validation_errors(document)
            components = document.setdefault("components", {})
            components.setdefault("schemas", {}).update(SCHEMAS)
            components["securitySchemes"] = SECURITY_SCHEMES
            _add_json_examples(document)
            _declare_request_id(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
