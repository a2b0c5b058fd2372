"""airbyte-source-harvest, unchanged: `check` (it reads GET /v2/company), then `read` of the
company, invoices and invoice payments. Its manifest is the package's own, with only the API
base URL pointed at the service. Airbyte messages go to stdout.
Environment: HARVEST_BASE, HARVEST_TOKEN, HARVEST_ACCOUNT_ID.
"""

import json
import os
import tempfile
from pathlib import Path

import source_harvest
import yaml
from airbyte_cdk.entrypoint import launch
from airbyte_cdk.sources.declarative.manifest_declarative_source import ManifestDeclarativeSource

HARVEST_API = "https://api.harvestapp.com/v2/"
STREAMS = ("company", "invoices", "invoice_payments")


def main() -> None:
    text = (Path(source_harvest.__file__).parent / "manifest.yaml").read_text()
    assert HARVEST_API in text
    manifest = yaml.safe_load(text.replace(HARVEST_API, f"{os.environ['HARVEST_BASE']}/v2/"))
    source = ManifestDeclarativeSource(source_config=manifest)
    work = Path(tempfile.mkdtemp())
    config = {
        "account_id": os.environ["HARVEST_ACCOUNT_ID"],
        "replication_start_date": "2000-01-01T00:00:00Z",
        "credentials": {"auth_type": "Token", "api_token": os.environ["HARVEST_TOKEN"]},
    }
    (work / "config.json").write_text(json.dumps(config))
    launch(source, ["check", "--config", str(work / "config.json")])

    streams = source.streams(config)
    catalog = {
        "streams": [
            {
                "stream": {
                    "name": stream.name,
                    "json_schema": stream.get_json_schema(),
                    "supported_sync_modes": ["full_refresh"],
                },
                "sync_mode": "full_refresh",
                "destination_sync_mode": "overwrite",
            }
            for stream in streams
            if stream.name in STREAMS
        ]
    }
    (work / "catalog.json").write_text(json.dumps(catalog))
    launch(
        source,
        ["read", "--config", str(work / "config.json"), "--catalog", str(work / "catalog.json")],
    )


if __name__ == "__main__":
    main()
