"""subscriptions: the S3 permissions (assetPermissions) requests, subscriptions and grants ask for

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0021'
down_revision = "0020"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table(
        "asset_permissions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner_kind", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("asset_id", sa.String(length=36), nullable=False),
        sa.Column("s3", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_permissions")),
        sa.UniqueConstraint("owner_kind", "owner_id", "asset_id",
                            name=op.f("uq_asset_permissions_owner_kind_owner_id_asset_id")))
    op.create_index(op.f("ix_asset_permissions_owner_id"), "asset_permissions", ["owner_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_asset_permissions_owner_id"), "asset_permissions")
    op.drop_table("asset_permissions")
