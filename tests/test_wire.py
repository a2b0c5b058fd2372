"""Amount formatting, content negotiation and currency minor units."""

from decimal import Decimal

import pytest

from payments_service.documents import format_decimal
from payments_service.domain.money import check_amount
from payments_service.errors import Unprocessable
from payments_service.http.negotiation import Format, negotiate


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("1238", "1238.0"),
        ("52000.00", "52000.0"),
        ("12.50", "12.5"),
        ("0.05", "0.05"),
        ("0.0000", "0.0"),
    ],
)
def test_decimals_render_like_the_source_document(value: str, text: str) -> None:
    assert format_decimal(Decimal(value)) == text


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, Format.XML),
        ("*/*", Format.XML),
        ("application/json", Format.JSON),
        ("application/xml;q=0.5, application/json", Format.JSON),
        ("text/xml", Format.XML),
        ("text/html", None),
        ("application/json;q=0", None),
    ],
)
def test_accept_header_picks_the_format(accept: str | None, expected: Format | None) -> None:
    assert negotiate(accept) == expected


def test_amounts_are_checked_against_the_currency_minor_units() -> None:
    assert check_amount(Decimal("12.5"), "USD") == Decimal("12.50")
    assert check_amount(Decimal("1200"), "JPY") == Decimal("1200")
    assert check_amount(Decimal("1.250"), "BHD") == Decimal("1.250")
    with pytest.raises(Unprocessable):
        check_amount(Decimal("12.345"), "USD")
    with pytest.raises(Unprocessable):
        check_amount(Decimal("1.5"), "JPY")
