"""Refuse request bodies over the limit with 413, before anything parses them."""

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from payments_service.errors import PayloadTooLarge
from payments_service.http.errors import error_response


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"The request body is larger than {self.max_bytes} bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if (
                name == b"content-length"
                and value.isascii()
                and value.isdigit()
                and int(value) > self.max_bytes
            ):
                error = self._too_large()
                response = error_response(Request(scope), error.status_code, error.problems)
                await response(scope, receive, send)
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise self._too_large()
            return message

        await self.app(scope, limited_receive, send)
