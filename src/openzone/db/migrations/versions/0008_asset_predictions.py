"""asset_predictions: generated business names and descriptions per asset revision

Revision ID: 0008
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import openzone.db.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset_predictions",
        sa.Column("asset_id", sa.String(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("generator", sa.String(length=128), nullable=True),
        sa.Column("suggestions", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                  nullable=False),
        sa.Column("created_at", openzone.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["asset_id", "revision"], ["asset_revisions.asset_id", "asset_revisions.revision"],
                                name=op.f("fk_asset_predictions_asset_id_asset_revisions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("asset_id", "revision", name=op.f("pk_asset_predictions")),
    )


def downgrade() -> None:
    op.drop_table("asset_predictions")
