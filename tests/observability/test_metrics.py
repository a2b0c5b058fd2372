"""Prometheus /metrics: requests by route and status, latency, payments, pool; all workers."""

import asyncio
import random

import httpx
import pytest
from prometheus_client import REGISTRY

from payments_service.config import Settings
from payments_service.db.pool import PoolSizes
from tests.support.api import create_invoice, payment_xml, v2_headers
from tests.support.app import serving
from tests.support.auth import METRICS_AUTH, Account
from tests.support.contract import ContractChecker
from tests.support.metrics import samples, value


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics", headers=METRICS_AUTH)
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


@pytest.mark.system
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
        before = value(
            (await http.get("/metrics", headers=METRICS_AUTH)).text, "http_requests_total", **labels
        )
        for _ in range(20):
            assert (await http.get("/healthz")).status_code == 200
        # A worker counts a request just after sending its answer: give the last one a moment.
        for _ in range(50):
            counted = value(
                (await http.get("/metrics", headers=METRICS_AUTH)).text,
                "http_requests_total",
                **labels,
            )
            if counted - before >= 20:
                break
            await asyncio.sleep(0.1)
    assert counted - before == 20


async def test_metrics_are_404_without_a_metrics_token_and_401_without_the_right_one(
    settings: Settings,
) -> None:
    async with serving(settings.model_copy(update={"metrics_token": None})) as (_, http):
        assert (await http.get("/metrics", headers=METRICS_AUTH)).status_code == 404
    async with serving(settings) as (_, http):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}):
            refused = await http.get("/metrics", headers=headers)
            assert refused.status_code == 401
            assert "http_requests_total" not in refused.text
        assert (await http.get("/metrics", headers=METRICS_AUTH)).status_code == 200


async def test_metrics_have_no_per_account_series(
    client: httpx.AsyncClient, owner: Account, stranger: Account
) -> None:
    for account, currency in ((owner, "EUR"), (stranger, "USD")):
        invoice_id = await create_invoice(client, account, currency=currency)
        await client.post(
            f"/invoices/{invoice_id}/payments",
            content=payment_xml("1.00"),
            headers={**account.auth, "Content-Type": "application/xml"},
        )
    ours = [found for name, found in samples(await scrape(client)) if name.startswith(OURS)]
    assert {name for found in ours for name, _ in found} <= {
        "method", "route", "status", "currency", "state", "le"
    }  # fmt: skip
    assert {"EUR", "USD"} <= {value for found in ours for _, value in found}


OURS = ("http_", "payments_", "db_", "outbox_")


def series(text: str) -> set[tuple[str, frozenset]]:
    return set(samples(text))


ODD_METHODS = ["PROPFIND", "MKCOL", "LOCK", "PURGE", "SEARCH", "REPORT", "TRACE", "CONNECT"]


@pytest.mark.system
async def test_a_thousand_odd_methods_and_paths_do_not_grow_metrics(
    live_server: str, owner: Account
) -> None:
    rng = random.Random(13)
    methods = [*ODD_METHODS, "GET", "POST", "DELETE"]
    prefixes = ["/", "/x", "/invoices", "/v2/invoices", "/metrics"]

    def request(method: str, prefix: str, suffix: bool) -> tuple[str, str]:
        return method, f"{prefix.rstrip('/')}/{rng.getrandbits(64):x}" if suffix else prefix

    # Authenticated, so each kind of request gets the same status every time.
    headers = v2_headers(owner)
    async with httpx.AsyncClient(base_url=live_server, headers=headers) as http:

        async def send_all(requests: list[tuple[str, str]]) -> str:
            for method, path in requests:
                await http.request(method, path)
            return (await http.get("/metrics", headers=METRICS_AUTH)).text

        # Each kind of request (and the scrape) once, then 1,000 more with other paths.
        kinds = [(m, p, s) for m in methods for p in prefixes for s in (False, True)]
        await send_all([request(*kind) for kind in kinds])
        before = await send_all([])
        after = await send_all(
            [
                request(rng.choice(methods), rng.choice(prefixes), rng.random() < 0.7)
                for _ in range(1000)
            ]
        )
    grown = {s for s in series(after) - series(before) if s[0].startswith("http_")}
    assert not grown, grown
    print(f"\n/metrics: {len(before)} bytes before, {len(after)} after 1,000 odd requests")


class FakePool:
    def __init__(self) -> None:
        self.size, self.idle = 0, 0

    def get_size(self) -> int:
        return self.size

    def get_idle_size(self) -> int:
        return self.idle


async def test_the_pool_gauges_show_the_pool_as_it_is_once_a_burst_of_changes_ends() -> None:
    sizes, pool = PoolSizes(), FakePool()
    for in_use in range(1, 50):  # many changes, faster than the gauges are written
        pool.size, pool.idle = 50, 50 - in_use
        sizes.changed(pool)  # type: ignore[arg-type]
    pool.size, pool.idle = 8, 5
    sizes.changed(pool)  # type: ignore[arg-type]
    for _ in range(100):  # written at most PoolSizes.SECONDS later; generous here
        shown = tuple(
            REGISTRY.get_sample_value("db_pool_connections", {"state": state})
            for state in ("in_use", "idle")
        )
        if shown == (3, 5):
            break
        await asyncio.sleep(0.05)
    assert shown == (3, 5)
