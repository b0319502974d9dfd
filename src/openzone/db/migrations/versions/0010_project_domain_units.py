"""projects belong to a domain unit (existing projects: their domain's root unit)

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FK = "fk_projects_domain_unit_id_domain_units"
INDEX = "ix_projects_domain_unit_id"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # A plain ADD COLUMN, not a batch rebuild: rebuilding `projects` with foreign keys on would cascade
        # the drop of the old table into every row that points at a project.
        op.execute(f"ALTER TABLE projects ADD COLUMN domain_unit_id VARCHAR(64) "
                   f"CONSTRAINT {FK} REFERENCES domain_units (id)")
    else:
        op.add_column("projects", sa.Column("domain_unit_id", sa.String(length=64), nullable=True))
        op.create_foreign_key(FK, "projects", "domain_units", ["domain_unit_id"], ["id"])
    op.create_index(INDEX, "projects", ["domain_unit_id"])
    op.execute("UPDATE projects SET domain_unit_id = "
               "(SELECT root_domain_unit_id FROM domains WHERE domains.id = projects.domain_id)")


def downgrade() -> None:
    op.drop_index(INDEX, table_name="projects")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("domain_unit_id")
