"""What a client sends to subscribe to webhooks."""

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from payments_service.http.validation import Text
from payments_service.webhooks.destinations import parse

# An http(s) URL with a host name, an IPv4 address or a bracketed IPv6 address; the document
# states the same pattern. (Where it may point is the destination check's business.)
URL = re.compile(r"https?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?([/?#][!-~]*)?")


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: Text = Field(
        max_length=2000,
        json_schema_extra={"maxLength": 2000, "pattern": f"^{URL.pattern}$"},
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not URL.fullmatch(value.strip()):
            raise ValueError("must be an http:// or https:// URL")
        try:
            parse(value.strip())
        except ValueError:
            raise ValueError("must be an http(s) URL with a valid host name or address") from None
        return value.strip()
