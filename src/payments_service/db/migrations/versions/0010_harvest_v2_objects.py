"""invoices: who created them and when they became paid; accounts: how they show money (v2)

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Harvest's defaults for a company's money display.
DISPLAY = {
    "currency_code_display": "iso_code_none",
    "currency_symbol_display": "symbol_before",
    "decimal_symbol": ".",
    "thousands_separator": ",",
}


def upgrade() -> None:
    op.add_column("invoices", sa.Column("created_by_id", sa.BigInteger(), nullable=True))
    op.add_column("invoices", sa.Column("created_by", sa.Text(), nullable=True))
    op.add_column("invoices", sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(
        "fk_invoices_created_by",
        "invoices",
        "users",
        ["account_id", "created_by_id"],
        ["account_id", "id"],
    )
    # Invoices paid before: paid when their last live payment was.
    op.execute(
        """
        UPDATE invoices i SET paid_at = (
            SELECT max(p.paid_at) FROM payments p
            WHERE p.account_id = i.account_id AND p.invoice_id = i.id AND p.deleted_at IS NULL
        ) WHERE i.state = 'paid'
        """
    )
    for column, default in DISPLAY.items():
        op.add_column(
            "accounts",
            sa.Column(column, sa.Text(), nullable=False, server_default=sa.text(f"'{default}'")),
        )


def downgrade() -> None:
    for column in DISPLAY:
        op.drop_column("accounts", column)
    op.drop_constraint("fk_invoices_created_by", "invoices", type_="foreignkey")
    op.drop_column("invoices", "paid_at")
    op.drop_column("invoices", "created_by")
    op.drop_column("invoices", "created_by_id")
