"""python-harvest-redux (a Harvest v1 client), unchanged: given the service's URL as its Harvest
URI and `email` + token as its Basic credentials, it lists, reads and updates invoices (the v1
calls it has; it has none for payments). Prints what it got as one JSON object.
Environment: HARVEST_BASE, HARVEST_EMAIL, HARVEST_TOKEN, INVOICE_ID.
"""

import json
import os

from harvest import Harvest


def main() -> None:
    api = Harvest(
        os.environ["HARVEST_BASE"],
        email=os.environ["HARVEST_EMAIL"],
        password=os.environ["HARVEST_TOKEN"],
    )
    invoice_id = os.environ["INVOICE_ID"]
    result = {
        "partial": api.invoices(status="partial"),
        "by_date": api.invoices(
            from_date="20080201", to_date="20080229", updated_since="2000-01-01"
        ),
        "updated": api.update_invoice(invoice_id, invoice={"subject": "Renamed by redux"}),
        "invoice": api.get_invoice(invoice_id),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
