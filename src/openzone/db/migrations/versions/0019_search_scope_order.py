"""search: the scope index ends with the id, the default order's tie-break, so a page stops after its rows

Revision ID: 0019
Revises: 0018
"""

from alembic import op

revision = '0019'
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("search_documents") as batch_op:
        batch_op.drop_index("ix_search_documents_scope")
        batch_op.create_index("ix_search_documents_scope", ["domain_id", "kind", "status", "updated_at", "id"])


def downgrade() -> None:
    with op.batch_alter_table("search_documents") as batch_op:
        batch_op.drop_index("ix_search_documents_scope")
        batch_op.create_index("ix_search_documents_scope", ["domain_id", "kind", "status", "updated_at"])
