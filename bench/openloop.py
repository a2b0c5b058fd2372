"""An open-loop, constant-rate HTTP load generator (Debian has no wrk2).

Requests are due at fixed times (`rate` per second) whether or not earlier ones have been
answered; each latency is measured from the time the request was due, so time spent waiting
for a free connection counts (no coordinated omission). Keep-alive HTTP/1.1 over a pool of
connections, each an asyncio protocol driven by callbacks (no task per request: the generator
shares the machine's two cores with what it measures). Run as
`python -m bench.openloop SPEC_JSON`; prints one JSON line.
"""

import asyncio
import contextlib
import json
import random
import sys
import time
from collections import deque
from typing import Any, cast

import uvloop

TICK_S = 0.001
DRAIN_S = 30  # how long the answers still owed at the end may take


class Load:
    """What is due and not yet sent, the idle connections, and what was measured."""

    def __init__(self, spec: dict[str, Any]) -> None:
        body = spec["body"].encode() if spec.get("body") else b""
        headers = "".join(f"{k}: {v}\r\n" for k, v in spec["headers"].items())
        if body:
            headers += f"Content-Length: {len(body)}\r\n"
        tail = f" HTTP/1.1\r\nHost: {spec['host']}:{spec['port']}\r\n{headers}\r\n".encode()
        head = f"{spec['method']} ".encode()
        self.requests = [head + path.encode() + tail + body for path in spec["paths"]]
        self.backlog: deque[float] = deque()  # due times waiting for a free connection
        self.idle: deque[Connection] = deque()
        self.latencies: list[float] = []
        self.errors: dict[int, int] = {}  # non-2xx answers by status
        self.connections = 0
        self.all_idle = asyncio.Event()

    def due(self, scheduled: float) -> None:
        if self.idle:
            self.idle.popleft().send(scheduled)
        else:
            self.backlog.append(scheduled)

    def answered(self, connection: "Connection", scheduled: float, status: int) -> None:
        if 200 <= status < 300:
            self.latencies.append(time.perf_counter() - scheduled)
        else:
            self.errors[status] = self.errors.get(status, 0) + 1
        if self.backlog:
            connection.send(self.backlog.popleft())
        else:
            self.idle.append(connection)
            if len(self.idle) == self.connections:
                self.all_idle.set()


class Connection(asyncio.Protocol):
    """One keep-alive connection: one request in flight at a time, its answer read by length."""

    def __init__(self, load: Load) -> None:
        self.load = load
        self.buffer = bytearray()
        self.scheduled = 0.0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def send(self, scheduled: float) -> None:
        assert self.transport is not None
        self.scheduled = scheduled
        self.transport.write(random.choice(self.load.requests))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        lines = bytes(self.buffer[:end]).split(b"\r\n")
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if len(self.buffer) < end + 4 + length:
            return
        del self.buffer[: end + 4 + length]
        self.load.answered(self, self.scheduled, int(lines[0].split(b" ", 2)[1]))


async def drive(spec: dict[str, Any]) -> dict[str, Any]:
    rate, seconds = float(spec["rate"]), float(spec["seconds"])
    load = Load(spec)
    loop = asyncio.get_running_loop()
    for _ in range(int(spec["connections"])):
        _, connection = await loop.create_connection(
            lambda: Connection(load), spec["host"], spec["port"]
        )
        load.idle.append(connection)
    connections = list(load.idle)
    load.connections = len(connections)
    start = time.perf_counter()
    sent, total = 0, int(rate * seconds)
    while sent < total:
        now = time.perf_counter()
        while sent < total and start + sent / rate <= now:
            load.due(start + sent / rate)
            sent += 1
        await asyncio.sleep(TICK_S)
    load.all_idle.clear()
    if len(load.idle) < load.connections:
        with contextlib.suppress(TimeoutError):  # the answers still owed
            await asyncio.wait_for(load.all_idle.wait(), DRAIN_S)
    unanswered = load.connections - len(load.idle) + len(load.backlog)
    if unanswered:
        load.errors[0] = unanswered  # status 0: no answer at all
    for connection in connections:
        assert connection.transport is not None
        connection.transport.close()
    return {
        "latencies": load.latencies,
        "errors": load.errors,
        "seconds": time.perf_counter() - start,
    }


def main() -> None:
    print(json.dumps(uvloop.run(drive(json.loads(sys.argv[1])))))


if __name__ == "__main__":
    main()
