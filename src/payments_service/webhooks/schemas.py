"""What a client sends to subscribe to webhooks."""

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from payments_service.validation import Text


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: Text = Field(max_length=2000)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL")
        return value.strip()
