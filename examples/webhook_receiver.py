"""An example webhook receiver for payments-service: verifies signatures, prints events.

    WEBHOOK_SECRET=whsec_... python examples/webhook_receiver.py --port 9000

A correctly signed delivery gets 204 and its event is printed as one JSON line (once per event
id: deliveries are at least once, so a repeat is acknowledged and skipped); a body without a
Content-Length or over 1 MiB gets 413 unread; anything else gets 400. Standard library only,
so it runs wherever Python 3.11 does.
"""

import argparse
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

TOLERANCE_SECONDS = 300  # refuse old (replayed) signatures
MAX_BODY_BYTES = 1024 * 1024  # events are a few hundred bytes


def verify(secret: str, header: str, body: bytes, now: float) -> bool:
    """`Payments-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, with one v1
    per valid secret (two during a rotation's grace period). False, never an exception, for
    whatever else the header holds."""
    pairs = [part.strip().partition("=") for part in header.split(",")]
    timestamp = next((value for key, _, value in pairs if key == "t"), "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) < 16):
        return False
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    signed = timestamp.encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest().encode()
    return any(
        hmac.compare_digest(value.encode(), expected) for key, _, value in pairs if key == "v1"
    )


class Receiver(BaseHTTPRequestHandler):
    secret = os.environ.get("WEBHOOK_SECRET", "")
    seen: ClassVar[set[int]] = set()  # shared by every request (a handler lives for one)

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length", "")
        if not (length.isascii() and length.isdigit()) or int(length) > MAX_BODY_BYTES:
            print("rejected: no or too long a body", file=sys.stderr, flush=True)
            self.send_response(413)
            self.send_header("Connection", "close")
            self.end_headers()
            return
        body = self.rfile.read(int(length))
        signature = self.headers.get("Payments-Signature", "")
        if not self.secret or not verify(self.secret, signature, body, time.time()):
            print("rejected: bad signature", file=sys.stderr, flush=True)
            self.send_response(400)
            self.end_headers()
            return
        event = json.loads(body)["event"]
        if event["id"] not in self.seen:
            self.seen.add(event["id"])
            print(json.dumps(event), flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass  # stdout carries only the events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args()
    if not Receiver.secret:
        print("WEBHOOK_SECRET is not set: every delivery will be refused", file=sys.stderr)
    print(f"listening on {args.host}:{args.port}", file=sys.stderr, flush=True)
    ThreadingHTTPServer((args.host, args.port), Receiver).serve_forever()


if __name__ == "__main__":
    main()
