"""Where webhook deliveries may go: the public internet, plus the networks an operator allows.

A subscription's host is checked when it is registered and again at every send, on the
addresses it resolves to then (a name may point elsewhere by then: DNS rebinding); the
dispatcher connects to the address that was checked. Host names are read as browsers and
getaddrinfo read them, so `2130706433`, `0x7f000001` and `127.1` are 127.0.0.1.
"""

import asyncio
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import NewType
from urllib.parse import urlsplit

import idna

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network
# Looks a host name up: its addresses, or an OSError (or UnicodeError) when it has none.
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]
# A subscription URL that passed the registration check.
Admitted = NewType("Admitted", str)

# Names that always mean this machine (RFC 6761) or a cloud's instance metadata service.
LOCAL_NAMES = ("localhost", "metadata.google.internal", "metadata.goog", "metadata")
METADATA = frozenset(map(ip_address, ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")))
NAT64 = IPv6Network("64:ff9b::/96")
# A host whose last label is a number is an IPv4 address, in whatever form inet_aton reads.
NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
REGISTRATION_LOOKUP_SECONDS = 2.0


class Refused(Exception):
    """Not sent: the host is not allowed, or has no address. One reason for both, so that a
    subscriber cannot tell which internal names exist."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # lower case, without brackets or a trailing dot
    port: int
    explicit_port: bool
    raw_path: bytes  # path and query
    address: IPAddress | None  # when the host is an address

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if isinstance(self.address, IPv6Address) else self.host
        return f"{host}:{self.port}" if self.explicit_port else host


def _literal(host: str) -> IPAddress | None:
    try:
        return ip_address(host)
    except ValueError:
        pass
    if not NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
        return None
    try:
        return IPv4Address(socket.inet_aton(host))
    except OSError:
        raise ValueError("host is neither a name nor an IPv4 address") from None


def parse(url: str) -> Target:
    """The parts of an http(s) URL a delivery needs; ValueError when its host is no valid
    name or address (IDNA included)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    host = parts.hostname.removesuffix(".")
    address = _literal(host)
    if address is None:
        idna.decode(host)  # raises IDNAError (a ValueError) for what no DNS name can be
    default_port = 443 if parts.scheme == "https" else 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(
        scheme=parts.scheme,
        host=host,
        port=parts.port or default_port,
        explicit_port=parts.port is not None,
        raw_path=path.encode(),
        address=address,
    )


def _embedded(address: IPAddress) -> list[IPAddress]:
    """The address and the IPv4 addresses it carries (mapped, 6to4, NAT64, Teredo)."""
    if isinstance(address, IPv4Address):
        return [address]
    carried: list[IPAddress] = [address]
    if address.ipv4_mapped is not None:
        carried.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        carried.append(address.sixtofour)
    if address.teredo is not None:
        carried.extend(address.teredo)
    if address in NAT64:
        carried.append(IPv4Address(int(address) & 0xFFFFFFFF))
    return carried


def _public(address: IPAddress) -> bool:
    return address.is_global and not address.is_multicast and address not in METADATA


async def system_resolve(host: str, port: int) -> list[IPAddress]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ip_address(info[4][0]) for info in infos]


class Destinations:
    def __init__(
        self,
        allowed: Sequence[IPNetwork],
        resolve: Resolver = system_resolve,
        *,
        lookup_at_registration: bool = True,
    ) -> None:
        self.allowed = tuple(allowed)
        self.resolve = resolve
        self.lookup_at_registration = lookup_at_registration

    def allows(self, address: IPAddress) -> bool:
        if any(address in network for network in self.allowed):
            return True
        return all(_public(carried) for carried in _embedded(address))

    async def addresses(self, target: Target) -> list[IPAddress]:
        """Where to connect for `target`, every address allowed; Refused otherwise."""
        if target.address is not None:
            return self._checked(target, [target.address])
        try:
            found = await self.resolve(target.host, target.port)
        except (OSError, UnicodeError):
            raise Refused from None
        if not found:
            raise Refused
        return self._checked(target, found)

    async def admit(self, url: str) -> Admitted:
        """`url` when a new subscription may send there: its host is no refused name or
        address, and does not resolve (within a short wait) to a refused address. A name not
        found is accepted: the send-time check decides."""
        target = parse(url)
        if target.address is not None or not self.lookup_at_registration:
            self._checked(target, [target.address] if target.address else [])
            return Admitted(url)
        try:
            async with asyncio.timeout(REGISTRATION_LOOKUP_SECONDS):
                found = await self.resolve(target.host, target.port)
        except (OSError, UnicodeError, TimeoutError):
            found = []
        self._checked(target, found)
        return Admitted(url)

    def _checked(self, target: Target, found: list[IPAddress]) -> list[IPAddress]:
        if _local_name(target.host) or not all(self.allows(address) for address in found):
            raise Refused
        return list(dict.fromkeys(found))


def _local_name(host: str) -> bool:
    return host in LOCAL_NAMES or host.endswith(".localhost")
