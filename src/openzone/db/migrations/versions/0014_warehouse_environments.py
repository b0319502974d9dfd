"""warehouse environments: their PostgreSQL database, schema, role and password secret; warehouse grants

Revision ID: 0014
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import openzone.db.types

revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None

COLUMNS = (("warehouse_database", 128), ("warehouse_schema", 128), ("warehouse_role", 128),
           ("warehouse_secret_arn", 512))


def upgrade() -> None:
    # Plain ADD COLUMNs (nullable, no constraint): no batch rebuild of `environments`, whose rows others point at.
    for name, length in COLUMNS:
        op.add_column("environments", sa.Column(name, sa.String(length=length), nullable=True))
    op.create_table(
        "warehouse_grants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("grant_id", sa.String(length=36), nullable=False),
        sa.Column("asset_id", sa.String(length=36), nullable=False),
        sa.Column("database", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=128), nullable=False),
        sa.Column("source_schema", sa.String(length=128), nullable=False),
        sa.Column("source_table", sa.String(length=128), nullable=False),
        sa.Column("columns", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                  nullable=True),
        sa.Column("schema_usage", sa.Boolean(), nullable=False),
        sa.Column("view_schema", sa.String(length=128), nullable=True),
        sa.Column("view_name", sa.String(length=128), nullable=True),
        sa.Column("created_at", openzone.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", openzone.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["grant_id"], ["subscription_grants.id"],
                                name=op.f("fk_warehouse_grants_grant_id_subscription_grants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouse_grants")),
        sa.UniqueConstraint("grant_id", "asset_id", name=op.f("uq_warehouse_grants_grant_id_asset_id")),
    )
    op.create_index(op.f("ix_warehouse_grants_grant_id"), "warehouse_grants", ["grant_id"])
    op.create_index(op.f("ix_warehouse_grants_role"), "warehouse_grants", ["role"])


def downgrade() -> None:
    op.drop_index(op.f("ix_warehouse_grants_role"), table_name="warehouse_grants")
    op.drop_index(op.f("ix_warehouse_grants_grant_id"), table_name="warehouse_grants")
    op.drop_table("warehouse_grants")
    with op.batch_alter_table("environments") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
