"""invoices: soft delete, number unique among live invoices, index for the newest-first list

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.add_column("invoices", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("invoices", sa.Column("deleted_by_email", sa.Text(), nullable=True))
    op.drop_constraint("uq_invoices_account_number", "invoices", type_="unique")
    op.create_index(
        "uq_invoices_account_number",
        "invoices",
        ["account_id", "number"],
        unique=True,
        postgresql_where=LIVE,
    )
    op.create_index(
        "ix_invoices_account_issued",
        "invoices",
        ["account_id", "issued_at", "id"],
        postgresql_where=LIVE,
    )


def downgrade() -> None:
    op.drop_index("ix_invoices_account_issued", table_name="invoices")
    op.drop_index("uq_invoices_account_number", table_name="invoices")
    # The old schema cannot hold deleted invoices (their numbers may be reused): drop them.
    op.execute(
        "DELETE FROM payments p USING invoices i WHERE p.account_id = i.account_id "
        "AND p.invoice_id = i.id AND i.deleted_at IS NOT NULL"
    )
    op.execute("DELETE FROM invoices WHERE deleted_at IS NOT NULL")
    op.create_unique_constraint("uq_invoices_account_number", "invoices", ["account_id", "number"])
    op.drop_column("invoices", "deleted_by_email")
    op.drop_column("invoices", "deleted_at")
