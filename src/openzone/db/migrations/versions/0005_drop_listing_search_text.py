"""Listings no longer carry their own search text: the search index (0004) holds it.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER (SQLite >= 3.35 has DROP COLUMN): batch mode would rebuild `listings`, which the
    # search index's foreign key and FTS5 triggers make SQLite refuse ("database table is locked").
    op.execute("ALTER TABLE listings DROP COLUMN search_text")


def downgrade() -> None:
    op.add_column("listings", sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
