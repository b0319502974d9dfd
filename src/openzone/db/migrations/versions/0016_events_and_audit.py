"""event rules, targets, deliveries and the audit trail

Revision ID: 0016
Revises: 0015
"""

from alembic import op
import sqlalchemy as sa
import openzone.db.types
from sqlalchemy.dialects import postgresql

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('time', openzone.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('domain_id', sa.String(length=64), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('detail_type', sa.String(length=128), nullable=False),
    sa.Column('actor_id', sa.String(length=36), nullable=True),
    sa.Column('entity_type', sa.String(length=64), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=True),
    sa.Column('owner_project_id', sa.String(length=36), nullable=True),
    sa.Column('listing_id', sa.String(length=36), nullable=True),
    sa.Column('asset_id', sa.String(length=36), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries')),
    sa.UniqueConstraint('event_id', name=op.f('uq_audit_entries_event_id'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entries_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_asset_id'), ['asset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_domain_id'), ['domain_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_entity_id'), ['entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_listing_id'), ['listing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_owner_project_id'), ['owner_project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_time'), ['time'], unique=False)

    op.create_table('event_rules',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('event_pattern', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=False),
    sa.Column('created_seq', sa.Integer(), nullable=False),
    sa.Column('created_at', openzone.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', openzone.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_event_rules'))
    )
    op.create_table('event_targets',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('rule_name', sa.String(length=64), nullable=False),
    sa.Column('target_id', sa.String(length=64), nullable=False),
    sa.Column('arn', sa.String(length=1600), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('spec', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('secret', sa.String(length=256), nullable=False),
    sa.Column('headers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('max_age_seconds', sa.Integer(), nullable=False),
    sa.Column('created_at', openzone.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', openzone.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['rule_name'], ['event_rules.name'], name=op.f('fk_event_targets_rule_name_event_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_targets')),
    sa.UniqueConstraint('rule_name', 'target_id', name=op.f('uq_event_targets_rule_name_target_id'))
    )
    with op.batch_alter_table('event_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_targets_rule_name'), ['rule_name'], unique=False)

    op.create_table('event_lanes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('target_pk', sa.Integer(), nullable=False),
    sa.Column('entity_key', sa.String(length=64), nullable=False),
    sa.Column('next_attempt_at', openzone.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('leased_by', sa.String(length=64), nullable=True),
    sa.Column('leased_until', openzone.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['target_pk'], ['event_targets.id'], name=op.f('fk_event_lanes_target_pk_event_targets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_lanes')),
    sa.UniqueConstraint('target_pk', 'entity_key', name=op.f('uq_event_lanes_target_pk_entity_key'))
    )
    with op.batch_alter_table('event_lanes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_lanes_next_attempt_at'), ['next_attempt_at'], unique=False)

    op.create_table('event_deliveries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('lane_id', sa.Integer(), nullable=False),
    sa.Column('target_pk', sa.Integer(), nullable=False),
    sa.Column('event_seq', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', openzone.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', openzone.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_seq'], ['outbox_events.seq'], name=op.f('fk_event_deliveries_event_seq_outbox_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lane_id'], ['event_lanes.id'], name=op.f('fk_event_deliveries_lane_id_event_lanes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_pk'], ['event_targets.id'], name=op.f('fk_event_deliveries_target_pk_event_targets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_deliveries'))
    )
    with op.batch_alter_table('event_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_event_deliveries_lane_status_seq', ['lane_id', 'status', 'event_seq'], unique=False)
        batch_op.create_index('ix_event_deliveries_target_status', ['target_pk', 'status'], unique=False)

    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dispatched', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f('ix_outbox_events_dispatched'), ['dispatched'], unique=False)
    # Events from before the bus existed match no rule: nothing to dispatch (`openzone audit reindex` reads them).
    op.execute(sa.text("UPDATE outbox_events SET dispatched = :yes").bindparams(yes=True))



def downgrade() -> None:
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_events_dispatched'))
        batch_op.drop_column('dispatched')

    with op.batch_alter_table('event_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_event_deliveries_target_status')
        batch_op.drop_index('ix_event_deliveries_lane_status_seq')

    op.drop_table('event_deliveries')
    with op.batch_alter_table('event_lanes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_lanes_next_attempt_at'))

    op.drop_table('event_lanes')
    with op.batch_alter_table('event_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_targets_rule_name'))

    op.drop_table('event_targets')
    op.drop_table('event_rules')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_time'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_project_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_owner_project_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_listing_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_entity_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_domain_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_asset_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_actor_id'))

    op.drop_table('audit_entries')
