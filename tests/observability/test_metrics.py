"""Prometheus /metrics: requests by route and status, latency, payments, pool; all workers."""

import asyncio

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Account, create_invoice, payment_xml
from tests.contract.checker import ContractChecker


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_metrics_count_requests_payments_and_amounts_by_currency(
    client: httpx.AsyncClient, owner: Account
) -> None:
    before = await scrape(client)
    invoice_id = await create_invoice(client, owner, amount="100.00", currency="EUR")
    xml = {**owner.auth, "Content-Type": "application/xml"}
    for amount in ("10.25", "20.50"):
        paid = await client.post(
            f"/invoices/{invoice_id}/payments", content=payment_xml(amount), headers=xml
        )
    await client.post(f"/invoices/{invoice_id}/payments", content=payment_xml("999"), headers=xml)
    await client.delete(paid.headers["Location"], headers=owner.auth)
    after = await scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    route = "/invoices/{invoice_id}/payments"
    assert delta("http_requests_total", method="POST", route=route, status="201") == 2
    assert delta("http_requests_total", method="POST", route=route, status="422") == 1
    latency = "http_request_duration_seconds_count"
    assert delta(latency, method="POST", route=route, status="201") == 2
    assert delta(latency, method="POST", route=route, status="422") == 1
    assert delta("payments_recorded_total", currency="EUR") == 2
    assert delta("payments_recorded_amount_total", currency="EUR") == 30.75
    assert delta("payments_deleted_total") == 1
    assert value(after, "db_pool_connections", state="idle") >= 1
    assert ("db_pool_waiting", frozenset()) in samples(after)
    assert ("outbox_lag_seconds", frozenset()) in samples(after)


async def test_metrics_from_several_workers_add_up(
    live_server: str, contract: ContractChecker
) -> None:
    # A new connection per request, so the requests and the scrapes spread over both workers.
    async with httpx.AsyncClient(
        base_url=live_server,
        limits=httpx.Limits(max_keepalive_connections=0),
        event_hooks={"response": [contract]},
    ) as http:
        labels = {"method": "GET", "route": "/healthz", "status": "200"}
        before = value((await http.get("/metrics")).text, "http_requests_total", **labels)
        for _ in range(20):
            assert (await http.get("/healthz")).status_code == 200
        # A worker counts a request just after sending its answer: give the last one a moment.
        for _ in range(50):
            counted = value((await http.get("/metrics")).text, "http_requests_total", **labels)
            if counted - before >= 20:
                break
            await asyncio.sleep(0.1)
    assert counted - before == 20
