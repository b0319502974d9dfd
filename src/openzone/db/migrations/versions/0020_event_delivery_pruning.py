"""events: an index to find delivered deliveries by age, for the hourly pruning

Revision ID: 0020
Revises: 0019
"""

from alembic import op

revision = '0020'
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_event_deliveries_status_finished", "event_deliveries", ["status", "finished_at"])


def downgrade() -> None:
    op.drop_index("ix_event_deliveries_status_finished", "event_deliveries")
