"""events: the unnumbered ones by age, for the outbox lag

Events are now fanned out to webhook subscriptions when they are numbered (after their commit,
see `events/repository.py`), so an event not numbered yet is owed to every subscriber and the
outbox lag counts it: this index finds the oldest in one entry, however many are waiting.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_events_unnumbered_age",
        "events",
        ["created_at"],
        postgresql_where=sa.text("position IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_events_unnumbered_age", "events")
