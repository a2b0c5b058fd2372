"""Where deliveries may go: the forms of loopback, private and metadata addresses are refused
when subscribing, and again at send time (a name that resolves inside only then), with no
connection made; the operator's allow-list opens a network."""

import asyncio
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network
from pathlib import Path

import asyncpg
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from payments_service.config import Settings
from payments_service.webhooks import repository
from tests.support.api import create_invoice
from tests.support.app import serving
from tests.support.auth import Account
from tests.support.database import snapshot
from tests.support.dns import FakeDNS
from tests.support.webhooks import MakeDispatcher, Receiver, nothing_owed, run_until

JSON = {"Accept": "application/json"}
PUBLIC = "93.184.216.34"  # what the made-up public names resolve to; never connected to

REFUSED_HOSTS = [
    "127.0.0.1",
    "localhost",
    "api.localhost",
    "2130706433",  # 127.0.0.1, decimal
    "0x7f000001",  # hex
    "0177.0.0.1",  # octal
    "127.1",  # short
    "0",  # 0.0.0.0, which reaches this machine
    "[::1]",
    "[::ffff:127.0.0.1]",  # IPv4-mapped
    "[::]",
    "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
    "10.1.2.3",
    "192.168.0.1",
    "100.64.0.1",
    "169.254.169.254",
    "[fd00:ec2::254]",
    "[fe80::1]",
    "224.0.0.1",
    "metadata.google.internal",
    "loopback.example",  # resolves to 127.0.0.1
    "mixed.example",  # one public and one private address
]


@pytest.fixture
def names(dns: FakeDNS) -> FakeDNS:
    dns.names.update(
        {
            "loopback.example": ["127.0.0.1"],
            "mixed.example": [PUBLIC, "10.0.0.7"],
            "public.example": [PUBLIC],
        }
    )
    return dns


@pytest.fixture(scope="module")
async def strict(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The service as deployed: WEBHOOK_ALLOWED_PRIVATE_NETWORKS empty (one app for the module,
    as the session's `app` is for the others: building an app and its document takes 0.1-0.3 s)."""
    own = settings.model_copy(update={"webhook_allowed_private_networks": ()})
    async with serving(own) as (_, client):
        yield client


async def _subscribe(client: httpx.AsyncClient, account: Account, url: str) -> httpx.Response:
    return await client.post("/webhooks", json={"url": url}, headers={**account.auth, **JSON})


@pytest.mark.parametrize("host", REFUSED_HOSTS)
async def test_a_loopback_private_or_metadata_destination_is_refused_with_422(
    strict: httpx.AsyncClient, owner: Account, db: asyncpg.Pool, names: FakeDNS, host: str
) -> None:
    before = await snapshot(db)

    response = await _subscribe(strict, owner, f"http://{host}:8080/hooks")

    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "code": "destination_not_allowed",
        "field": "url",
        "message": response.json()["errors"][0]["message"],
    }
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    "url", ["http://xn--a/", "http://08.1.1.1/", "http://1.2.3.999/", "http://a..b/", "http://-a/"]
)
async def test_a_url_whose_host_is_no_valid_name_or_address_is_a_422(
    strict: httpx.AsyncClient, owner: Account, db: asyncpg.Pool, url: str
) -> None:
    before = await snapshot(db)

    response = await _subscribe(strict, owner, url)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "url"
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    "url",
    [
        f"http://{PUBLIC}/hooks",
        "https://public.example/hooks",
        "https://not-yet.example/hooks",  # not found now: the send-time check decides
        "http://[2606:4700::1111]/hooks",
    ],
)
async def test_a_public_destination_is_accepted(
    strict: httpx.AsyncClient, owner: Account, names: FakeDNS, url: str
) -> None:
    response = await _subscribe(strict, owner, url)
    assert response.status_code == 201, response.text


async def test_the_allow_list_opens_its_networks_and_no_more(
    settings: Settings, owner: Account, names: FakeDNS
) -> None:
    own = settings.model_copy(
        update={"webhook_allowed_private_networks": (ip_network("10.1.0.0/16"),)}
    )
    async with serving(own) as (_, client):
        assert (await _subscribe(client, owner, "http://10.1.2.3/")).status_code == 201
        assert (await _subscribe(client, owner, "http://10.2.0.1/")).status_code == 422
        assert (await _subscribe(client, owner, "http://127.0.0.1/")).status_code == 422


