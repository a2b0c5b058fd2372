"""Webhook signatures: HMAC-SHA256 over `"<timestamp>.<body>"`, sent as
`Payments-Signature: t=<unix seconds>,v1=<hex digest>`, with one `v1` per valid secret (two
while a rotated secret's grace period lasts). Receivers verify it as docs/webhooks.md and
examples/webhook_receiver.py show."""

import hashlib
import hmac
import secrets
from collections.abc import Sequence

HEADER = "Payments-Signature"
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(keys: Sequence[str], timestamp: int, body: bytes) -> str:
    """The header value for `body` sent at `timestamp`, signed with each of `keys`."""
    signed = str(timestamp).encode() + b"." + body
    digests = (hmac.new(key.encode(), signed, hashlib.sha256).hexdigest() for key in keys)
    return ",".join([f"t={timestamp}", *(f"v1={digest}" for digest in digests)])
