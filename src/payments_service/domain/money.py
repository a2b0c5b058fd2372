"""Amounts as exact Decimals, checked against the currency's minor units (ISO 4217 via Babel)."""

import re
from decimal import Decimal
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

from payments_service.errors import Unprocessable

# At most 15 integer digits and 4 decimals: what NUMERIC(19, 4) holds.
MAX_AMOUNT = Decimal("1e15")
PLAIN_DECIMAL = re.compile(r"\A-?[0-9]+(\.[0-9]+)?\Z")  # ASCII only: \d takes any script's digits
CURRENCIES = tuple(sorted(list_currencies()))  # the ISO 4217 codes Babel knows


@cache
def is_currency(code: str) -> bool:
    return code in list_currencies()


@cache
def minor_units(currency: str) -> int:
    return int(get_currency_precision(currency))


def check_amount(amount: Decimal, currency: str, *, field: str = "amount") -> Decimal:
    """The amount, if the currency can express it; 422 when it has too many decimals."""
    units = minor_units(currency)
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)  # NaN and Infinity are rejected at parse time
    if -exponent > units and amount != amount.quantize(Decimal(1).scaleb(-units)):
        raise Unprocessable(
            f"{field} has more decimals than {currency} allows ({units})",
            code="too_many_decimals",
            field=field,
        )
    return amount.quantize(Decimal(1).scaleb(-units))
