"""manual control: which grant assets an engine manages, and when a subscription expires

Revision ID: 0013
Revises: 0012
"""

from alembic import op
import sqlalchemy as sa
import openzone.db.types

revision = '0013'
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('grant_assets', schema=None) as batch_op:
        # Existing grants were all made by the lake engine.
        batch_op.add_column(sa.Column('managed', sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', openzone.db.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_subscriptions_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_expires_at'))
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('grant_assets', schema=None) as batch_op:
        batch_op.drop_column('managed')
