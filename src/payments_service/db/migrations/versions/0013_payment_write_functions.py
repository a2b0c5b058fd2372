"""payments: recording and deleting one is one call of a server-side function; invoices keep
the sequence of their last event

The invoice row is locked for the time the function runs, not across the round trips of a
transaction driven from Python. The balance rule these functions apply is the one of
`domain/ledger.py` (the specification) and `events/catalog.py`; tests/test_ledger_sql.py
drives random sequences of changes through both and requires the same states, amounts and
events. A payment column written from a request is a parameter of `record_payment` (named
`p_<column>`; test_ledger_sql checks them against the payment's declaration): a migration that
adds one re-creates the function.

A refused payment returns no row and changes nothing; the caller reads why (see
`payments/service.py`), so the messages stay those of `ledger.py`.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# ISO 4217 minor units as Babel 2.x gives them (`domain/money.minor_units`); 2 for the rest.
# tests/test_ledger_sql.py compares every currency Babel knows.
MINOR_UNITS = {
    0: "ADP AFN ALL BIF BYR CLP COP DJF ESP GNF HUF IDR IQD IRR ISK ITL JPY KMF KPW KRW LAK "
    "LBP LUF MGA MGF MMK MRO PYG RWF SLL SOS STD SYP TMM TRL UGX UYI VND VUV XAF XOF XPF YER "
    "ZMK ZWD",
    3: "BHD JOD KWD LYD OMR TND",
    4: "CLF UYW",
}


def _minor_units() -> str:
    cases = " ".join(
        f"WHEN code IN ({', '.join(repr(c) for c in codes.split())}) THEN {units}"
        for units, codes in MINOR_UNITS.items()
    )
    return f"""
    CREATE FUNCTION currency_minor_units(code text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT CASE {cases} ELSE 2 END $$
    """


# `Ledger.state` of domain/ledger.py.
INVOICE_STATE = """
CREATE FUNCTION invoice_state(amount numeric, due_amount numeric, sent_at timestamptz,
    closed_at timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN closed_at IS NOT NULL THEN 'closed'
        WHEN due_amount <= 0 AND amount > 0 THEN 'paid'
        WHEN sent_at IS NULL THEN 'draft'
        WHEN amount - due_amount > 0 THEN 'partial'
        ELSE 'open'
    END
$$
"""

# `event_types` of events/catalog.py.
EVENT_TYPES = """
CREATE FUNCTION event_types(change text, before text, after text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY[change] || CASE
        WHEN after = 'paid' AND before IS DISTINCT FROM 'paid' THEN ARRAY['invoice.paid']
        WHEN before IN ('paid', 'closed') AND after NOT IN ('paid', 'closed')
            THEN ARRAY['invoice.reopened']
        ELSE ARRAY[]::text[]
    END
$$
"""

# The invoice's new balance and its events, once the payment changed (the row is locked).
# One event at a time with VALUES: Citus routes those to the shard; INSERT ... SELECT would go
# through the coordinator.
SAVE_BALANCE = """
CREATE FUNCTION save_payment_change(inv invoices, due numeric, change text, payment_id bigint,
    payment_amount numeric, became_paid timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    after text := invoice_state(inv.amount, due, inv.sent_at, inv.closed_at);
    types text[] := event_types(change, inv.state, after);
BEGIN
    UPDATE invoices SET due_amount = due, state = after, updated_at = now(),
        paid_at = CASE WHEN after = 'paid' THEN coalesce(invoices.paid_at, became_paid) END,
        last_event_sequence = invoices.last_event_sequence + cardinality(types)
    WHERE account_id = inv.account_id AND id = inv.id;
    FOR n IN 1 .. cardinality(types) LOOP
        INSERT INTO events (account_id, invoice_id, sequence, type, payment_id, payment_amount,
            amount, due_amount, state, currency)
        VALUES (inv.account_id, inv.id, inv.last_event_sequence + n, types[n], payment_id,
            payment_amount, inv.amount, due, after, inv.currency);
    END LOOP;
END
$$
"""

# `ledger.record_payment`, with `money.check_amount`: the new payment, or no row when refused
# (no such invoice, too many decimals, closed, not positive, more than due, or a live payment
# on the invoice with this transaction id).
RECORD_PAYMENT = """
CREATE FUNCTION record_payment(p_account_id bigint, p_invoice_id bigint, p_amount numeric,
    p_paid_at timestamptz, p_recorded_by text, p_recorded_by_email text, p_notes text,
    p_transaction_id text, OUT recorded payments, OUT invoice_currency text)
RETURNS SETOF record
LANGUAGE plpgsql AS $$
DECLARE
    inv invoices;
    amount numeric;
BEGIN
    SELECT * INTO inv FROM invoices
    WHERE account_id = p_account_id AND id = p_invoice_id AND deleted_at IS NULL FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    amount := round(p_amount, currency_minor_units(inv.currency));
    IF amount <> p_amount OR inv.closed_at IS NOT NULL OR amount <= 0
        OR amount > inv.due_amount THEN
        RETURN;
    END IF;
    INSERT INTO payments (account_id, invoice_id, amount, paid_at, recorded_by,
        recorded_by_email, notes, transaction_id)
    VALUES (p_account_id, p_invoice_id, amount, p_paid_at, p_recorded_by, p_recorded_by_email,
        p_notes, p_transaction_id)
    ON CONFLICT (account_id, invoice_id, transaction_id)
        WHERE transaction_id IS NOT NULL AND deleted_at IS NULL DO NOTHING
    RETURNING * INTO recorded;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    PERFORM save_payment_change(inv, inv.due_amount - amount, 'payment.created', recorded.id,
        amount, p_paid_at);
    invoice_currency := inv.currency;
    RETURN NEXT;
END
$$
"""

# `ledger.remove_payment`: 'deleted', or which of the two was not found.
DELETE_PAYMENT = """
CREATE FUNCTION delete_payment(p_account_id bigint, p_invoice_id bigint, p_payment_id bigint,
    p_by_email text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    inv invoices;
    removed numeric;
BEGIN
    SELECT * INTO inv FROM invoices
    WHERE account_id = p_account_id AND id = p_invoice_id AND deleted_at IS NULL FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'no invoice';
    END IF;
    UPDATE payments SET deleted_at = now(), deleted_by_email = p_by_email, updated_at = now()
    WHERE account_id = p_account_id AND invoice_id = p_invoice_id AND id = p_payment_id
        AND deleted_at IS NULL
    RETURNING payments.amount INTO removed;
    IF NOT FOUND THEN
        RETURN 'no payment';
    END IF;
    PERFORM save_payment_change(inv, inv.due_amount + removed, 'payment.deleted', p_payment_id,
        removed, now());
    RETURN 'deleted';
END
$$
"""

FUNCTIONS = (
    "record_payment(bigint, bigint, numeric, timestamptz, text, text, text, text)",
    "delete_payment(bigint, bigint, bigint, text)",
    "save_payment_change(invoices, numeric, text, bigint, numeric, timestamptz)",
    "event_types(text, text, text)",
    "invoice_state(numeric, numeric, timestamptz, timestamptz)",
    "currency_minor_units(text)",
)


def upgrade() -> None:
    op.add_column(
        "invoices",
        sa.Column("last_event_sequence", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.execute("""
        UPDATE invoices AS i SET last_event_sequence = e.last
        FROM (SELECT account_id, invoice_id, max(sequence) AS last FROM events
              GROUP BY account_id, invoice_id) AS e
        WHERE i.account_id = e.account_id AND i.id = e.invoice_id
    """)
    for function in (_minor_units(), INVOICE_STATE, EVENT_TYPES, SAVE_BALANCE):
        op.execute(function)
    op.execute(RECORD_PAYMENT)
    op.execute(DELETE_PAYMENT)


def downgrade() -> None:
    for function in FUNCTIONS:
        op.execute(f"DROP FUNCTION {function}")
    op.drop_column("invoices", "last_event_sequence")
