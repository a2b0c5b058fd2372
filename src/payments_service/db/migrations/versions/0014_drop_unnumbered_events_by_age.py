"""events: drop ix_events_unnumbered_age (0012)

The outbox lag now finds each subscribed account's oldest unnumbered event through
ix_events_unnumbered, from the subscriptions: the age index read every unnumbered event of
accounts without subscriptions to reach one that counts, and cost an index entry per event.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_events_unnumbered_age", "events")


def downgrade() -> None:
    op.create_index(
        "ix_events_unnumbered_age",
        "events",
        ["created_at"],
        postgresql_where=sa.text("position IS NULL"),
    )
