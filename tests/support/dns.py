"""The names tests make up, and their addresses. Nothing else resolves, and no DNS server is
asked: the service's webhook checks look names up through this instead (see app.py)."""

import socket
from ipaddress import ip_address

from payments_service.webhooks.destinations import IPAddress


class FakeDNS:
    def __init__(self) -> None:
        self.names: dict[str, list[str]] = {}
        self.asked: list[str] = []

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append(host)
        if host not in self.names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [ip_address(address) for address in self.names[host]]


DNS = FakeDNS()
