"""search: filters as full-text terms (filter_terms in FTS5 and the tsvector), prepared ranking (rank_doc)

Revision ID: 0022
Revises: 0021

Each document gets `filter_terms`, one hashed token per string attribute value
(`openzone.search.text.filter_token`), filled here from its `search_attributes` rows in their order
(what `index.document_row` writes). SQLite: the FTS5 table and its triggers are made again with the
new column and rebuilt. PostgreSQL: the vector trigger adds the tokens with weight D, and the update
that fills the column rewrites the vectors of the documents that have attributes.

`rank_doc` (the re-ranker's analysis of the document) stays NULL here: it is made from the entity, which
`openzone search reindex` reads; until then the ranker analyses those documents at query time.
"""

from collections.abc import Iterator

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

FIELDS = ("name_terms", "technical_terms", "column_terms", "glossary_terms", "description_terms", "form_terms")
FTS = "search_documents_fts"
_VECTOR = ("setweight(to_tsvector('simple', coalesce(NEW.name_terms, '') || ' ' || coalesce(NEW.technical_terms, '')), 'A')"
           " || setweight(to_tsvector('simple', coalesce(NEW.column_terms, '') || ' ' || coalesce(NEW.glossary_terms, '')), 'B')"
           " || setweight(to_tsvector('simple', coalesce(NEW.description_terms, '') || ' ' || coalesce(NEW.form_terms, '')), 'C')")
_FILTER_VECTOR = " || setweight(to_tsvector('simple', coalesce(NEW.filter_terms, '')), 'D')"
BATCH = 5000


def _drop_fts() -> None:
    for suffix in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS search_documents_fts_{suffix}")
    op.execute(f"DROP TABLE IF EXISTS {FTS}")


def _create_fts(fields: tuple[str, ...]) -> None:
    columns = ", ".join(fields)
    new = ", ".join(f"new.{f}" for f in fields)
    old = ", ".join(f"old.{f}" for f in fields)
    op.execute(f"CREATE VIRTUAL TABLE {FTS} USING fts5({columns}, content='search_documents', content_rowid='id')")
    op.execute(f"CREATE TRIGGER search_documents_fts_insert AFTER INSERT ON search_documents BEGIN "
               f"INSERT INTO {FTS}(rowid, {columns}) VALUES (new.id, {new}); END")
    op.execute(f"CREATE TRIGGER search_documents_fts_delete AFTER DELETE ON search_documents BEGIN "
               f"INSERT INTO {FTS}({FTS}, rowid, {columns}) VALUES ('delete', old.id, {old}); END")
    op.execute(f"CREATE TRIGGER search_documents_fts_update AFTER UPDATE ON search_documents BEGIN "
               f"INSERT INTO {FTS}({FTS}, rowid, {columns}) VALUES ('delete', old.id, {old}); "
               f"INSERT INTO {FTS}(rowid, {columns}) VALUES (new.id, {new}); END")
    op.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')")


def _vector_function(expression: str) -> None:
    op.execute("CREATE OR REPLACE FUNCTION search_documents_vector() RETURNS trigger LANGUAGE plpgsql AS $$ "
               f"BEGIN NEW.search_vector := {expression}; RETURN NEW; END $$")


def _documents_terms(connection: sa.Connection) -> Iterator[list[dict]]:
    """Batches of {doc_id, terms} for the documents that have string attribute values."""
    from openzone.search.index import filter_terms

    rows = connection.execute(sa.text(
        "SELECT doc_id, attribute, string_value FROM search_attributes WHERE string_value IS NOT NULL "
        "ORDER BY doc_id, id")).yield_per(BATCH)
    batch: list[dict] = []
    current, attributes = None, []
    for doc_id, attribute, value in rows:
        if doc_id != current and attributes:
            batch.append({"doc_id": current, "terms": filter_terms(attributes)})
            attributes = []
        current = doc_id
        attributes.append((attribute, value, None))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if attributes:
        batch.append({"doc_id": current, "terms": filter_terms(attributes)})
    if batch:
        yield batch


def upgrade() -> None:
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _drop_fts()  # made again below, with the new column, from the filled table
    else:
        _vector_function(_VECTOR + _FILTER_VECTOR)
    op.add_column("search_documents", sa.Column("filter_terms", sa.Text(), nullable=False, server_default=""))
    op.add_column("search_documents", sa.Column("rank_doc", sa.Text(), nullable=True))
    update = sa.text("UPDATE search_documents SET filter_terms = :terms WHERE id = :doc_id")
    for batch in _documents_terms(connection):  # streamed: the attribute rows are read as they are written
        connection.execute(update, batch)
    if sqlite:
        _create_fts((*FIELDS, "filter_terms"))


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _drop_fts()
    else:
        # The trigger, now without the tokens, rewrites the vectors that held some.
        _vector_function(_VECTOR)
        op.execute("UPDATE search_documents SET filter_terms = '' WHERE filter_terms <> ''")
    # In place on both (SQLite 3.35+): a batch rebuild of search_documents would drop the old table, and
    # with foreign keys on that deletes every search_attributes row by cascade.
    op.execute("ALTER TABLE search_documents DROP COLUMN filter_terms")
    op.execute("ALTER TABLE search_documents DROP COLUMN rank_doc")
    if sqlite:
        _create_fts(FIELDS)
