"""The balance rule runs in two places: `domain/ledger.py` (the specification, and what explains
a refusal) and the server-side functions that record and delete a payment (migration 0013).
These tests require the same answers from both."""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from itertools import count, product
from typing import Any

import asyncpg
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payments_service.domain import ledger
from payments_service.domain.ledger import InvoiceState, Ledger
from payments_service.domain.messages import MESSAGES
from payments_service.domain.money import CURRENCIES, check_amount, minor_units
from payments_service.errors import Unprocessable
from payments_service.events.catalog import EventType, event_types
from payments_service.payments.repository import WRITTEN
from tests.support.api import create_invoice
from tests.support.auth import Account

JSON = {"Accept": "application/json", "Content-Type": "application/json"}
NOW = datetime(2026, 1, 1, tzinfo=UTC)
NUMBERS = count()  # invoice numbers, unique across examples


async def test_the_minor_units_of_every_currency_agree(db: asyncpg.Pool) -> None:
    rows = await db.fetch(
        "SELECT code, currency_minor_units(code) AS units FROM unnest($1::text[]) AS code",
        list(CURRENCIES),
    )
    assert {row["code"]: row["units"] for row in rows} == {c: minor_units(c) for c in CURRENCIES}


async def test_the_state_of_an_invoice_agrees(db: asyncpg.Pool) -> None:
    amounts = [Decimal(0), Decimal(10)]
    dues = [Decimal(-1), Decimal(0), Decimal(4), Decimal(10)]
    times = [None, NOW]
    cases = list(product(amounts, dues, times, times))
    rows = await db.fetch(
        "SELECT invoice_state(a, d, s, c) FROM unnest($1::numeric[], $2::numeric[], "
        "$3::timestamptz[], $4::timestamptz[]) AS t(a, d, s, c)",
        *(list(column) for column in zip(*cases, strict=True)),
    )
    expected = [
        Ledger(amount=a, due_amount=d, sent_at=s, closed_at=c).state for a, d, s, c in cases
    ]
    assert [row[0] for row in rows] == expected


async def test_the_events_of_a_change_agree(db: asyncpg.Pool) -> None:
    states = [None, *InvoiceState]
    cases = [
        (change, before, after)
        for change in EventType
        for before in states
        for after in InvoiceState
    ]
    rows = await db.fetch(
        "SELECT event_types(c, b, a) FROM unnest($1::text[], $2::text[], $3::text[]) AS t(c, b, a)",
        *(list(column) for column in zip(*cases, strict=True)),
    )
    assert [row[0] for row in rows] == [event_types(*case) for case in cases]


async def test_record_payment_takes_every_written_column(db: asyncpg.Pool) -> None:
    """A payment column written from a request must reach the function: a migration that adds
    one re-creates `record_payment` with its parameter."""
    names = await db.fetchval("SELECT proargnames FROM pg_proc WHERE proname = 'record_payment'")
    assert [n for n in names if n.startswith("p_")] == [f"p_{column}" for column in WRITTEN]


async def test_record_payment_refuses_an_amount_not_above_zero(
    client: httpx.AsyncClient, db: asyncpg.Pool, owner: Account
) -> None:
    """The API's validation refuses these before the function sees them; the function refuses
    them too, as `ledger.record_payment` does."""
    invoice_id = await create_invoice(client, owner)
    for amount in (Decimal(0), Decimal("-0.01")):
        recorded = await db.fetch(
            "SELECT * FROM record_payment($1, $2, $3, now(), 'x', 'x@example.com', NULL, NULL)",
            owner.id,
            invoice_id,
            amount,
        )
        assert recorded == []
    assert await db.fetchval("SELECT count(*) FROM payments") == 0
    assert await db.fetchval("SELECT due_amount FROM invoices") == Decimal("100.00")


# --- random histories of one invoice, through the API and through the rule -----------------


@dataclass(frozen=True)
class Pay:
    amount: Decimal


@dataclass(frozen=True)
class Delete:
    which: int  # index into the live payments (past the end: one that does not exist)


@dataclass(frozen=True)
class Amount:
    amount: Decimal


@dataclass(frozen=True)
class Message:
    index: int  # into MESSAGES


AMOUNTS = st.decimals(min_value=-5, max_value=120, places=3, allow_nan=False)
STEPS = st.lists(
    st.one_of(
        st.builds(Pay, AMOUNTS),
        st.builds(Pay, st.decimals(min_value=0, max_value=60, places=0)),
        st.builds(Delete, st.integers(min_value=0, max_value=4)),
        st.builds(Amount, st.decimals(min_value=0, max_value=150, places=2)),
        st.builds(Message, st.integers(min_value=0, max_value=len(MESSAGES) - 1)),
    ),
    max_size=14,
)


