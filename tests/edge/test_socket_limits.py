"""System tests (marker `system`): header size and time limits of a real `serve` on loopback.

1,000 slowloris connections and one 60 MB header at once, while a fresh connection asks
/healthz every 0.2 s: each answer comes within 1 s, and the slow connections are closed by
the header timeout. Figures go to stdout (`pytest -s`).
"""

import asyncio
import multiprocessing
import resource
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from urllib.parse import urlsplit

import pytest

from payments_service.config import Settings
from tests.support.server import start_server

pytestmark = pytest.mark.system

SLOW_CONNECTIONS = 1000
BIG_HEADER = 60 * 1024 * 1024
HEADER_TIMEOUT = Settings().header_timeout_seconds  # the default, as deployed


def allow_open_files(wanted: int) -> None:
    """The slow connections are file descriptors of this process too."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"needs {wanted} open files, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[tuple[str, int]]:
    allow_open_files(SLOW_CONNECTIONS + 512)
    process, base = start_server(database_url, workers=2)
    parts = urlsplit(base)
    assert parts.hostname is not None and parts.port is not None
    yield parts.hostname, parts.port
    stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=30)


async def raw_exchange(host: str, port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        await writer.drain()
        return await reader.read()
    finally:
        writer.close()


async def healthz_seconds(host: str, port: int) -> float:
    """How long a fresh connection waits for /healthz's 200."""
    start = time.monotonic()
    answer = await raw_exchange(
        host, port, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:100]
    return time.monotonic() - start


async def slowloris(host: str, port: int) -> float:
    """A request head sent a byte a second, never finished: seconds until the server hangs up."""
    reader, writer = await asyncio.open_connection(host, port)
    start = time.monotonic()
    try:
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        while True:
            try:
                if await asyncio.wait_for(reader.read(1), timeout=1.0) == b"":
                    return time.monotonic() - start
            except TimeoutError:
                writer.write(b"a")
    except ConnectionError:
        return time.monotonic() - start
    finally:
        writer.close()


async def big_header(host: str, port: int) -> tuple[int, bytes]:
    """Send a 60 MB header in 64 KiB pieces: how many bytes went out before the server hung
    up, and what it answered."""
    reader, writer = await asyncio.open_connection(host, port)
    sent = 0
    try:
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: ")
        piece = b"a" * 65536
        while sent < BIG_HEADER:
            writer.write(piece)
            await writer.drain()
            sent += len(piece)
        writer.write(b"\r\n\r\n")
        await writer.drain()
    except ConnectionError:
        pass
    try:
        answer = await asyncio.wait_for(reader.read(), timeout=5)
    except (ConnectionError, TimeoutError):
        answer = b""
    writer.close()
    return sent, answer


def attack(host: str, port: int) -> tuple[list[float], int, bytes]:
    """The slow connections and the big header, from a process of their own (as an
    attacker's would be), so that the probes below measure the server, not this loop."""

    async def main() -> tuple[list[float], int, bytes]:
        allow_open_files(SLOW_CONNECTIONS + 512)
        slow = [asyncio.create_task(slowloris(host, port)) for _ in range(SLOW_CONNECTIONS)]
        sent, answer = await big_header(host, port)
        return list(await asyncio.gather(*slow)), sent, answer

    return asyncio.run(main())


async def test_slowloris_and_a_60_mb_header_leave_healthz_answering_within_a_second(
    server: tuple[str, int],
) -> None:
    host, port = server
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as attacker:
        attacking = asyncio.get_running_loop().run_in_executor(attacker, attack, host, port)
        probes: list[float] = []
        async with asyncio.timeout(HEADER_TIMEOUT + 120):
            while not attacking.done():
                probes.append(await asyncio.wait_for(healthz_seconds(host, port), timeout=10))
                await asyncio.sleep(0.2)
            closed_after, sent, answer = await attacking

    print(
        f"\n{SLOW_CONNECTIONS} slow connections closed after {min(closed_after):.2f}"
        f"-{max(closed_after):.2f} s (header timeout {HEADER_TIMEOUT} s); "
        f"{len(probes)} /healthz probes, slowest {max(probes) * 1000:.0f} ms; "
        f"the 60 MB header was cut after {sent / 1024:.0f} KiB"
    )
    assert max(probes) < 1.0
    # Closed by the header timeout (counted from the server's accept, a little before the
    # client's clock starts), not much later even on a busy machine.
    assert max(closed_after) <= HEADER_TIMEOUT + 10
    assert sent < BIG_HEADER
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431 ")


@pytest.mark.parametrize("size", [16 * 1024 - 200, 16 * 1024 + 1])
async def test_a_request_head_over_16_kib_gets_431(server: tuple[str, int], size: int) -> None:
    host, port = server
    head = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    filler = b"X-Fill: " + b"a" * (size - len(head) - len(b"X-Fill: \r\n\r\n")) + b"\r\n"
    request = head + filler + b"\r\n"
    assert len(request) == size
    answer = await raw_exchange(host, port, request)
    expected = b"HTTP/1.1 431 " if size > 16 * 1024 else b"HTTP/1.1 200 "
    assert answer.startswith(expected), answer[:100]


async def test_an_idle_kept_alive_connection_is_closed_after_the_keep_alive_timeout(
    server: tuple[str, int],
) -> None:
    host, port = server
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    await reader.readuntil(b'{"status":"ok"}')
    answered = time.monotonic()
    async with asyncio.timeout(Settings().keepalive_timeout_seconds + 15):
        assert await reader.read() == b""
    writer.close()
    idle = time.monotonic() - answered
    assert Settings().keepalive_timeout_seconds - 0.5 <= idle


async def test_past_the_connection_cap_a_request_gets_503_at_once(database_url: str) -> None:
    process, base = start_server(database_url, workers=1, env={"MAX_CONNECTIONS_PER_WORKER": "5"})
    try:
        host, port = base.removeprefix("http://").split(":")
        held = [await asyncio.open_connection(host, int(port)) for _ in range(5)]
        start = time.monotonic()
        answer = await raw_exchange(
            host, int(port), b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
        )
        seconds = time.monotonic() - start
        for _, writer in held:
            writer.close()
    finally:
        stop(process)
    assert answer.startswith(b"HTTP/1.1 503 "), answer[:100]
    assert seconds < Settings().header_timeout_seconds  # not after the held ones time out
