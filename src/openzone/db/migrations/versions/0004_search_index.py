"""search index: search_documents, with SQLite FTS5 or a PostgreSQL tsvector kept in step by triggers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 23:15:00

The documents themselves are written by openzone.search.index (a session listener, same transaction as
the listing). What the engines search follows the documents inside the database:

* SQLite: `search_documents_fts`, an FTS5 table with external content (`search_documents`, rowid = id),
  and AFTER INSERT/UPDATE/DELETE triggers that replay every change into it.
* PostgreSQL: `search_vector` (tsvector, GIN index) set by a BEFORE INSERT/UPDATE trigger from the term
  columns with weights A (name, technical name), B (columns, glossary terms), C (description, form text).

Existing listings are indexed by migration 0009 (the same code `openzone search reindex` runs).
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

FIELDS = ("name_terms", "technical_terms", "column_terms", "glossary_terms", "description_terms", "form_terms")
FTS = "search_documents_fts"
# Kept here as it was at this revision (openzone.search.index.PG_VECTOR is the living copy).
PG_VECTOR = ("setweight(to_tsvector('simple', coalesce(NEW.name_terms, '') || ' ' || coalesce(NEW.technical_terms, '')), 'A')"
             " || setweight(to_tsvector('simple', coalesce(NEW.column_terms, '') || ' ' || coalesce(NEW.glossary_terms, '')), 'B')"
             " || setweight(to_tsvector('simple', coalesce(NEW.description_terms, '') || ' ' || coalesce(NEW.form_terms, '')), 'C')")


def upgrade() -> None:
    op.create_table('search_documents',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('entity_id', sa.String(length=36), nullable=False),
    sa.Column('domain_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    *[sa.Column(name, sa.Text(), nullable=False) for name in FIELDS],
    sa.Column('literal_text', sa.Text(), nullable=False),
    sa.Column('search_vector', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.id'], name=op.f('fk_search_documents_domain_id_domains'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entity_id'], ['listings.id'], name=op.f('fk_search_documents_entity_id_listings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_documents')),
    sa.UniqueConstraint('kind', 'entity_id', name=op.f('uq_search_documents_kind_entity_id'))
    )
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_documents_domain_id'), ['domain_id'], unique=False)
        batch_op.create_index('ix_search_documents_search_vector', ['search_vector'], unique=False,
                              postgresql_using='gin')

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
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
    elif dialect == "postgresql":
        op.execute("CREATE FUNCTION search_documents_vector() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN NEW.search_vector := {PG_VECTOR}; RETURN NEW; END $$")
        op.execute("CREATE TRIGGER search_documents_vector BEFORE INSERT OR UPDATE ON search_documents "
                   "FOR EACH ROW EXECUTE FUNCTION search_documents_vector()")

    # What is already published is indexed by 0009, which rebuilds every document with the code of its
    # time (running today's index code here would write columns this revision does not have yet).


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for suffix in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS search_documents_fts_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {FTS}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS search_documents_vector ON search_documents")
        op.execute("DROP FUNCTION IF EXISTS search_documents_vector()")
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_search_documents_search_vector')
        batch_op.drop_index(batch_op.f('ix_search_documents_domain_id'))
    op.drop_table('search_documents')
