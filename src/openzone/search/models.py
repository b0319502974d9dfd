"""The search index: one analysed document per catalog entry, in the metadata database.

Each `*_terms` column holds `" ".join(text.index_terms(field))`, so both engines see the same words
the Python ranker (`relevance.rank`) scores. On SQLite the FTS5 table `search_documents_fts` (external
content over this table, kept in step by triggers created in migration 0004) indexes those columns; on
PostgreSQL `search_vector` holds their weighted `tsvector` (A: names, B: columns and glossary terms,
C: description and form text), written by the index listener and served by a GIN index.
"""

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from openzone.db.base import Base

# The analysed fields, in the order of the FTS5 columns (and of the bm25 weights in service.py).
TERM_FIELDS = ("name_terms", "technical_terms", "column_terms", "glossary_terms", "description_terms",
               "form_terms")


class SearchDocument(Base):
    __tablename__ = "search_documents"
    __table_args__ = (UniqueConstraint("kind", "entity_id"),
                      Index("ix_search_documents_search_vector", "search_vector", postgresql_using="gin"))

    # An integer key: FTS5 external content addresses rows by rowid.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # LISTING
    # The listing the document describes; it goes with the listing even when a database cascade removes it.
    entity_id: Mapped[str] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(256))
    name_terms: Mapped[str] = mapped_column(Text, default="")
    technical_terms: Mapped[str] = mapped_column(Text, default="")
    column_terms: Mapped[str] = mapped_column(Text, default="")
    glossary_terms: Mapped[str] = mapped_column(Text, default="")
    description_terms: Mapped[str] = mapped_column(Text, default="")
    form_terms: Mapped[str] = mapped_column(Text, default="")
    # The fields as written, lower-cased: for query words with symbols the analyser drops (`100%`, `50_50`).
    literal_text: Mapped[str] = mapped_column(Text, default="")
    # PostgreSQL only (NULL on SQLite, where FTS5 does this job).
    search_vector: Mapped[str | None] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))
