"""The search index: one analysed document per catalog entry, in the metadata database.

A document describes one entity of a kind (LISTING, ASSET, DATA_PRODUCT, GLOSSARY, GLOSSARY_TERM; see `kinds.py`).
Each `*_terms` column holds `" ".join(text.index_terms(field))`, so both engines see the same words
the Python ranker (`relevance.rank`) scores. On SQLite the FTS5 table `search_documents_fts` (external
content over this table, kept in step by triggers created in migration 0004) indexes those columns; on
PostgreSQL `search_vector` holds their weighted `tsvector` (A: names, B: columns and glossary terms,
C: description and form text; D: `filter_terms`), written by a trigger and served by a GIN index.
`filter_terms` holds a hashed token per string attribute value, so that a filter on it is one more
term of the full-text query (`text.filter_token`).

What filters and facets read lives beside the text: the document's own columns (owning project, type
name, times) and `search_attributes`, one narrow row per filterable value (`<formName>.<field>`,
`__DataZoneGlossaryTerms`, ...), indexed both by (attribute, value) and by document.
"""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from openzone.db.base import Base
from openzone.db.types import UTCDateTime

# The analysed fields, in the order of the FTS5 columns (and of the bm25 weights in service.py).
TERM_FIELDS = ("name_terms", "technical_terms", "column_terms", "glossary_terms", "description_terms",
               "form_terms")
MAX_VALUE = 512  # longer attribute values are cut: they are kept for equality and facets, not as text


class SearchDocument(Base):
    __tablename__ = "search_documents"
    __table_args__ = (UniqueConstraint("kind", "entity_id"),
                      Index("ix_search_documents_search_vector", "search_vector", postgresql_using="gin"),
                      # the scope every query starts from, in the default order (most recently updated first,
                      # ties by id): a catalog page reads 20 entries, even when a bulk import shares one time
                      Index("ix_search_documents_scope", "domain_id", "kind", "status", "updated_at", "id"),
                      # one project's inventory, and the owning-project facet of a whole scope (browsing the
                      # catalog without text), read only this; the type facet reads the next one
                      Index("ix_search_documents_scope_project", "domain_id", "kind", "owning_project_id", "status"),
                      Index("ix_search_documents_scope_type", "domain_id", "kind", "status", "type_name"))

    # An integer key: FTS5 external content addresses rows by rowid.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # LISTING, ASSET, DATA_PRODUCT, GLOSSARY, GLOSSARY_TERM (kinds.KINDS)
    # The entity's id in its own table (no foreign key: kinds live in different tables; the index
    # listener deletes a document with its entity, and domain deletion cascades through domain_id).
    entity_id: Mapped[str] = mapped_column(String(36))
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(256))
    # Inventory visibility is decided in SQL from this (NULL for listings, which the whole domain sees).
    owning_project_id: Mapped[str | None] = mapped_column(String(36), index=True)
    type_name: Mapped[str | None] = mapped_column(String(513))  # amazonmetadata.typeName
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    name_terms: Mapped[str] = mapped_column(Text, default="")
    technical_terms: Mapped[str] = mapped_column(Text, default="")
    column_terms: Mapped[str] = mapped_column(Text, default="")
    glossary_terms: Mapped[str] = mapped_column(Text, default="")
    description_terms: Mapped[str] = mapped_column(Text, default="")
    form_terms: Mapped[str] = mapped_column(Text, default="")
    # One token per string attribute value (`text.filter_token`): filters join the full-text query.
    filter_terms: Mapped[str] = mapped_column(Text, default="")
    # relevance.prepare(document) as JSON (relevance.dumps): the re-ranker reads it instead of rebuilding the
    # entity. NULL (documents indexed before migration 0022, until a reindex): prepared at query time.
    rank_doc: Mapped[str | None] = mapped_column(Text)
    # The fields as written, lower-cased: for query words with symbols the analyser drops (`100%`, `50_50`).
    literal_text: Mapped[str] = mapped_column(Text, default="")
    # PostgreSQL only (NULL on SQLite, where FTS5 does this job).
    search_vector: Mapped[str | None] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))


class SearchAttribute(Base):
    """One filterable value of a document: a string (equality, facets, TEXT_SEARCH) and/or an integer (ranges)."""

    __tablename__ = "search_attributes"
    __table_args__ = (Index("ix_search_attributes_string", "attribute", "string_value", "doc_id"),
                      Index("ix_search_attributes_int", "attribute", "int_value", "doc_id"),
                      Index("ix_search_attributes_doc", "doc_id", "attribute", "string_value"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    doc_id: Mapped[int] = mapped_column(ForeignKey("search_documents.id", ondelete="CASCADE"))
    attribute: Mapped[str] = mapped_column(String(160))
    string_value: Mapped[str | None] = mapped_column(String(MAX_VALUE))
    int_value: Mapped[int | None] = mapped_column(BigInteger)
