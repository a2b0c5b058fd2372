"""Paths with a trailing slash are served as without it, as Harvest does: no redirect (a 307
would make clients resend a POST), whatever the method."""

from starlette.types import ASGIApp, Receive, Scope, Send


def canonical(path: str) -> str:
    """`/v2/invoices/` -> `/v2/invoices`; `/` stays."""
    return path.rstrip("/") or "/"


class TrailingSlashMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and len(path) > 1 and path.endswith("/"):
            scope = dict(scope, path=canonical(path))
            if "raw_path" in scope:
                scope["raw_path"] = scope["raw_path"].rstrip(b"/") or b"/"
        await self.app(scope, receive, send)
