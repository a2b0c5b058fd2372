"""The floor: the baseline's transaction behind HTTP on the same server stack, and nothing else.

A bare ASGI app (no framework, no auth, no parsing, no events, no logs) that answers
`POST /invoices/{id}/payments` by running `bench.baseline.record_payment` on an asyncpg pool,
served by uvicorn with the service's workers, uvloop and httptools. What it reaches is what
HTTP and one Python process per core leave of the raw baseline; the service's own work is the
rest of the gap. Configured by DATABASE_URL, BENCH_ACCOUNT and BENCH_POOL_SIZE.
"""

import os
from typing import Any

import asyncpg

from bench.baseline import record_payment

Scope = dict[str, Any]
BODY = b'<?xml version="1.0" encoding="UTF-8"?>\n<payment><amount>1.00</amount></payment>\n'
state: dict[str, asyncpg.Pool] = {}


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            size = int(os.environ["BENCH_POOL_SIZE"])
            pool = await asyncpg.create_pool(
                os.environ["DATABASE_URL"], min_size=size, max_size=size
            )
            assert pool is not None
            state["pool"] = pool
            await send({"type": "lifespan.startup.complete"})
        else:
            await state["pool"].close()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _answer(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    length = (b"content-length", str(len(body)).encode())
    await send({"type": "http.response.start", "status": status, "headers": [*headers, length]})
    await send({"type": "http.response.body", "body": body})


async def app(scope: Scope, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    more = True
    while more:  # read the body, as any server must
        more = (await receive()).get("more_body", False)
    parts = scope["path"].split("/")  # ["", "invoices", id, "payments"]
    if scope["method"] != "POST" or len(parts) != 4 or not parts[2].isdigit():
        await _answer(send, 200, b"{}", [])  # what server.py's start-up probe asks
        return
    async with state["pool"].acquire() as conn:
        await record_payment(conn, int(os.environ["BENCH_ACCOUNT"]), int(parts[2]))
    location = f"/invoice/{parts[2]}/payments/1".encode()
    headers = [(b"content-type", b"application/xml"), (b"location", location)]
    await _answer(send, 201, BODY, headers)
