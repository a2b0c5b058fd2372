"""Helpers for /v2 tests: the headers a Harvest v2 client sends."""

from tests.conftest import Account

USER_AGENT = "PaymentsTests (tests@example.com)"


def v2_headers(account: Account) -> dict[str, str]:
    return {
        **account.auth,
        "Harvest-Account-Id": str(account.id),
        "User-Agent": USER_AGENT,
    }
