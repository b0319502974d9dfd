"""Domain units (a root unit for every existing domain), metadata enforcement rules, governed terms on assets.

Revision ID: 0007
Revises: 0005
"""

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import openzone.db.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _timestamps() -> list[sa.Column]:
    return [sa.Column("created_at", openzone.db.types.UTCDateTime(timezone=True), nullable=False),
            sa.Column("updated_at", openzone.db.types.UTCDateTime(timezone=True), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "domain_units",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("domain_id", sa.String(length=64), nullable=False),
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owners", JSON, nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_domain_units_created_by_users")),
        sa.ForeignKeyConstraint(["domain_id"], ["domains.id"], name=op.f("fk_domain_units_domain_id_domains"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["parent_id"], ["domain_units.id"], name=op.f("fk_domain_units_parent_id_domain_units"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_units")),
        sa.UniqueConstraint("domain_id", "parent_id", "name", name=op.f("uq_domain_units_domain_id_parent_id_name")),
    )
    op.create_index(op.f("ix_domain_units_domain_id"), "domain_units", ["domain_id"])
    op.create_index(op.f("ix_domain_units_parent_id"), "domain_units", ["parent_id"])

    op.create_table(
        "rules",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("domain_id", sa.String(length=64), nullable=False),
        sa.Column("domain_unit_id", sa.String(length=64), nullable=False),
        sa.Column("include_child_units", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("rule_type", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("scope", JSON, nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.Column("updated_by", sa.String(length=36), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_rules_created_by_users")),
        sa.ForeignKeyConstraint(["domain_id"], ["domains.id"], name=op.f("fk_rules_domain_id_domains"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["domain_unit_id"], ["domain_units.id"],
                                name=op.f("fk_rules_domain_unit_id_domain_units"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rules")),
    )
    op.create_index(op.f("ix_rules_domain_id"), "rules", ["domain_id"])
    op.create_index(op.f("ix_rules_domain_unit_id"), "rules", ["domain_unit_id"])
    op.create_index(op.f("ix_rules_action"), "rules", ["action"])

    op.create_table(
        "rule_revisions",
        sa.Column("rule_id", sa.String(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("snapshot", JSON, nullable=False),
        sa.Column("created_at", openzone.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["rule_id"], ["rules.id"], name=op.f("fk_rule_revisions_rule_id_rules"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("rule_id", "revision", name=op.f("pk_rule_revisions")),
    )

    op.create_table(
        "asset_governed_terms",
        sa.Column("asset_id", sa.String(length=36), nullable=False),
        sa.Column("term_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", openzone.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name=op.f("fk_asset_governed_terms_asset_id_assets"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["term_id"], ["glossary_terms.id"],
                                name=op.f("fk_asset_governed_terms_term_id_glossary_terms"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("asset_id", "term_id", name=op.f("pk_asset_governed_terms")),
    )
    op.create_index(op.f("ix_asset_governed_terms_term_id"), "asset_governed_terms", ["term_id"])

    _root_units_for_existing_domains()


def _root_units_for_existing_domains() -> None:
    """Domains made before domain units existed get their root unit, owned by the domain's creator."""
    connection = op.get_bind()
    domains = sa.table("domains", sa.column("id"), sa.column("name"), sa.column("description"),
                       sa.column("root_domain_unit_id"), sa.column("created_by"))
    units = sa.table("domain_units", sa.column("id"), sa.column("domain_id"), sa.column("parent_id"),
                     sa.column("name"), sa.column("description"), sa.column("owners", JSON),
                     sa.column("created_by"), sa.column("created_at", openzone.db.types.UTCDateTime(timezone=True)),
                     sa.column("updated_at", openzone.db.types.UTCDateTime(timezone=True)))
    now = datetime.now(timezone.utc)
    rows = [{"id": d.root_domain_unit_id, "domain_id": d.id, "parent_id": None, "name": d.name[:128],
             "description": d.description, "owners": [d.created_by], "created_by": d.created_by,
             "created_at": now, "updated_at": now}
            for d in connection.execute(sa.select(domains))]
    if rows:
        connection.execute(units.insert(), rows)


def downgrade() -> None:
    op.drop_index(op.f("ix_asset_governed_terms_term_id"), table_name="asset_governed_terms")
    op.drop_table("asset_governed_terms")
    op.drop_table("rule_revisions")
    for name in ("action", "domain_unit_id", "domain_id"):
        op.drop_index(op.f(f"ix_rules_{name}"), table_name="rules")
    op.drop_table("rules")
    op.drop_index(op.f("ix_domain_units_parent_id"), table_name="domain_units")
    op.drop_index(op.f("ix_domain_units_domain_id"), table_name="domain_units")
    op.drop_table("domain_units")
