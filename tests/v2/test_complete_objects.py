"""Every /v2 object carries every property of its schema in Harvest's own v2 description, with
null, [] or zero where this service has no data: connectors read the keys without looking."""

import copy
from typing import Any

import httpx

from tests.support.api import create_invoice, v2_headers, v2_post
from tests.support.auth import Account
from tests.v2.keys import operation, response_problems

Spec = dict[str, Any]


class Recorder:
    """Calls /v2 like a client would and checks each answer's keys against the spec."""

    def __init__(self, client: httpx.AsyncClient, account: Account, spec: Spec) -> None:
        self.client, self.account, self.spec = client, account, spec
        self.problems: list[str] = []
        self.exercised: set[tuple[str, str]] = set()

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = await self.client.request(
            method, f"/v2{path}", json=body, headers=v2_headers(self.account)
        )
        assert response.is_success, response.text
        template, _ = operation(self.spec, method, path)
        self.exercised.add((method.lower(), template))
        if not response.content:  # DELETE answers 200 without a body
            return None
        found = response_problems(self.spec, method, path, response.status_code, response.json())
        self.problems += [f"{method} {path} {problem}" for problem in found]
        return response.json()


async def test_every_object_of_every_v2_endpoint_has_every_key_of_harvests_schema(
    client: httpx.AsyncClient, owner: Account, harvest_spec: Spec
) -> None:
    draft = await create_invoice(client, owner, number="draft", sent=False)
    partial = await create_invoice(client, owner, number="partial")
    paid = await create_invoice(client, owner, number="paid")
    closed = await create_invoice(client, owner, number="closed")
    v2 = Recorder(client, owner, harvest_spec)

    await v2.call("POST", f"/invoices/{partial}/payments", {"amount": 10})
    await v2.call("POST", f"/invoices/{paid}/payments", {"amount": 100})
    await v2.call("POST", f"/invoices/{closed}/messages", {"event_type": "close"})
    await v2.call("GET", "/invoices")
    for invoice_id in (draft, partial, paid, closed):
        await v2.call("GET", f"/invoices/{invoice_id}")
        await v2.call("GET", f"/invoices/{invoice_id}/payments")
    gone = await v2.call("POST", f"/invoices/{partial}/payments", {"amount": 1})
    await v2.call("DELETE", f"/invoices/{partial}/payments/{gone['id']}")
    await v2.call("GET", "/users/me")
    await v2.call("GET", "/company")

    assert v2.problems == []
    every_operation = {
        (method, path) for path, item in harvest_spec["paths"].items() for method in item
    }
    assert v2.exercised == every_operation


async def test_a_property_the_spec_gains_is_reported_missing_until_it_is_served(
    client: httpx.AsyncClient, owner: Account, harvest_spec: Spec
) -> None:
    invoice_id = await create_invoice(client, owner)
    paid = await v2_post(client, owner, f"/invoices/{invoice_id}/payments", {"amount": 1})
    grown = copy.deepcopy(harvest_spec)
    schemas = grown["components"]["schemas"]
    schemas["Invoice"]["properties"]["project_code"] = {"type": "string", "nullable": True}
    schemas["PaymentGateway"] = {"type": "object", "properties": {"id": {}, "name": {}, "kind": {}}}
    schemas["InvoicePayment"]["properties"]["payment_gateway"] = {
        "$ref": "#/components/schemas/PaymentGateway"
    }
    v2 = Recorder(client, owner, grown)
    await v2.call("GET", f"/invoices/{invoice_id}")
    await v2.call("GET", "/invoices")
    await v2.call("GET", f"/invoices/{invoice_id}/payments")

    path = f"/invoices/{invoice_id}"
    assert v2.problems == [
        f"GET {path} .: missing ['project_code']",
        "GET /invoices .invoices[0]: missing ['project_code']",
        f"GET {path}/payments .invoice_payments[0].payment_gateway: missing ['kind']",
    ]
    assert paid.status_code == 201
