"""Each route's OpenAPI description: `operation` for the v1 routes (both media types, from the
v1 `Resource`s and the pydantic bodies), `json_operation` for JSON-only ones.

Routers read bodies with `negotiation.read_body` and return ready responses, so FastAPI sees
neither: these declare them (every status with its error schema, auth, examples). They are
plain keyword arguments for `add_api_route`; the schemas they refer to ride along in
`openapi_extra` for `install(app)` to publish.
"""

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel
from starlette.responses import Response

from payments_service.documents import Resource
from payments_service.http.openapi.components import Component, Schema, refer
from payments_service.http.openapi.resources import (
    component_name,
    envelope,
    model_schema,
    resource_schema,
)
from payments_service.http.openapi.responses import (
    JSON,
    content,
    error_responses,
    headers,
    implied,
)

AUTHENTICATED: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"basicAuth": []}]


class Declared(dict[str, Any]):
    """A route's `openapi_extra`: what FastAPI merges into the operation, and the components
    the operation refers to (`install(app)` publishes those of every route)."""

    def __init__(self, extra: Schema, components: Iterable[Component]) -> None:
        super().__init__(extra)
        self.components = tuple(components)


def _success(resource: Resource, many: bool) -> Schema:
    name = component_name(resource.root)
    item = resource_schema(resource)
    wrapped = envelope(name, resource.root, item)
    if many:
        xml_list = {"type": "array", "xml": {"name": resource.plural, "wrapped": True}}
        return content(
            {**xml_list, "items": item}, {"type": "array", "items": wrapped}, f"{name}List"
        )
    return content(item, wrapped, name)


def _documented(
    *,
    status: int,
    success: Schema | None,
    statuses: list[int],
    error_content: Schema | None,
    auth: bool,
    request: Schema | None,
    location: bool = False,
) -> dict[str, Any]:
    described: Schema = {"description": HTTPStatus(status).phrase}
    if success is not None:
        described["content"] = success
    if location:
        described["headers"] = headers({"Location": "where the new resource lives"})
    extra: Schema = {"security": AUTHENTICATED if auth else []}
    if request is not None:
        extra["requestBody"] = {"required": True, **request}
    [responses, extra], components = refer(
        [{status: described, **error_responses(statuses, error_content)}, extra]
    )
    return {
        "status_code": status,
        "response_class": Response,
        "responses": responses,
        "openapi_extra": Declared(extra, components),
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
        item = model_schema(body, xml_root=resource.root)
        # JSON may come wrapped in its root key, as Harvest v1 sent it, or bare.
        wrapped_or_bare = {"anyOf": [envelope(body.__name__, resource.root, item), item]}
        request = {
            "description": "XML (also as text/xml) or JSON, wrapped in its root key or bare.",
            "content": content(item, wrapped_or_bare, body.__name__),
        }
    return _documented(
        status=status,
        success=None if resource is None else _success(resource, many),
        statuses=implied(errors, auth=auth, renders=resource is not None, body=body is not None),
        error_content=None,
        auth=auth,
        request=request,
        location=status == 201,
    )


def json_operation(
    *,
    response: Schema | Component | None = None,
    status: int = 200,
    body: type[BaseModel] | None = None,
    errors: Iterable[int] = (),
    auth: bool = True,
    error_schema: Component | None = None,
    media_type: str = JSON,
) -> dict[str, Any]:
    """`operation` for JSON-only routes: `response` and `error_schema` are schemas or
    components; without `error_schema` errors are the v1 `Errors` in both media types."""
    request = None
    if body is not None:
        request = {"content": {JSON: {"schema": model_schema(body)}}}
    return _documented(
        status=status,
        success=None if response is None else {media_type: {"schema": response}},
        statuses=implied(errors, auth=auth, renders=False, body=body is not None),
        error_content=None if error_schema is None else {JSON: {"schema": error_schema}},
        auth=auth,
        request=request,
    )
