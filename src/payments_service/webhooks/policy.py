"""What the settings say about webhooks, built once per process: where deliveries may go, how
secrets are kept, and the per-account limit."""

import logging
from dataclasses import dataclass

from payments_service.config import Settings
from payments_service.webhooks.destinations import Destinations, Resolver, system_resolve
from payments_service.webhooks.secret_box import SecretBox

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookPolicy:
    destinations: Destinations
    box: SecretBox
    max_per_account: int
    grace_seconds: float

    @classmethod
    def of(cls, settings: Settings, resolve: Resolver = system_resolve) -> "WebhookPolicy":
        key = settings.webhook_secret_key
        if key is None:
            logger.warning("WEBHOOK_SECRET_KEY is not set: webhook secrets are stored unencrypted")
        return cls(
            destinations=Destinations(
                settings.webhook_allowed_private_networks,
                resolve,
                lookup_at_registration=settings.webhook_registration_lookup,
            ),
            box=SecretBox(key.get_secret_value() if key else None),
            max_per_account=settings.webhook_max_subscriptions_per_account,
            grace_seconds=settings.webhook_secret_grace_seconds,
        )
