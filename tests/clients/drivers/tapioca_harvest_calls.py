"""tapioca-harvest (a Harvest v2 wrapper), unchanged but for its API root: the calls a payment
integration makes. Prints what it got as one JSON object.
Environment: HARVEST_BASE, HARVEST_TOKEN, HARVEST_ACCOUNT_ID, INVOICE_ID.
"""

import json
import os

from tapioca_harvest import tapioca_harvest

tapioca_harvest.HarvestClientAdapter.api_root = f"{os.environ['HARVEST_BASE']}/v2/"


def main() -> None:
    api = tapioca_harvest.Harvest(
        token=os.environ["HARVEST_TOKEN"],
        account_id=os.environ["HARVEST_ACCOUNT_ID"],
        user_agent="payments-service client check (ops@example.com)",
    )
    invoice_id = int(os.environ["INVOICE_ID"])
    created = api.invoices_payments(invoice_id=invoice_id).post(
        data={"amount": 25.5, "paid_date": "2024-02-01", "notes": "tapioca"}
    )
    doomed = api.invoices_payments(invoice_id=invoice_id).post(data={"amount": 1})
    api.invoices_payment(invoice_id=invoice_id, payment_id=doomed().data()["id"]).delete()
    result = {
        "company": api.company().get()().data(),
        "me": api.me().get()().data(),
        "open": api.invoices().get(params={"state": "open"})().data(),
        "invoice": api.invoice(invoice_id=invoice_id).get()().data(),
        "created": created().data(),
        "payments": api.invoices_payments(invoice_id=invoice_id).get()().data(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
