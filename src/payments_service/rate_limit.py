"""Optional per-account rate limit, as Harvest v1 had: at most RATE_LIMIT_REQUESTS requests per
RATE_LIMIT_WINDOW_SECONDS, then 503 with Retry-After until the window ends.

Workers and containers share the count in PostgreSQL: one upsert per authenticated request
into fixed windows aligned on the database's clock (the same for all of them).
"""

import asyncpg
from fastapi import Request

from payments_service.errors import ServiceUnavailable

# A request of a later window starts it afresh; one that computed its window just before
# another request opened the next one counts in the newer window.
HIT = """
INSERT INTO rate_limit_windows AS w (account_id, window_start, hits)
VALUES ($1, to_timestamp(floor(extract(epoch FROM now()) / $2::int) * $2::int), 1)
ON CONFLICT (account_id) DO UPDATE SET
    hits = CASE WHEN excluded.window_start > w.window_start THEN 1 ELSE w.hits + 1 END,
    window_start = greatest(w.window_start, excluded.window_start)
RETURNING w.hits, ceil(extract(epoch FROM w.window_start - now()) + $2::int)::int AS retry_after
"""


async def check(request: Request, conn: asyncpg.Connection, *, account_id: int) -> None:
    """Count the request against its account; 503 over the limit. Without a limit, no query.

    Called before the request's transaction opens: the count commits at once, whatever the
    request's fate, and the account's row is not held locked while the request runs.
    """
    settings = request.app.state.settings
    if not settings.rate_limit_requests:
        return
    row = await conn.fetchrow(HIT, account_id, settings.rate_limit_window_seconds)
    if row["hits"] > settings.rate_limit_requests:
        raise ServiceUnavailable(
            f"Rate limit of {settings.rate_limit_requests} requests per "
            f"{settings.rate_limit_window_seconds} seconds exceeded; retry after Retry-After "
            "seconds",
            code="rate_limited",
            retry_after=max(1, row["retry_after"]),
        )
