from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting comes from an environment variable of the same name, upper-cased."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str | None = None
    data_dir: Path = Path(".data")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    max_body_bytes: int = 1024 * 1024
    db_pool_size: int = 10
    db_pool_timeout: float = 2.0
    log_level: str = "INFO"
    # Absolute links (v2 pagination) start with PUBLIC_BASE_URL; without it, with the request's
    # host if it is one of ALLOWED_HOSTS (comma-separated; default: HOST and localhost).
    public_base_url: str | None = None
    allowed_hosts: str = ""
    # /metrics answers only `Authorization: Bearer <this>`; unset, it is 404.
    metrics_token: str | None = None
    # The HTTP edge (see edge.py and docs/operations.md).
    max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    header_timeout_seconds: float = Field(default=5.0, gt=0)
    keepalive_timeout_seconds: int = Field(default=5, ge=1)
    max_connections_per_worker: int = Field(default=2048, ge=1)
    # A verified token is trusted this long without a query; revocation takes effect after it.
    token_cache_seconds: float = Field(default=1.0, ge=0, le=5)
    token_cache_entries: int = Field(default=10_000, ge=1)
    # Failed authentications allowed per client address and window, in each worker.
    auth_failure_limit: int = Field(default=20, ge=1)
    auth_failure_window_seconds: int = Field(default=60, ge=1)
    idempotency_key_ttl_seconds: int = 24 * 3600
    idempotency_purge_interval_seconds: float = 600.0
    # Webhooks: the dispatcher runs in every worker unless disabled (then run `dispatch`).
    dispatcher_enabled: bool = True
    webhook_poll_seconds: float = 1.0
    webhook_timeout_seconds: float = 10.0
    webhook_retry_base_seconds: float = 1.0
    webhook_retry_max_seconds: float = 300.0
    webhook_give_up_seconds: float = 3 * 24 * 3600
    # Where deliveries may go besides the public internet (comma-separated CIDRs); see
    # docs/webhooks.md.
    webhook_allowed_private_networks: Annotated[
        tuple[IPv4Network | IPv6Network, ...], NoDecode
    ] = ()
    # Look a new subscription's host name up to refuse one that points inside (the send-time
    # check applies regardless); off where the API workers have no DNS.
    webhook_registration_lookup: bool = True
    webhook_max_subscriptions_per_account: int = Field(default=16, ge=0)
    webhook_secret_grace_seconds: float = Field(default=24 * 3600, ge=0)
    # Fernet keys (comma-separated, the first encrypts) for the signing secrets at rest.
    webhook_secret_key: SecretStr | None = None
    # Per-account rate limit as Harvest v1 had (e.g. 100 per 15 s); 0 requests turns it off.
    rate_limit_requests: int = Field(default=0, ge=0)
    rate_limit_window_seconds: int = Field(default=15, ge=1)

    def link_hosts(self) -> set[str]:
        given = {host.strip().lower() for host in self.allowed_hosts.split(",") if host.strip()}
        return given or {self.host.lower(), "localhost", "127.0.0.1", "::1"}

    @field_validator("webhook_allowed_private_networks", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(ip_network(cidr.strip()) for cidr in value.split(",") if cidr.strip())
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
