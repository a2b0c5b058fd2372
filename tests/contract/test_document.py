"""/openapi.json: valid OpenAPI 3.1, complete for both media types, with examples that fit."""

from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from openapi_spec_validator import validate

from payments_service.http.openapi.xml_data import from_xml
from tests.support.contract import ContractChecker, ContractViolation

METHODS = {"get", "post", "put", "patch", "delete"}
PROBES = {"/healthz", "/readyz", "/metrics"}  # for orchestrators: JSON or Prometheus text


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


async def test_the_document_is_valid_openapi(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    validate(response.json())


async def test_every_operation_has_a_readable_id_auth_and_both_media_types(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    schemes = document["components"]["securitySchemes"]
    assert {(s["type"], s["scheme"]) for s in schemes.values()} == {
        ("http", "bearer"),
        ("http", "basic"),
    }
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    assert all(op_id.isidentifier() and "_" not in op_id for op_id in ids)
    for path, method, op in operations(document):
        assert "security" in op, (method, path)
        if path.startswith("/v2/"):  # Harvest v2 speaks JSON only, with its own error shape
            continue
        bodies = [op["requestBody"]] if "requestBody" in op else []
        bodies += [r for r in op["responses"].values() if "content" in r]
        for body in bodies:
            if path not in PROBES:
                assert set(body["content"]) == {"application/xml", "application/json"}, path
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Errors"}, (method, path, status)


async def test_payment_operations_document_the_statuses_they_answer(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    create = paths["/invoices/{invoice_id}/payments"]["post"]
    assert create["operationId"] == "createPayment"
    assert set(create["responses"]) == {
        "201", "400", "401", "403", "404", "406", "409", "413", "415", "422", "500", "503"
    }  # fmt: skip
    assert "Location" in create["responses"]["201"]["headers"]
    assert "Retry-After" in create["responses"]["503"]["headers"]
    delete = paths["/invoices/{invoice_id}/payments/{payment_id}"]["delete"]
    assert "content" not in delete["responses"]["200"]


async def test_every_operation_takes_and_echoes_x_request_id(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    for path, method, op in operations(document):
        (parameter,) = [p for p in op["parameters"] if p["name"] == "X-Request-ID"]
        assert (parameter["in"], parameter["required"]) == ("header", False), (method, path)
        for status, response in op["responses"].items():
            assert "X-Request-ID" in response["headers"], (method, path, status)


async def test_every_example_fits_its_schema(
    client: httpx.AsyncClient, contract: ContractChecker
) -> None:
    document = (await client.get("/openapi.json")).json()
    components = document["components"]["schemas"]
    checked = 0
    for path, method, op in operations(document):
        media = [op["requestBody"]["content"]] if "requestBody" in op else []
        media += [r["content"] for r in op["responses"].values() if "content" in r]
        for content in media:
            for media_type, described in content.items():
                if "example" not in described:
                    continue
                example = described["example"]
                if media_type == "application/xml":
                    example = from_xml(
                        ElementTree.fromstring(example), described["schema"], components
                    )
                errors = list(contract.validator(described["schema"]).iter_errors(example))
                assert not errors, (method, path, media_type, errors[0].message)
                checked += 1
    assert checked >= 20


def fake(
    status: int, body: str, content_type: str, path: str = "/invoices/1/payments/2"
) -> httpx.Response:
    return httpx.Response(
        status,
        content=body.encode(),
        headers={"content-type": content_type, "x-request-id": "1"},
        request=httpx.Request("GET", f"http://testserver{path}"),
    )


GOOD_PAYMENT = """<payment>
  <amount type="decimal">52000.0</amount>
  <created-at type="datetime">2008-03-13T11:29:18Z</created-at>
  <id type="integer">54664</id>
  <invoice-id type="integer">2393</invoice-id>
  <notes nil="true"></notes>
  <paid-at type="datetime">2008-02-14T00:00:00Z</paid-at>
  <recorded-by>Happy Owner</recorded-by>
  <recorded-by-email>happy@owner.com</recorded-by-email>
  <updated-at type="datetime">2008-03-13T11:29:18Z</updated-at>
</payment>"""


def test_the_response_checker_accepts_a_documented_payment(contract: ContractChecker) -> None:
    contract.check(fake(200, GOOD_PAYMENT, "application/xml"))


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (200, GOOD_PAYMENT.replace(' type="decimal"', ""), "application/xml"),  # untyped
        (
            200,
            GOOD_PAYMENT.replace("<id type", "<identifier type").replace("</id>", "</identifier>"),
            "application/xml",
        ),
        (
            200,
            GOOD_PAYMENT.replace("<payment>", "<payments>").replace("</payment>", "</payments>"),
            "application/xml",
        ),
        (200, GOOD_PAYMENT.replace("2008-02-14T00:00:00Z", "2008-02-14 00:00"), "application/xml"),
        (200, GOOD_PAYMENT.replace("</payment>", "<extra>1</extra></payment>"), "application/xml"),
        (200, '{"payment": {"amount": 1}}', "application/json"),
        (200, GOOD_PAYMENT, "text/html"),
        (409, '{"errors": []}', "application/json"),  # undocumented status
        (404, '{"errors": [{"code": "not_found", "message": "x"}]}', "application/json"),
        (404, "<errors><error>no code</error></errors>", "application/xml"),
    ],
)
def test_the_response_checker_refuses_what_the_document_does_not_say(
    contract: ContractChecker, status: int, body: str, content_type: str
) -> None:
    with pytest.raises(ContractViolation):
        contract.check(fake(status, body, content_type))


def test_the_response_checker_refuses_a_body_where_none_is_documented(
    contract: ContractChecker,
) -> None:
    response = fake(200, GOOD_PAYMENT, "application/xml")
    response.request = httpx.Request("DELETE", "http://testserver/invoices/1/payments/2")
    with pytest.raises(ContractViolation):
        contract.check(response)
