"""Which events each change emits, by the invoice's state before and after it."""

import pytest

from payments_service.events.catalog import EventType, event_types

E = EventType


@pytest.mark.parametrize(
    ("change", "before", "after", "expected"),
    [
        (E.INVOICE_CREATED, None, "draft", [E.INVOICE_CREATED]),
        (E.INVOICE_UPDATED, "draft", "open", [E.INVOICE_UPDATED]),
        (E.INVOICE_UPDATED, "open", "closed", [E.INVOICE_UPDATED]),
        (E.INVOICE_UPDATED, "closed", "partial", [E.INVOICE_UPDATED, E.INVOICE_REOPENED]),
        (E.INVOICE_UPDATED, "paid", "partial", [E.INVOICE_UPDATED, E.INVOICE_REOPENED]),
        (E.INVOICE_UPDATED, "partial", "paid", [E.INVOICE_UPDATED, E.INVOICE_PAID]),
        (E.PAYMENT_CREATED, "open", "partial", [E.PAYMENT_CREATED]),
        (E.PAYMENT_CREATED, "partial", "paid", [E.PAYMENT_CREATED, E.INVOICE_PAID]),
        (E.PAYMENT_CREATED, "draft", "paid", [E.PAYMENT_CREATED, E.INVOICE_PAID]),
        (E.PAYMENT_DELETED, "paid", "open", [E.PAYMENT_DELETED, E.INVOICE_REOPENED]),
        (E.PAYMENT_DELETED, "paid", "draft", [E.PAYMENT_DELETED, E.INVOICE_REOPENED]),
        (E.PAYMENT_DELETED, "partial", "open", [E.PAYMENT_DELETED]),
        (E.PAYMENT_DELETED, "closed", "closed", [E.PAYMENT_DELETED]),
    ],
)
def test_a_change_emits_itself_then_settling_or_unsettling_the_invoice(
    change: EventType, before: str | None, after: str, expected: list[EventType]
) -> None:
    assert event_types(change, before, after) == expected
