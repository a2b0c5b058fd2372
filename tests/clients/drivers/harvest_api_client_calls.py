"""harvest-api-client (a Harvest v1 XML client), unchanged but for its base URL: it reads the
invoices, sending its OAuth2 access token as `?access_token=` as Harvest's v1 documentation
shows. Its token file holds the service's token, fresh, so it asks for no refresh.
Prints the invoices it parsed as one JSON array. Environment: HARVEST_BASE, HARVEST_TOKEN.
"""

import datetime
import json
import os
import tempfile

from harvest_api_client.harvest import Harvest


def main() -> None:
    now = datetime.datetime.now().isoformat()
    tokens = {
        "access_token": {"value": os.environ["HARVEST_TOKEN"], "last_refresh_time": now},
        "refresh_token": {"value": "unused", "last_refresh_time": now},
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(tokens, file)
    api = Harvest("unused", "unused", file.name)
    api.uri = os.environ["HARVEST_BASE"]
    invoices = [vars(invoice) | {"harvest": None} for invoice in api.invoices()]
    print(json.dumps(invoices, default=str))


if __name__ == "__main__":
    main()
