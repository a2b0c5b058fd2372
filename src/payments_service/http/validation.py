"""Field types for request bodies, and turning pydantic's complaints into 422 problems."""

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, TypeVar, overload

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    create_model,
)

from payments_service.documents import Kind
from payments_service.domain.money import MAX_AMOUNT, PLAIN_DECIMAL
from payments_service.errors import Problem, Unprocessable
from payments_service.fields import Api, Fields

# Characters XML 1.0 cannot carry, and lone surrogates (which no UTF-8 can).
ILLEGAL_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# The OpenAPI document states what these validators accept, so that a client (and a fuzzer)
# can tell a well-formed request from one refused with 422.
# (Lone surrogates, which are no characters, are left out: regex engines refuse to name them.)
TEXT_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]*$"
AMOUNT_TEXT = r"^[0-9]{1,15}(\.[0-9]+)?$"
POSITIVE_AMOUNT_TEXT = r"^(0*[1-9][0-9]{0,14}(\.[0-9]+)?|0+\.[0-9]*[1-9][0-9]*)$"


def _amount(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("must be a decimal number")
    if isinstance(value, int):
        value = Decimal(value)
    elif isinstance(value, str) and PLAIN_DECIMAL.match(value.strip()):
        value = Decimal(value.strip())
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError("must be a plain decimal number such as 1238.50")
    if abs(value) >= MAX_AMOUNT:
        raise ValueError(f"must be less than {MAX_AMOUNT:f}")
    return value


# Dates and datetimes outside these are refused: PostgreSQL would store date.min and date.max
# as -infinity and infinity, and a time zone can push the year past 9999 in UTC. The document
# says so with a pattern on the year.
EARLIEST, LATEST = date(1000, 1, 1), date(9998, 12, 31)
YEAR_PATTERN = "^(1[0-9]{3}|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"


def in_range(day: date) -> date:
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"must be between {EARLIEST} and {LATEST}")
    return day


def _datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 datetime such as 2008-02-14T00:00:00Z")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("must be an ISO 8601 datetime such as 2008-02-14T00:00:00Z") from None
    in_range(parsed.date())
    if len(value.strip()) <= 10:  # a bare date means midnight UTC
        parsed = datetime.combine(parsed.date(), time(), UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _date(value: Any) -> date:
    if not isinstance(value, str):
        raise ValueError("must be a date such as 2008-02-14")
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("must be a date such as 2008-02-14") from None
    return in_range(day)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be text")
    if ILLEGAL_TEXT.search(value):
        raise ValueError("contains characters that are not allowed")
    return value


def _amount_schema(bound: str, text: str) -> WithJsonSchema:
    number = {"type": "number", bound: 0, "exclusiveMaximum": int(MAX_AMOUNT)}
    return WithJsonSchema(
        {
            "anyOf": [number, {"type": "string", "pattern": text}],
            "description": 'exact decimal: a JSON number or a string such as "1238.50"',
        }
    )


PositiveAmount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    Field(gt=0),
    _amount_schema("exclusiveMinimum", POSITIVE_AMOUNT_TEXT),
]
NonNegativeAmount = Annotated[
    Decimal, BeforeValidator(_amount), Field(ge=0), _amount_schema("minimum", AMOUNT_TEXT)
]
UtcDateTime = Annotated[
    datetime,
    BeforeValidator(_datetime),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": f"{YEAR_PATTERN}-"}),
]
Date = Annotated[
    date,
    BeforeValidator(_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": f"{YEAR_PATTERN}-"}),
]
Text = Annotated[
    str,
    BeforeValidator(_text),
    Field(max_length=10_000, json_schema_extra={"pattern": TEXT_PATTERN}),
]

# What a client sends for a field of each kind that the declaration says clients write.
SENT: dict[Kind, Any] = {Kind.STRING: Text, Kind.DATE: Date, Kind.DATETIME: UtcDateTime}

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


@overload
def body(name: str, fields: Fields, api: Api, first: type[M]) -> type[M]: ...
@overload
def body(name: str, fields: Fields, api: Api, first: type[BaseModel], last: type[M]) -> type[M]: ...
def body(
    name: str, fields: Fields, api: Api, first: type[BaseModel], last: type[BaseModel] | None = None
) -> type[BaseModel]:
    """A request body's model: `first`'s fields, then each other field `api`'s clients write by
    the declaration (optional, of its kind's type, in the API's order), then `last`'s own fields
    (`last` extends `first`). Validators and methods are `first`'s and `last`'s, the
    description (the docstring) is the last one's."""
    written_out = {*first.model_fields, *(last.model_fields if last else ())}
    sent: dict[str, Any] = {
        field.name: (SENT[field.kind] | None, None)
        for field in fields.sent[api]
        if field.name not in written_out
    }
    module = first.__module__
    model = create_model(name, __base__=first, __module__=module, __doc__=first.__doc__, **sent)
    if last is None:
        return model
    # Pydantic lists the fields of bases in reverse method resolution order: first's, model's,
    # then last's.
    return create_model(name, __base__=(last, model), __module__=module, __doc__=last.__doc__)


def single_valued_query(model: type[BaseModel]) -> Callable[[Request], None]:
    """A dependency refusing a parameter of `model` given twice in the query: which one would
    count is anyone's guess. Other parameters are ignored, as Harvest ignores them."""
    known = {field.alias or name for name, field in model.model_fields.items()}

    def check(request: Request) -> None:
        seen: set[str] = set()
        for name, _ in request.query_params.multi_items():
            if name in seen and name in known:
                raise Unprocessable(f"{name} is given twice", code="duplicate_field", field=name)
            seen.add(name)

    return check


def validate(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Unprocessable.of([problem_of(error) for error in exc.errors()]) from None


def parameter(adapter: TypeAdapter[T], value: Any, loc: tuple[str, str]) -> T:
    """`value` validated as FastAPI validates a parameter declared with the adapter's type (for
    the routes that read their own parameters): an invalid one raises the same
    RequestValidationError, at `loc` such as ("path", "invoice_id") or ("header", name)."""
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        errors = [{**error, "loc": loc} for error in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


def problem_of(error: Any, *, skip: int = 0) -> Problem:
    """A pydantic error as a problem; `skip` drops leading location parts such as "query"."""
    loc = error["loc"][skip:]
    field = str(loc[0]) if loc else None
    if error["type"] == "missing":
        return Problem("required", f"{field} is required", field)
    message = str(error["msg"]).removeprefix("Value error, ")
    return Problem("invalid", f"{field} {message}" if field else message, field)