class Listener:
    """A TCP port on loopback that counts the connections made to it."""

    def __init__(self) -> None:
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()


@pytest.fixture
async def listener() -> AsyncIterator[tuple[Listener, int]]:
    counter = Listener()
    server = await asyncio.start_server(counter.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield counter, port
    server.close()
    await server.wait_closed()


async def test_a_destination_refused_at_send_time_gets_no_connection_and_a_vague_error(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    names: FakeDNS,
    listener: tuple[Listener, int],
    make_dispatcher: MakeDispatcher,
) -> None:
    counter, port = listener
    names.names["rebind.example"] = [PUBLIC]
    rebinding = await _subscribe(client, owner, f"http://rebind.example:{port}/hooks")
    assert rebinding.status_code == 201
    names.names["rebind.example"] = ["127.0.0.1"]  # the name now points at this machine
    # Subscriptions made before these checks existed, in every spelling of loopback.
    async with db.acquire() as conn:
        for host in ["127.0.0.1", "2130706433", "0x7f000001", "127.1", "0", "[::ffff:127.0.0.1]"]:
            await repository.insert(
                conn, account_id=owner.id, url=f"http://{host}:{port}/", secret="whsec_x"
            )
    await create_invoice(client, owner, sent=False)
    dispatcher = await make_dispatcher(webhook_allowed_private_networks=())

    await run_until(dispatcher, lambda: _every_delivery_tried(db))

    errors = await db.fetch("SELECT last_error FROM webhook_deliveries")
    assert [row["last_error"] for row in errors] == ["not allowed or not found"] * 7
    assert counter.connections == 0
    shown = await client.get(f"/webhooks/{rebinding.json()['webhook']['id']}", headers=owner.auth)
    assert "127.0.0.1" not in shown.text


async def test_a_send_goes_to_the_checked_address_under_the_subscribers_name(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    names: FakeDNS,
    receiver: Receiver,
    make_dispatcher: MakeDispatcher,
) -> None:
    port = receiver.url.rsplit(":", 1)[1].split("/")[0]
    names.names["hooks.example"] = ["127.0.0.1"]
    await _subscribe(client, owner, f"http://hooks.example:{port}/hooks?x=1")
    await create_invoice(client, owner, sent=False)

    await run_until(await make_dispatcher(), lambda: nothing_owed(db))  # allows 127.0.0.0/8

    assert receiver.requests[0].headers["host"] == f"hooks.example:{port}"
    assert names.asked.count("hooks.example") >= 2  # at registration and at the send


def _self_signed(name: str, directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert, private = directory / "cert.pem", directory / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, private


async def test_https_sends_name_the_subscriber_in_tls_and_check_its_certificate(
    client: httpx.AsyncClient,
    owner: Account,
    db: asyncpg.Pool,
    names: FakeDNS,
    tmp_path: Path,
    make_dispatcher: MakeDispatcher,
) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*_self_signed("hooks.example", tmp_path))
    server_names: list[str | None] = []
    context.sni_callback = lambda _socket, name, _context: server_names.append(name)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    names.names["hooks.example"] = ["127.0.0.1"]
    await _subscribe(client, owner, f"https://hooks.example:{port}/hooks")
    await create_invoice(client, owner, sent=False)
    try:
        await run_until(await make_dispatcher(), lambda: _every_delivery_tried(db))
    finally:
        server.close()
        await server.wait_closed()

    # Connected to 127.0.0.1, named hooks.example; a self-signed certificate is not trusted.
    assert server_names and set(server_names) == {"hooks.example"}
    assert await db.fetchval("SELECT last_error FROM webhook_deliveries") == "TLS failed"


async def _every_delivery_tried(db: asyncpg.Pool) -> bool:
    untried: int = await db.fetchval("SELECT count(*) FROM webhook_deliveries WHERE attempts = 0")
    return untried == 0
