"""Harvest v2's list envelope: page counters and absolute links (see `public`)."""

import base64
import binascii
from typing import Any

from fastapi import Request
from starlette.datastructures import URL

from payments_service.config import Settings
from payments_service.errors import BadRequest, Unprocessable


def encode_cursor(before_id: int) -> str:
    return base64.urlsafe_b64encode(str(before_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor continues after; 422 for anything we did not hand out."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**63:
        raise Unprocessable("cursor is not one this service handed out", field="cursor")
    return int(text)


def public(request: Request, url: URL) -> URL:
    """`url` of this service as clients should see it: on PUBLIC_BASE_URL when set, else on the
    request's own host if ALLOWED_HOSTS names it (400 otherwise: a Host header is the client's
    to choose)."""
    settings: Settings = request.app.state.settings
    if settings.public_base_url:
        base = URL(settings.public_base_url)
        path = base.path.rstrip("/") + url.path
        return url.replace(scheme=base.scheme, netloc=base.netloc, path=path)
    if (url.hostname or "").lower() not in settings.link_hosts():
        raise BadRequest(
            "Links cannot be built for this Host: set PUBLIC_BASE_URL or ALLOWED_HOSTS",
            code="host",
        )
    return url


def _link(request: Request, **params: Any) -> str:
    """This list's URL for other `params` (see `public`). The credentials a client put in the
    query are left out."""
    url = request.url.remove_query_params(["page", "cursor", "access_token"])
    return str(public(request, url.include_query_params(**params)))


def envelope(
    key: str,
    items: list[dict[str, Any]],
    *,
    request: Request,
    total: int,
    skipped: int,
    per_page: int,
    next_cursor: str | None = None,
) -> dict[str, Any]:
    """`skipped` entries come before this page; `next_cursor` makes the next link keyset-based."""
    page = skipped // per_page + 1
    total_pages = max(1, -(-total // per_page))
    next_page = page + 1 if skipped + len(items) < total else None
    previous_page = page - 1 if page > 1 else None
    next_link = None
    if next_page is not None:
        next_link = (
            _link(request, cursor=next_cursor, per_page=per_page)
            if next_cursor
            else _link(request, page=next_page, per_page=per_page)
        )
    return {
        key: items,
        "per_page": per_page,
        "total_pages": total_pages,
        "total_entries": total,
        "next_page": next_page,
        "previous_page": previous_page,
        "page": page,
        "links": {
            "first": _link(request, page=1, per_page=per_page),
            "next": next_link,
            "previous": (
                _link(request, page=previous_page, per_page=per_page) if previous_page else None
            ),
            "last": _link(request, page=total_pages, per_page=per_page),
        },
    }
