"""tap-harvest (Singer), unchanged, syncing invoices and their payments from the service.

The tap's two addresses are pointed at loopback: its API base URL at the service, and Harvest's
ID service (where it trades its OAuth2 refresh token for an access token) at a stand-in that
answers with the service's personal access token and forwards GET /accounts to the service.
Singer messages go to stdout. Environment: HARVEST_BASE, HARVEST_TOKEN.
"""

import json
import os
import sys
import tempfile
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import tap_harvest
from tap_harvest import client
from tap_harvest.discover import discover

BASE, TOKEN = os.environ["HARVEST_BASE"], os.environ["HARVEST_TOKEN"]
STREAMS = {"invoices", "invoice_payments", "invoice_line_items"}


class IdService(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # /oauth2/token
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer(200, json.dumps({"access_token": TOKEN, "expires_in": 3600}).encode())

    def do_GET(self) -> None:  # /accounts
        forwarded = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        request = urllib.request.Request(f"{BASE}/v2{self.path}", headers=forwarded)
        with urllib.request.urlopen(request, timeout=30) as response:
            self._answer(response.status, response.read())

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    id_service = ThreadingHTTPServer(("127.0.0.1", 0), IdService)
    threading.Thread(target=id_service.serve_forever, daemon=True).start()
    client.REFRESH_URL = f"http://127.0.0.1:{id_service.server_port}"
    original = client.Client.__init__

    def pointed(self: client.Client, config: dict) -> None:
        original(self, config)
        self.base_url = f"{BASE}/v2"

    client.Client.__init__ = pointed

    work = tempfile.mkdtemp()
    config = {
        "refresh_token": "unused",
        "client_id": "unused",
        "client_secret": "unused",
        "start_date": "2000-01-01T00:00:00Z",
        "user_agent": "payments-service client check (ops@example.com)",
    }
    catalog = discover().to_dict()
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if not entry["breadcrumb"]:
                entry["metadata"]["selected"] = stream["tap_stream_id"] in STREAMS
    for name, content in (("config.json", config), ("catalog.json", catalog)):
        with open(os.path.join(work, name), "w") as file:
            json.dump(content, file)
    sys.argv = [
        "tap-harvest",
        "--config",
        f"{work}/config.json",
        "--catalog",
        f"{work}/catalog.json",
    ]
    tap_harvest.main()


if __name__ == "__main__":
    main()