class Model:
    """What `ledger.py` says the invoice is, and which events each step emits."""

    def __init__(self, currency: str, amount: Decimal) -> None:
        self.currency = currency
        self.ledger = ledger.new_invoice(amount)
        self.payments: dict[int, Decimal] = {}  # live payments by id, oldest first

    def apply(self, change: EventType, new: Ledger) -> list[str]:
        types = event_types(change, self.ledger.state, new.state)
        self.ledger = new
        return [str(t) for t in types]


async def _events(db: asyncpg.Pool, invoice_id: int, after: int) -> list[Any]:
    return await db.fetch(
        "SELECT sequence, type, amount, due_amount, state FROM events "
        "WHERE invoice_id = $1 AND sequence > $2 ORDER BY sequence",
        invoice_id,
        after,
    )


async def _step(
    client: httpx.AsyncClient, owner: Account, model: Model, invoice_id: int, step: Any
) -> tuple[httpx.Response, list[str] | str]:
    """The request for `step`, and what the rule expects: the events, or the error's code."""
    base = f"/invoices/{invoice_id}"
    headers = {**owner.auth, **JSON}
    try:
        if isinstance(step, Pay):
            body = {"payment": {"amount": str(step.amount), "paid_at": "2026-01-02T00:00:00Z"}}
            response = await client.post(f"{base}/payments", json=body, headers=headers)
            if step.amount <= 0:  # the body's validation refuses it before the rule
                return response, "invalid"
            amount = check_amount(step.amount, model.currency)
            expected = model.apply(
                EventType.PAYMENT_CREATED, ledger.record_payment(model.ledger, amount)
            )
            if response.status_code == 201:
                model.payments[int(response.headers["Location"].rsplit("/", 1)[1])] = amount
            return response, expected
        if isinstance(step, Delete):
            ids = list(model.payments)
            payment_id = ids[step.which] if step.which < len(ids) else 10**9
            response = await client.delete(f"{base}/payments/{payment_id}", headers=headers)
            if payment_id not in model.payments:
                return response, "not_found"
            removed = model.payments.pop(payment_id)
            return response, model.apply(
                EventType.PAYMENT_DELETED, ledger.remove_payment(model.ledger, removed)
            )
        if isinstance(step, Amount):
            body = {"invoice": {"amount": str(step.amount)}}
            response = await client.put(base, json=body, headers=headers)
            new = ledger.change_amount(model.ledger, check_amount(step.amount, model.currency))
            return response, model.apply(EventType.INVOICE_UPDATED, new)
        message = MESSAGES[step.index]
        response = await client.post(f"{base}/messages/{message.action}", headers=headers)
        return response, model.apply(EventType.INVOICE_UPDATED, message.change(model.ledger, NOW))
    except Unprocessable as refused:
        return response, refused.problems[0].code


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    currency=st.sampled_from(["EUR", "JPY", "KWD"]),
    amount=st.decimals(min_value=0, max_value=100, places=0),
    steps=STEPS,
)
async def test_random_histories_end_as_the_rule_says(
    client: httpx.AsyncClient,
    db: asyncpg.Pool,
    owner: Account,
    currency: str,
    amount: Decimal,
    steps: list[Any],
) -> None:
    fields = {"client_id": 1, "number": f"H-{next(NUMBERS)}", "currency": currency}
    created = await client.post(
        "/invoices",
        json={"invoice": fields | {"amount": str(amount)}},
        headers={**owner.auth, **JSON},
    )
    assert created.status_code == 201, created.text
    invoice_id = int(created.headers["Location"].rsplit("/", 1)[1])
    model = Model(currency, amount)
    last = len(await _events(db, invoice_id, 0))
    for step in steps:
        response, expected = await _step(client, owner, model, invoice_id, step)
        events = await _events(db, invoice_id, last)
        if isinstance(expected, str):
            assert response.status_code in (404, 422), (step, response.text)
            if response.status_code == 422:
                assert response.json()["errors"][0]["code"] == expected, (step, response.text)
            assert events == [], step
            continue
        assert response.status_code in (200, 201), (step, response.text)
        assert [e["type"] for e in events] == expected, step
        assert [e["sequence"] for e in events] == list(range(last + 1, last + 1 + len(events)))
        last += len(events)
        row = await db.fetchrow(
            "SELECT amount, due_amount, state FROM invoices WHERE id = $1", invoice_id
        )
        assert (row["amount"], row["due_amount"], row["state"]) == (
            model.ledger.amount,
            model.ledger.due_amount,
            model.ledger.state,
        ), step
        assert all((e["amount"], e["due_amount"], e["state"]) == tuple(row) for e in events), step
    live = await db.fetchval(
        "SELECT coalesce(sum(amount), 0) FROM payments WHERE invoice_id = $1 "
        "AND deleted_at IS NULL",
        invoice_id,
    )
    assert live == sum(model.payments.values(), Decimal(0))
