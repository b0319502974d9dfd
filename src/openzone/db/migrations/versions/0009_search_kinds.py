"""search: documents of every kind (listings, assets, glossaries, terms) and filterable attributes

Revision ID: 0009
Revises: 0008

* `search_documents.entity_id` loses its foreign key to listings: documents now describe assets,
  glossaries and glossary terms too (the index listener removes a document with its entity).
* New document columns for filters, facets and visibility: owning_project_id, type_name, created_at,
  updated_at; and the scope index (domain_id, kind, status, updated_at).
* `search_attributes`: one row per filterable value of a document.

On SQLite the table is rebuilt (batch mode) to drop the foreign key, so the FTS5 table and its triggers
are dropped first and created again around it (the same statements as 0004). Every document is rebuilt
at the end (the code `openzone search reindex` runs).
"""

from alembic import op
import sqlalchemy as sa

import openzone.db.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FIELDS = ("name_terms", "technical_terms", "column_terms", "glossary_terms", "description_terms", "form_terms")
FTS = "search_documents_fts"


def _drop_fts() -> None:
    for suffix in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS search_documents_fts_{suffix}")
    op.execute(f"DROP TABLE IF EXISTS {FTS}")


def _create_fts() -> None:
    columns = ", ".join(FIELDS)
    new = ", ".join(f"new.{f}" for f in FIELDS)
    old = ", ".join(f"old.{f}" for f in FIELDS)
    op.execute(f"CREATE VIRTUAL TABLE {FTS} USING fts5({columns}, content='search_documents', content_rowid='id')")
    op.execute(f"CREATE TRIGGER search_documents_fts_insert AFTER INSERT ON search_documents BEGIN "
               f"INSERT INTO {FTS}(rowid, {columns}) VALUES (new.id, {new}); END")
    op.execute(f"CREATE TRIGGER search_documents_fts_delete AFTER DELETE ON search_documents BEGIN "
               f"INSERT INTO {FTS}({FTS}, rowid, {columns}) VALUES ('delete', old.id, {old}); END")
    op.execute(f"CREATE TRIGGER search_documents_fts_update AFTER UPDATE ON search_documents BEGIN "
               f"INSERT INTO {FTS}({FTS}, rowid, {columns}) VALUES ('delete', old.id, {old}); "
               f"INSERT INTO {FTS}(rowid, {columns}) VALUES (new.id, {new}); END")
    op.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _drop_fts()
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.drop_constraint("fk_search_documents_entity_id_listings", type_="foreignkey")
        batch_op.add_column(sa.Column("owning_project_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("type_name", sa.String(length=513), nullable=True))
        batch_op.add_column(sa.Column("created_at", openzone.db.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", openzone.db.types.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_search_documents_owning_project_id"), ["owning_project_id"], unique=False)
        batch_op.create_index("ix_search_documents_scope", ["domain_id", "kind", "status", "updated_at"], unique=False)
    if sqlite:
        _create_fts()
    op.create_table(
        "search_attributes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("doc_id", sa.Integer(), nullable=False),
        sa.Column("attribute", sa.String(length=160), nullable=False),
        sa.Column("string_value", sa.String(length=512), nullable=True),
        sa.Column("int_value", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["doc_id"], ["search_documents.id"], name=op.f("fk_search_attributes_doc_id_search_documents"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_attributes")),
    )
    with op.batch_alter_table("search_attributes", schema=None) as batch_op:
        batch_op.create_index("ix_search_attributes_string", ["attribute", "string_value", "doc_id"], unique=False)
        batch_op.create_index("ix_search_attributes_int", ["attribute", "int_value", "doc_id"], unique=False)
        batch_op.create_index("ix_search_attributes_doc", ["doc_id", "attribute", "string_value"], unique=False)

    from openzone.search import index

    index.reindex(op.get_bind())


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_table("search_attributes")
    op.execute("DELETE FROM search_documents WHERE kind <> 'LISTING'")
    if sqlite:
        _drop_fts()
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_search_documents_scope")
        batch_op.drop_index(batch_op.f("ix_search_documents_owning_project_id"))
        for column in ("updated_at", "created_at", "type_name", "owning_project_id"):
            batch_op.drop_column(column)
        batch_op.create_foreign_key("fk_search_documents_entity_id_listings", "listings", ["entity_id"], ["id"],
                                    ondelete="CASCADE")
    if sqlite:
        _create_fts()
