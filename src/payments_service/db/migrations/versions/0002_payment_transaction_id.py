"""payments.transaction_id: a payment provider's id, unique per invoice among live payments

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE_WITH_TRANSACTION = sa.text("transaction_id IS NOT NULL AND deleted_at IS NULL")


def upgrade() -> None:
    op.add_column("payments", sa.Column("transaction_id", sa.Text(), nullable=True))
    op.create_index(
        "uq_payments_live_transaction",
        "payments",
        ["account_id", "invoice_id", "transaction_id"],
        unique=True,
        postgresql_where=LIVE_WITH_TRANSACTION,
    )


def downgrade() -> None:
    op.drop_index(
        "uq_payments_live_transaction",
        table_name="payments",
        postgresql_where=LIVE_WITH_TRANSACTION,
    )
    op.drop_column("payments", "transaction_id")
