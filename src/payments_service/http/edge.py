"""The HTTP connection as `serve` runs it: uvicorn's httptools protocol plus the two limits
uvicorn lacks. A request line and headers larger than MAX_HEADER_BYTES get 431 and the
connection is closed (counted as the bytes arrive, so a huge header is never buffered whole);
a client that has not sent a whole request head HEADER_TIMEOUT_SECONDS after its first byte
(or after connecting) is disconnected. The keep-alive idle timeout and the per-worker
connection cap with its 503 are uvicorn's own (`timeout_keep_alive`, `limit_concurrency`).
"""

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from payments_service.config import get_settings

TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 31\r\n"
    b"connection: close\r\n"
    b"\r\n"
    b"Request header fields too large"
)


class HeaderLimitedProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        settings = get_settings()
        self.max_header_bytes = settings.max_header_bytes
        self.header_timeout = settings.header_timeout_seconds
        self.head_bytes = 0  # of the request head being read
        self.reading_head = True
        self.head_deadline: asyncio.TimerHandle | None = self.loop.call_later(
            self.header_timeout, self._too_slow
        )

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():  # refused: the rest of what was sent is dropped
            return
        if self.reading_head:
            if self.head_deadline is None:  # the first byte of a request on a kept-alive one
                self.head_deadline = self.loop.call_later(self.header_timeout, self._too_slow)
            self.head_bytes += len(data)
        super().data_received(data)  # a head completed here is measured exactly, below
        if self.reading_head and self.head_bytes > self.max_header_bytes:
            self._refuse()

    def on_headers_complete(self) -> None:
        if self.transport.is_closing():  # refused; the parser goes on with what it has
            return
        self.reading_head = False
        self._cancel_deadline()
        # The exact size of the head (data_received sees reads, which may hold a body too).
        method = self.parser.get_method()
        request_line = len(method) + len(self.url) + len(b"  HTTP/1.1\r\n")
        size = request_line + sum(len(n) + len(v) + 4 for n, v in self.headers) + 2
        if size > self.max_header_bytes:
            self._refuse()
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self.transport.is_closing():
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self.transport.is_closing():
            return
        super().on_message_complete()
        self.reading_head, self.head_bytes = True, 0

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def _cancel_deadline(self) -> None:
        if self.head_deadline is not None:
            self.head_deadline.cancel()
            self.head_deadline = None

    def _refuse(self) -> None:
        self.reading_head = False
        self._cancel_deadline()
        if not self.transport.is_closing():
            self.transport.write(TOO_LARGE)
            self.transport.close()

    def _too_slow(self) -> None:
        self.head_deadline = None
        if self.reading_head and not self.transport.is_closing():
            self.transport.close()
