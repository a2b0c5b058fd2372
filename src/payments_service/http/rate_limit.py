"""Two limits. Per account, optional, as Harvest v1 had: at most RATE_LIMIT_REQUESTS requests
per RATE_LIMIT_WINDOW_SECONDS, counted in PostgreSQL so every worker and container shares it.
Per client address, always: at most AUTH_FAILURE_LIMIT failed authentications per
AUTH_FAILURE_WINDOW_SECONDS in each worker, counted in memory, so a flood of bad credentials
costs no database work. Past either, requests get 503 (429 on /v2) with Retry-After until the
window ends.
"""

import math
import time
from collections import OrderedDict

from fastapi import Request

from payments_service.accounts import repository
from payments_service.db.pool import request_connection
from payments_service.errors import RateLimited


async def check(request: Request, *, account_id: int) -> None:
    """Count the request against its account; refused over the limit. Without a limit, no query.

    Runs before the request's transaction opens: the count commits at once, whatever the
    request's fate, and the account's row is not held locked while the request runs.
    """
    settings = request.app.state.settings
    if not settings.rate_limit_requests:
        return
    hits, retry_after = await repository.count_request(
        await request_connection(request),
        account_id=account_id,
        window_seconds=settings.rate_limit_window_seconds,
    )
    if hits > settings.rate_limit_requests:
        raise RateLimited(
            f"Rate limit of {settings.rate_limit_requests} requests per "
            f"{settings.rate_limit_window_seconds} seconds exceeded; retry after Retry-After "
            "seconds",
            retry_after=max(1, retry_after),
        )


class FailedAuthLimit:
    """Failed authentications per client address in fixed windows, in this worker's memory.
    At most `max_addresses` are remembered (the least recently failing are forgotten first)."""

    def __init__(self, limit: int, window_seconds: int, max_addresses: int = 100_000) -> None:
        self.limit, self.window, self.max_addresses = limit, window_seconds, max_addresses
        self._failures: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def check(self, address: str) -> None:
        """Refuse an address that failed `limit` times in its current window."""
        found = self._failures.get(address)
        if found is None:
            return
        started, count = found
        left = started + self.window - time.monotonic()
        if left <= 0:
            del self._failures[address]
        elif count >= self.limit:
            raise RateLimited(
                f"Too many failed authentications from {address}; retry after Retry-After seconds",
                retry_after=math.ceil(left),
            )

    def failed(self, address: str) -> None:
        now = time.monotonic()
        started, count = self._failures.pop(address, (now, 0))
        if now - started >= self.window:
            started, count = now, 0
        self._failures[address] = (started, count + 1)
        if len(self._failures) > self.max_addresses:
            self._failures.popitem(last=False)
