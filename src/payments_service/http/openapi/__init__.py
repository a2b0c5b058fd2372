"""The OpenAPI document: `operation(...)` documents a route, `install(app)` publishes it."""

from payments_service.http.openapi.components import Component
from payments_service.http.openapi.document import install
from payments_service.http.openapi.operations import json_operation, operation

__all__ = ["Component", "install", "json_operation", "operation"]
