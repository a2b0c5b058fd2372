"""events: numbered per account once seen committed (event_feeds) instead of by transaction id

A transaction id belongs to one server: on a sharded database the coordinator's and the
worker's are unrelated counters, and a shard moved to another node meets a new one. The
account's own counter moves with its shard. Events are written unnumbered and numbered by the
feed's readers (see `events/repository.py`). Events written before keep their transaction ids
as positions (cursors handed out stay valid); each account's counter starts after its highest.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from payments_service.db import citus

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("events", "ordering_xid", new_column_name="position", nullable=True)
    op.create_index(
        "ix_events_unnumbered",
        "events",
        ["account_id", "id"],
        postgresql_where=sa.text("position IS NULL"),
    )
    op.create_table(
        "event_feeds",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("last_position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account_id"),
    )
    citus.distribute("event_feeds")
    op.create_foreign_key(None, "event_feeds", "accounts", ["account_id"], ["id"])
    op.execute(
        "INSERT INTO event_feeds (account_id, last_position) "
        "SELECT account_id, max(position) FROM events GROUP BY account_id"
    )


def downgrade() -> None:
    op.drop_table("event_feeds")
    op.drop_index("ix_events_unnumbered", "events")
    op.alter_column("events", "position", new_column_name="ordering_xid", nullable=False)
