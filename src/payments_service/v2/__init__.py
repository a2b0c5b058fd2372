"""The Harvest v2 JSON API under /v2, over the same services and ledger as v1."""

PREFIX = "/v2"
