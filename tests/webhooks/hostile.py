"""Receivers a hostile tenant would point its webhooks at, on loopback: one that trickles its
answer a byte every 3 s, one that answers 100 MB."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

HUNDRED_MB = 100 * 1024 * 1024
CHUNK = b"x" * 65536


@dataclass
class Hostile:
    """How many requests came in, and how many bytes of answer the client took."""

    port: int = 0
    requests: int = 0
    bytes_sent: int = 0


async def _read_request(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            await reader.readexactly(int(line.split(b":")[1]))


async def _trickle(hostile: Hostile, writer: asyncio.StreamWriter) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
        writer.write(bytes([byte]))
        await writer.drain()
        hostile.bytes_sent += 1
        await asyncio.sleep(3)


async def _huge(hostile: Hostile, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: %d\r\n\r\n" % HUNDRED_MB)
    for _ in range(HUNDRED_MB // len(CHUNK)):
        writer.write(CHUNK)
        await writer.drain()  # as fast as the client reads
        hostile.bytes_sent += len(CHUNK)


@asynccontextmanager
async def hostile_receiver(kind: str) -> AsyncIterator[Hostile]:
    """A receiver on 127.0.0.1 that answers as `kind` says: "trickle" or "huge"."""
    hostile = Hostile()
    answer = {"trickle": _trickle, "huge": _huge}[kind]
    tasks: set[asyncio.Task[None]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tasks.add(asyncio.current_task())  # type: ignore[arg-type]
        try:
            await _read_request(reader)
            hostile.requests += 1
            await answer(hostile, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client hung up, as it should
        finally:
            writer.close()
            tasks.discard(asyncio.current_task())  # type: ignore[arg-type]

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    hostile.port = server.sockets[0].getsockname()[1]
    try:
        yield hostile
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await server.wait_closed()
