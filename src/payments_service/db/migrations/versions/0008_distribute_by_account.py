"""On Citus, distribute the tables by account_id; nothing on plain PostgreSQL

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

from alembic import op

from payments_service.db import citus

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# No tenant to split by: `accounts` is the tenant, and `users` must keep emails unique across
# accounts (a unique index Citus can only keep on one copy of the table).
REFERENCE = ("accounts", "users")
# In the order of their foreign keys: a table's targets are distributed before it.
DISTRIBUTED = (
    "invoices",
    "payments",
    "api_tokens",
    "idempotency_keys",
    "events",
    "webhook_subscriptions",
    "webhook_deliveries",
    "rate_limit_windows",
)


def upgrade() -> None:
    if not citus.installed():
        return
    # Keys from the tables below to `accounts` must not turn them into Citus local tables when
    # `accounts` becomes a reference table: they are distributed next.
    op.execute("SET LOCAL citus.enable_local_reference_table_foreign_keys = off")
    for table in REFERENCE:
        citus.reference(table)
    for table in DISTRIBUTED:
        citus.distribute(table)


def downgrade() -> None:
    if not citus.installed():
        return
    for table in (*reversed(DISTRIBUTED), *reversed(REFERENCE)):
        op.execute(f"SELECT undistribute_table('{table}', cascade_via_foreign_keys => true)")
