"""Every response the tests see is checked against the app's OpenAPI document.

tests/conftest.py hooks `ContractChecker` into each test client: the request is matched to its
route (an alias to the documented route with the same endpoint), and the response must have a
documented status, a documented media type and a body that the documented schema accepts.
XML bodies are read by the schema's `xml` hints first, so both media types face one schema.
"""

import json
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from jsonschema import Draft202012Validator, FormatChecker
from starlette.routing import Match

from payments_service.http.openapi.xml_data import from_xml
from payments_service.http.pages import ASSETS
from payments_service.http.plain_route import PlainRoute
from payments_service.http.trailing_slash import canonical

# Pages about the document, not in it: FastAPI's, the assets they load, and the home page.
DOCUMENTATION_PAGES = {"/", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
DOCUMENTATION_ASSETS = f"{ASSETS}/"
ERRORS = {"$ref": "#/components/schemas/Errors"}
V2_ERRORS = {"$ref": "#/components/schemas/V2Error"}


class ContractViolation(AssertionError):
    pass


class ContractChecker:
    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.document = app.openapi()
        self.components = self.document["components"]["schemas"]
        self._validators: dict[str, Draft202012Validator] = {}

    async def __call__(self, response: httpx.Response) -> None:
        """An httpx response hook."""
        await response.aread()
        self.check(response)

    def check(self, response: httpx.Response) -> None:
        method, path = response.request.method, canonical(response.request.url.path)
        route = self._route(method, path)
        if route is None:  # no such path (404) or method (405): still the error format
            errors = V2_ERRORS if path.startswith("/v2/") else ERRORS
            self._check_body(response, {"content": {"application/xml": {"schema": errors}}})
            return
        if path in DOCUMENTATION_PAGES or path.startswith(DOCUMENTATION_ASSETS):
            return
        documented = self._documented(route, method)
        operation = self.document["paths"][documented.path_format][method.lower()]
        declared = operation["responses"].get(str(response.status_code))
        if declared is None:
            raise ContractViolation(
                f"{method} {documented.path_format}: status {response.status_code} "
                f"is not documented: {response.text[:300]}"
            )
        for header in declared.get("headers", {}):
            if header not in response.headers:
                raise ContractViolation(f"{method} {path}: documented header {header} missing")
        self._check_body(response, declared)

    def _route(self, method: str, path: str) -> RouteContext | None:
        scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
        for route in iter_route_contexts(self.app.routes):
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return route
        return None

    def _documented(self, route: RouteContext, method: str) -> RouteContext:
        """The route itself, or for an alias the documented route with the same endpoint."""
        for candidate in [route, *iter_route_contexts(self.app.routes)]:
            if (
                isinstance(candidate.original_route, APIRoute | PlainRoute)
                and candidate.include_in_schema
                and candidate.endpoint is route.endpoint
                and method in (candidate.methods or ())
            ):
                return candidate
        raise ContractViolation(f"{method} {route.path} is not documented")

    def _check_body(self, response: httpx.Response, declared: dict[str, Any]) -> None:
        content = declared.get("content")
        if not content:
            if response.content:
                raise ContractViolation(f"documented as empty, got {response.text[:300]!r}")
            return
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        if media_type == "application/json":
            schema = content.get("application/json", content.get("application/xml", {}))
            data = json.loads(response.content, parse_float=Decimal)
        elif media_type == "application/xml":
            schema = content.get("application/xml", {})
            data = self._read_xml(response, schema.get("schema", {}))
        else:
            schema = content.get(media_type)
            if schema is None:
                raise ContractViolation(f"undocumented media type {media_type!r}")
            data = response.text
        if "schema" not in schema:
            raise ContractViolation(f"no schema documented for {media_type!r}")
        errors = sorted(self.validator(schema["schema"]).iter_errors(data), key=str)
        if errors:
            raise ContractViolation(
                f"{response.request.method} {response.request.url.path} "
                f"{response.status_code} {media_type}: {errors[0].message} at "
                f"{list(errors[0].absolute_path)}\n{response.text[:500]}"
            )

    def _read_xml(self, response: httpx.Response, schema: dict[str, Any]) -> Any:
        try:
            return from_xml(ElementTree.fromstring(response.content), schema, self.components)
        except (ElementTree.ParseError, ValueError) as exc:
            raise ContractViolation(f"XML does not fit its schema: {exc}") from None

    def validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        key = json.dumps(schema, sort_keys=True)
        if key not in self._validators:
            rooted = {**schema, "components": self.document["components"]}
            self._validators[key] = Draft202012Validator(rooted, format_checker=FormatChecker())
        return self._validators[key]
