"""Webhook signatures: HMAC-SHA256 over `"<timestamp>.<body>"`, sent as
`Payments-Signature: t=<unix seconds>,v1=<hex digest>`. Receivers verify it as docs/webhooks.md and
examples/webhook_receiver.py show."""

import hashlib
import hmac
import secrets

HEADER = "Payments-Signature"
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for `body` sent at `timestamp`."""
    signed = str(timestamp).encode() + b"." + body
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"
