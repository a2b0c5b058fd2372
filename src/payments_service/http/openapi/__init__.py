"""The OpenAPI contract: `operation(...)` documents a route, `install(app)` publishes it."""

from payments_service.http.openapi.operations import install, json_operation, operation, register

__all__ = ["install", "json_operation", "operation", "register"]
