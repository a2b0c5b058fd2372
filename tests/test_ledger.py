"""The balance rule on its own: every state and every transition."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from payments_service.domain import ledger
from payments_service.domain.ledger import InvoiceState, Ledger
from payments_service.errors import Unprocessable

NOW = datetime(2026, 1, 1, tzinfo=UTC)
D = Decimal


def sent(amount: str = "100.00", due: str | None = None) -> Ledger:
    return Ledger(amount=D(amount), due_amount=D(due or amount), sent_at=NOW)


def test_a_new_invoice_is_a_draft_with_everything_due() -> None:
    invoice = ledger.new_invoice(D("100.00"))
    assert invoice.due_amount == D("100.00")
    assert invoice.state is InvoiceState.DRAFT


def test_marking_a_draft_as_sent_opens_it() -> None:
    assert ledger.mark_as_sent(ledger.new_invoice(D("10")), NOW).state is InvoiceState.OPEN


def test_a_part_payment_on_a_sent_invoice_makes_it_partial() -> None:
    after = ledger.record_payment(sent(), D("40.00"))
    assert after.due_amount == D("60.00")
    assert after.state is InvoiceState.PARTIAL


def test_paying_the_rest_makes_it_paid() -> None:
    after = ledger.record_payment(sent(due="60.00"), D("60.00"))
    assert after.due_amount == 0
    assert after.state is InvoiceState.PAID


def test_a_part_payment_on_a_draft_leaves_it_draft() -> None:
    after = ledger.record_payment(ledger.new_invoice(D("100")), D("1"))
    assert after.state is InvoiceState.DRAFT


def test_paying_a_draft_in_full_makes_it_paid() -> None:
    after = ledger.record_payment(ledger.new_invoice(D("100")), D("100"))
    assert after.state is InvoiceState.PAID


def test_deleting_every_payment_returns_to_open_or_draft() -> None:
    assert ledger.remove_payment(sent(due="0"), D("100")).state is InvoiceState.OPEN
    draft_paid = Ledger(amount=D("100"), due_amount=D("0"))
    assert ledger.remove_payment(draft_paid, D("100")).state is InvoiceState.DRAFT


def test_deleting_a_payment_of_a_paid_invoice_makes_it_partial() -> None:
    after = ledger.remove_payment(sent(due="0"), D("30"))
    assert (after.due_amount, after.state) == (D("30"), InvoiceState.PARTIAL)


@pytest.mark.parametrize(
    ("amount", "code"),
    [("100.01", "overpayment"), ("0", "not_positive"), ("-5", "not_positive")],
)
def test_payments_that_would_overpay_or_are_not_positive_are_refused(
    amount: str, code: str
) -> None:
    with pytest.raises(Unprocessable) as caught:
        ledger.record_payment(sent(), D(amount))
    assert caught.value.problems[0].code == code


def test_a_closed_invoice_accepts_no_payment() -> None:
    closed = ledger.mark_as_closed(sent(), NOW)
    assert closed.state is InvoiceState.CLOSED
    with pytest.raises(Unprocessable) as caught:
        ledger.record_payment(closed, D("1"))
    assert caught.value.problems[0].code == "invoice_closed"


def test_re_opening_a_closed_invoice_restores_the_state_its_balance_says() -> None:
    closed = ledger.mark_as_closed(sent(due="40"), NOW)
    assert ledger.re_open(closed).state is InvoiceState.PARTIAL


def test_mark_as_draft_only_from_open_with_nothing_paid() -> None:
    assert ledger.mark_as_draft(sent()).state is InvoiceState.DRAFT
    with pytest.raises(Unprocessable, match="partial"):
        ledger.mark_as_draft(sent(due="50"))


@pytest.mark.parametrize(
    ("change", "start"),
    [
        (lambda i: ledger.mark_as_sent(i, NOW), sent()),
        (lambda i: ledger.mark_as_closed(i, NOW), ledger.new_invoice(D("1"))),
        (lambda i: ledger.mark_as_closed(i, NOW), sent(due="0")),
        (ledger.re_open, sent()),
        (ledger.mark_as_draft, ledger.new_invoice(D("1"))),
    ],
)
def test_illegal_transitions_name_the_current_state(change, start) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Unprocessable) as caught:
        change(start)
    assert start.state.value in str(caught.value)
    assert caught.value.problems[0].code == "illegal_transition"


def test_changing_the_amount_keeps_what_was_paid() -> None:
    after = ledger.change_amount(sent(due="60"), D("150"))
    assert (after.amount, after.due_amount) == (D("150"), D("110"))
    with pytest.raises(Unprocessable):
        ledger.change_amount(sent(due="60"), D("39.99"))


def test_a_zero_amount_invoice_is_not_paid_but_follows_its_sent_state() -> None:
    assert ledger.new_invoice(D("0")).state is InvoiceState.DRAFT
    assert ledger.mark_as_sent(ledger.new_invoice(D("0")), NOW).state is InvoiceState.OPEN
