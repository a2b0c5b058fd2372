"""Optional per-account rate limit, as Harvest v1 had: at most RATE_LIMIT_REQUESTS requests per
RATE_LIMIT_WINDOW_SECONDS, then 503 with Retry-After until the window ends.

Workers and containers share the count in PostgreSQL: one upsert per authenticated request
into fixed windows aligned on the database's clock (the same for all of them).
"""

from fastapi import Request

from payments_service.accounts import repository
from payments_service.database import Connection
from payments_service.errors import ServiceUnavailable


async def check(request: Request, conn: Connection, *, account_id: int) -> None:
    """Count the request against its account; 503 over the limit. Without a limit, no query.

    Called before the request's transaction opens: the count commits at once, whatever the
    request's fate, and the account's row is not held locked while the request runs.
    """
    settings = request.app.state.settings
    if not settings.rate_limit_requests:
        return
    hits, retry_after = await repository.count_request(
        conn, account_id=account_id, window_seconds=settings.rate_limit_window_seconds
    )
    if hits > settings.rate_limit_requests:
        raise ServiceUnavailable(
            f"Rate limit of {settings.rate_limit_requests} requests per "
            f"{settings.rate_limit_window_seconds} seconds exceeded; retry after Retry-After "
            "seconds",
            code="rate_limited",
            retry_after=max(1, retry_after),
        )
