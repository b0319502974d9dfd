"""asset filters, and the filters that requests, subscriptions and grants scope assets to

Revision ID: 0012
Revises: 0011
"""

from alembic import op
import sqlalchemy as sa
import openzone.db.types
from sqlalchemy.dialects import postgresql

revision = '0012'
down_revision = "0011"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('asset_filters',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('domain_id', sa.String(length=64), nullable=False),
    sa.Column('asset_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('configuration', _JSON, nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=False),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('created_at', openzone.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', openzone.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_asset_filters_asset_id_assets')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_asset_filters_created_by_users')),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.id'], name=op.f('fk_asset_filters_domain_id_domains'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_filters')),
    sa.UniqueConstraint('asset_id', 'name', name=op.f('uq_asset_filters_asset_id_name'))
    )
    with op.batch_alter_table('asset_filters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asset_filters_asset_id'), ['asset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_asset_filters_domain_id'), ['domain_id'], unique=False)

    op.create_table('asset_scopes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('owner_kind', sa.String(length=16), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('asset_id', sa.String(length=36), nullable=False),
    sa.Column('filter_ids', _JSON, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_scopes')),
    sa.UniqueConstraint('owner_kind', 'owner_id', 'asset_id', name=op.f('uq_asset_scopes_owner_kind_owner_id_asset_id'))
    )
    with op.batch_alter_table('asset_scopes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asset_scopes_asset_id'), ['asset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_asset_scopes_owner_id'), ['owner_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('asset_scopes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_asset_scopes_owner_id'))
        batch_op.drop_index(batch_op.f('ix_asset_scopes_asset_id'))

    op.drop_table('asset_scopes')
    with op.batch_alter_table('asset_filters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_asset_filters_domain_id'))
        batch_op.drop_index(batch_op.f('ix_asset_filters_asset_id'))

    op.drop_table('asset_filters')
