"""`install(app)`: the app's `/openapi.json`, from its routes and the components they declare."""

from collections.abc import Iterable
from typing import Any
from xml.etree.ElementTree import fromstring

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.routing import BaseRoute

from payments_service.http.openapi.components import Components, Schema
from payments_service.http.openapi.operations import Declared
from payments_service.http.openapi.responses import JSON, XML
from payments_service.http.openapi.xml_data import REF_PREFIX, from_xml, resolve
from payments_service.http.plain_route import openapi_routes

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


def _operations(document: Schema) -> list[Schema]:
    return [op for path in document.get("paths", {}).values() for op in path.values()]


def _json_example(content: Schema, schemas: dict[str, Schema]) -> Any:
    """The XML example read by its schema, then wrapped as the JSON schema says."""
    xml, json_schema = content[XML], content[JSON]["schema"]
    data = from_xml(fromstring(xml["example"]), xml["schema"], schemas, number=float)
    if json_schema == xml["schema"]:
        return data
    json_schema = json_schema.get("anyOf", [json_schema])[0]  # a request: show it wrapped
    if json_schema.get("type") == "array":
        (root,) = resolve(json_schema["items"], schemas)["properties"]
        return [{root: row} for row in data]
    (root,) = resolve(json_schema, schemas)["properties"]
    return {root: data}


def _add_json_examples(document: Schema, schemas: dict[str, Schema]) -> None:
    """Added after FastAPI's encoding, which would drop the examples' nulls."""
    for op in _operations(document):
        bodies = [op.get("requestBody", {}), *op.get("responses", {}).values()]
        for body in bodies:
            content = body.get("content", {})
            if "example" in content.get(XML, {}) and JSON in content:
                content[JSON]["example"] = _json_example(content, schemas)


def _drop_fastapi_validation_errors(document: Schema) -> None:
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


def _declare_request_id(document: Schema) -> None:
    """The observability middleware takes and echoes X-Request-ID on every route and answer."""
    for op in _operations(document):
        op.setdefault("parameters", []).append(REQUEST_ID_PARAMETER)
        for response in op.get("responses", {}).values():
            response.setdefault("headers", {})[REQUEST_ID] = REQUEST_ID_HEADER


def install(app: FastAPI, routes: Iterable[BaseRoute]) -> None:
    """Serve the document of the app's routes, with the schemas that `routes` (all the app
    serves: its own and those of the routers it includes) declare, and the security schemes."""
    components = Components()
    for route in openapi_routes(routes):
        extra = getattr(route, "openapi_extra", None)
        if isinstance(extra, Declared):
            components.add(extra.components)

    def openapi() -> Schema:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=openapi_routes(app.routes),
            )
            _drop_fastapi_validation_errors(document)
            published = document.setdefault("components", {})
            published.setdefault("schemas", {}).update(components.schemas)
            published["securitySchemes"] = SECURITY_SCHEMES
            _add_json_examples(document, published["schemas"])
            _declare_request_id(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
