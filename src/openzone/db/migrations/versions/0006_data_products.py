"""data products, and listings that are either an asset's or a data product's

Revision ID: 0006
Revises: 0005

`listings` gains entity_type (ASSET for every existing row), data_product_id and data_product_revision;
its asset columns become nullable. `listing_revisions` gains the product's revision and its items.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import openzone.db.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "data_products",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("domain_id", sa.String(length=64), nullable=False),
        sa.Column("owning_project_id", sa.String(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.Column("created_at", openzone.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", openzone.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_data_products_created_by_users")),
        sa.ForeignKeyConstraint(["domain_id"], ["domains.id"], name=op.f("fk_data_products_domain_id_domains"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owning_project_id"], ["projects.id"],
                                name=op.f("fk_data_products_owning_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_products")),
    )
    with op.batch_alter_table("data_products") as batch_op:
        batch_op.create_index(batch_op.f("ix_data_products_domain_id"), ["domain_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_data_products_owning_project_id"), ["owning_project_id"], unique=False)
    op.create_table(
        "data_product_revisions",
        sa.Column("data_product_id", sa.String(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("glossary_terms", JSON, nullable=True),
        sa.Column("items", JSON, nullable=False),
        sa.Column("forms", JSON, nullable=False),
        sa.Column("created_at", openzone.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_data_product_revisions_created_by_users")),
        sa.ForeignKeyConstraint(["data_product_id"], ["data_products.id"],
                                name=op.f("fk_data_product_revisions_data_product_id_data_products"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("data_product_id", "revision", name=op.f("pk_data_product_revisions")),
    )
    _listing_columns()


def _listing_columns() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        # Relaxing NOT NULL rebuilds the table on SQLite. Foreign keys off for the rebuild (SQLite's own
        # recipe): the tables pointing at `listings` keep pointing at the rebuilt one.
        op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table("listings", recreate="always" if sqlite else "auto") as batch_op:
        batch_op.add_column(sa.Column("entity_type", sa.String(length=16), server_default="ASSET", nullable=False))
        batch_op.add_column(sa.Column("data_product_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("data_product_revision", sa.Integer(), nullable=True))
        batch_op.alter_column("asset_id", existing_type=sa.String(length=36), nullable=True)
        batch_op.alter_column("asset_revision", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("asset_type", existing_type=sa.String(length=513), nullable=True)
        batch_op.create_unique_constraint(batch_op.f("uq_listings_data_product_id"), ["data_product_id"])
        batch_op.create_foreign_key(batch_op.f("fk_listings_data_product_id_data_products"), "data_products",
                                    ["data_product_id"], ["id"], ondelete="CASCADE")
    with op.batch_alter_table("listing_revisions", recreate="always" if sqlite else "auto") as batch_op:
        batch_op.add_column(sa.Column("data_product_revision", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("items", JSON, nullable=True))
        batch_op.alter_column("asset_revision", existing_type=sa.Integer(), nullable=True)
    if sqlite:
        # Turning them back on is a no-op inside the migration's transaction: rather than hand a pooled
        # connection without foreign keys to the server, take this one out of the pool (closed when done).
        op.get_bind().detach()


def downgrade() -> None:
    op.execute("DELETE FROM listings WHERE entity_type <> 'ASSET'")
    with op.batch_alter_table("listing_revisions") as batch_op:
        batch_op.alter_column("asset_revision", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("items")
        batch_op.drop_column("data_product_revision")
    with op.batch_alter_table("listings") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_listings_data_product_id_data_products"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_listings_data_product_id"), type_="unique")
        batch_op.alter_column("asset_type", existing_type=sa.String(length=513), nullable=False)
        batch_op.alter_column("asset_revision", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("asset_id", existing_type=sa.String(length=36), nullable=False)
        batch_op.drop_column("data_product_revision")
        batch_op.drop_column("data_product_id")
        batch_op.drop_column("entity_type")
    op.drop_table("data_product_revisions")
    with op.batch_alter_table("data_products") as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_products_owning_project_id"))
        batch_op.drop_index(batch_op.f("ix_data_products_domain_id"))
    op.drop_table("data_products")
