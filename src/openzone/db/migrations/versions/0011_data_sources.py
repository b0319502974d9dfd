"""data sources: secrets, connections, data sources, runs, run activities and the assets each source imported

Revision ID: 0011
Revises: 0010
"""

from alembic import op
import sqlalchemy as sa
import openzone.db.types
from sqlalchemy.dialects import postgresql

revision = '0011'
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('connections',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('domain_id', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('environment_id', sa.String(length=36), nullable=True),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('props', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('aws_location', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('secret_arn', sa.String(length=512), nullable=True),
    sa.Column('created_by', sa.String(length=36), nullable=False),
    sa.Column('created_at', openzone.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', openzone.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_connections_created_by_users')),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.id'], name=op.f('fk_connections_domain_id_domains'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_connections_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connections')),
    sa.UniqueConstraint('domain_id', 'name', name=op.f('uq_connections_domain_id_name'))
    )
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connections_domain_id'), ['domain_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_connections_project_id'), ['project_id'], unique=False)

    op.create_table('secrets',
    sa.Column('arn', sa.String(length=512), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=True),
    sa.Column('ciphertext', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', openzone.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', openzone.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_secrets_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('arn', name=op.f('pk_secrets')),
    sa.UniqueConstraint('name', name=op.f('uq_secrets_name'))
    )
    with op.batch_alter_table('secrets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_secrets_project_id'), ['project_id'], unique=False)

    op.create_table('data_sources',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('domain_id', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('environment_id', sa.String(length=36), nullable=True),
    sa.Column('connection_id', sa.String(length=36), nullable=True),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('configuration', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('recommendation', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('enable_setting', sa.String(length=16), nullable=False),
    sa.Column('publish_on_import', sa.Boolean(), nullable=False),
    sa.Column('asset_forms', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('schedule', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('next_run_at', openzone.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('last_run_id', sa.String(length=36), nullable=True),
    sa.Column('last_run_status', sa.String(length=32), nullable=True),
    sa.Column('last_run_at', openzone.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_run_error', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('last_run_asset_count', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=36), nullable=False),
    sa.Column('created_at', openzone.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', openzone.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], name=op.f('fk_data_sources_connection_id_connections')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_data_sources_created_by_users')),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.id'], name=op.f('fk_data_sources_domain_id_domains'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_data_sources_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_sources')),
    sa.UniqueConstraint('domain_id', 'project_id', 'name', name=op.f('uq_data_sources_domain_id_project_id_name'))
    )
    with op.batch_alter_table('data_sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_sources_connection_id'), ['connection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_sources_domain_id'), ['domain_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_sources_next_run_at'), ['next_run_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_sources_project_id'), ['project_id'], unique=False)

    op.create_table('data_source_assets',
    sa.Column('asset_id', sa.String(length=36), nullable=False),
    sa.Column('data_source_id', sa.String(length=36), nullable=False),
    sa.Column('external_identifier', sa.String(length=600), nullable=False),
    sa.Column('database', sa.String(length=256), nullable=False),
    sa.Column('technical_name', sa.String(length=256), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('columns_digest', sa.String(length=64), nullable=False),
    sa.Column('last_run_id', sa.String(length=36), nullable=True),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_data_source_assets_asset_id_assets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['data_source_id'], ['data_sources.id'], name=op.f('fk_data_source_assets_data_source_id_data_sources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('asset_id', name=op.f('pk_data_source_assets')),
    sa.UniqueConstraint('data_source_id', 'external_identifier', name=op.f('uq_data_source_assets_data_source_id_external_identifier'))
    )
    with op.batch_alter_table('data_source_assets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_source_assets_data_source_id'), ['data_source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_source_assets_last_run_id'), ['last_run_id'], unique=False)

    op.create_table('data_source_runs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('domain_id', sa.String(length=64), nullable=False),
    sa.Column('data_source_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('configuration_snapshot', sa.Text(), nullable=True),
    sa.Column('statistics', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('error', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('tables_total', sa.Integer(), nullable=True),
    sa.Column('tables_done', sa.Integer(), nullable=False),
    sa.Column('started_by', sa.String(length=36), nullable=False),
    sa.Column('started_at', openzone.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('stopped_at', openzone.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', openzone.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', openzone.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['data_source_id'], ['data_sources.id'], name=op.f('fk_data_source_runs_data_source_id_data_sources'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.id'], name=op.f('fk_data_source_runs_domain_id_domains'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['started_by'], ['users.id'], name=op.f('fk_data_source_runs_started_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_source_runs'))
    )
    with op.batch_alter_table('data_source_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_source_runs_data_source_id'), ['data_source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_source_runs_domain_id'), ['domain_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_source_runs_status'), ['status'], unique=False)

    op.create_table('data_source_run_activities',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=36), nullable=False),
    sa.Column('database', sa.String(length=256), nullable=False),
    sa.Column('technical_name', sa.String(length=256), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('asset_id', sa.String(length=36), nullable=True),
    sa.Column('technical_description', sa.Text(), nullable=True),
    sa.Column('error', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', openzone.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['data_source_runs.id'], name=op.f('fk_data_source_run_activities_run_id_data_source_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_source_run_activities'))
    )
    with op.batch_alter_table('data_source_run_activities', schema=None) as batch_op:
        batch_op.create_index('ix_data_source_run_activities_run_table', ['run_id', 'database', 'technical_name'],
                              unique=False)



def downgrade() -> None:
    with op.batch_alter_table('data_source_run_activities', schema=None) as batch_op:
        batch_op.drop_index('ix_data_source_run_activities_run_table')

    op.drop_table('data_source_run_activities')
    with op.batch_alter_table('data_source_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_source_runs_status'))
        batch_op.drop_index(batch_op.f('ix_data_source_runs_domain_id'))
        batch_op.drop_index(batch_op.f('ix_data_source_runs_data_source_id'))

    op.drop_table('data_source_runs')
    with op.batch_alter_table('data_source_assets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_source_assets_last_run_id'))
        batch_op.drop_index(batch_op.f('ix_data_source_assets_data_source_id'))

    op.drop_table('data_source_assets')
    with op.batch_alter_table('data_sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_sources_project_id'))
        batch_op.drop_index(batch_op.f('ix_data_sources_next_run_at'))
        batch_op.drop_index(batch_op.f('ix_data_sources_domain_id'))
        batch_op.drop_index(batch_op.f('ix_data_sources_connection_id'))

    op.drop_table('data_sources')
    with op.batch_alter_table('secrets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_secrets_project_id'))

    op.drop_table('secrets')
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_connections_project_id'))
        batch_op.drop_index(batch_op.f('ix_connections_domain_id'))

    op.drop_table('connections')
