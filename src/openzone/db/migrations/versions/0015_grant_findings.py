"""grant findings: what the reconciler found different between grants and the engines, and what it did

Revision ID: 0015
Revises: 0014
"""

from alembic import op
import sqlalchemy as sa
import openzone.db.types

revision = '0015'
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('grant_findings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=36), nullable=False),
    sa.Column('domain_id', sa.String(length=64), nullable=False),
    sa.Column('grant_id', sa.String(length=36), nullable=True),
    sa.Column('asset_id', sa.String(length=36), nullable=True),
    sa.Column('environment_id', sa.String(length=36), nullable=True),
    sa.Column('engine', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('resource', sa.String(length=512), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('created_at', openzone.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', openzone.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.id'], name=op.f('fk_grant_findings_domain_id_domains'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['grant_id'], ['subscription_grants.id'], name=op.f('fk_grant_findings_grant_id_subscription_grants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_findings'))
    )
    with op.batch_alter_table('grant_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_findings_domain_id'), ['domain_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grant_findings_grant_id'), ['grant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grant_findings_run_id'), ['run_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('grant_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_findings_run_id'))
        batch_op.drop_index(batch_op.f('ix_grant_findings_grant_id'))
        batch_op.drop_index(batch_op.f('ix_grant_findings_domain_id'))
    op.drop_table('grant_findings')
