"""The worker processes of a `serve`, and which one holds a client's connection, read from
/proc (Linux)."""

import asyncio
import os
from pathlib import Path


def _server_socket_inode(client_port: int, server_port: int) -> str | None:
    """The inode of the server side of the loopback connection from `client_port`."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = fields[1].rsplit(":", 1)[1], fields[2].rsplit(":", 1)[1]
            if int(local, 16) == server_port and int(remote, 16) == client_port:
                return fields[9]
    return None


def workers_of(pid: int) -> list[int]:
    """The uvicorn worker processes of the server `pid`."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [
        int(child)
        for child in children
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


def worker_holding(server_pid: int, client_port: int, server_port: int) -> int | None:
    inode = _server_socket_inode(client_port, server_port)
    if inode is None:
        return None
    for worker in workers_of(server_pid):
        for fd in Path(f"/proc/{worker}/fd").iterdir():
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return worker
            except OSError:  # closed meanwhile
                continue
    return None


async def connection_per_worker(
    server_pid: int, host: str, port: int, *, attempts: int = 400
) -> dict[int, tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """One open keep-alive connection to each worker: connections are opened (and the others
    closed) until every worker has one."""
    wanted = set(workers_of(server_pid))
    found: dict[int, tuple[asyncio.StreamReader, asyncio.StreamWriter]] = {}
    for _ in range(attempts):
        reader, writer = await asyncio.open_connection(host, port)
        # A request first: the worker has accepted the connection once it answers.
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        await read_response(reader)
        worker = worker_holding(server_pid, writer.get_extra_info("sockname")[1], port)
        if worker is not None and worker not in found:
            found[worker] = (reader, writer)
        else:
            writer.close()
        if set(found) == wanted:
            return found
    raise AssertionError(f"reached {sorted(found)} of the workers {sorted(wanted)}")


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length: status, headers (lower-cased), body."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body
