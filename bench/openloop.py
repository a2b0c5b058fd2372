"""An open-loop, constant-rate HTTP load generator (Debian has no wrk2).

Requests are due at fixed times (`rate` per second) whether or not earlier ones have been
answered; each latency is measured from the time the request was due, so time spent waiting
for a free connection counts (no coordinated omission). Keep-alive HTTP/1.1 over a pool of
connections. Run as `python -m bench.openloop SPEC_JSON`; prints one JSON line.
"""

import asyncio
import json
import random
import sys
import time
from typing import Any

import uvloop

TICK_S = 0.001


async def _answer(reader: asyncio.StreamReader) -> int:
    """Read one response; its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def drive(spec: dict[str, Any]) -> dict[str, Any]:
    rate, seconds = float(spec["rate"]), float(spec["seconds"])
    body = spec["body"].encode() if spec.get("body") else b""
    headers = "".join(f"{k}: {v}\r\n" for k, v in spec["headers"].items())
    if body:
        headers += f"Content-Length: {len(body)}\r\n"
    prefix = f"Host: {spec['host']}:{spec['port']}\r\n{headers}\r\n"
    due: asyncio.Queue[float | None] = asyncio.Queue()
    latencies: list[float] = []
    errors: dict[int, int] = {}  # non-2xx answers by status

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(spec["host"], spec["port"])
        while (scheduled := await due.get()) is not None:
            path = random.choice(spec["paths"])
            writer.write(f"{spec['method']} {path} HTTP/1.1\r\n{prefix}".encode() + body)
            status = await _answer(reader)
            if 200 <= status < 300:
                latencies.append(time.perf_counter() - scheduled)
            else:
                errors[status] = errors.get(status, 0) + 1
        writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(int(spec["connections"]))]
    start = time.perf_counter()
    sent = 0
    total = int(rate * seconds)
    while sent < total:
        now = time.perf_counter()
        while sent < total and start + sent / rate <= now:
            due.put_nowait(start + sent / rate)
            sent += 1
        await asyncio.sleep(TICK_S)
    for _ in workers:
        due.put_nowait(None)
    await asyncio.gather(*workers)
    return {"latencies": latencies, "errors": errors, "seconds": time.perf_counter() - start}


def main() -> None:
    print(json.dumps(uvloop.run(drive(json.loads(sys.argv[1])))))


if __name__ == "__main__":
    main()
