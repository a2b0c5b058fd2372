"""The OpenAPI contract: `operation(...)` documents a route, `install(app)` publishes it."""

from payments_service.contract.operations import install, operation

__all__ = ["install", "operation"]
