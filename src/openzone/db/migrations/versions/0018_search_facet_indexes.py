"""search: indexes for one project's inventory and for the owning-project and type facets of a whole scope

Revision ID: 0018
Revises: 0017
"""

from alembic import op

revision = '0018'
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_search_documents_scope_project", "search_documents",
                    ["domain_id", "kind", "owning_project_id", "status"])
    op.create_index("ix_search_documents_scope_type", "search_documents", ["domain_id", "kind", "status", "type_name"])


def downgrade() -> None:
    op.drop_index("ix_search_documents_scope_type", "search_documents")
    op.drop_index("ix_search_documents_scope_project", "search_documents")
