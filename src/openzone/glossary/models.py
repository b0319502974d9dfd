"""Glossaries, glossary terms and the relations between terms."""

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openzone.db.base import Base, Timestamps
from openzone.db.types import JSONDoc


class Glossary(Timestamps, Base):
    __tablename__ = "glossaries"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    owning_project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="ENABLED")
    usage_restrictions: Mapped[list | None] = mapped_column(JSONDoc)  # e.g. ["ASSET_GOVERNED_TERMS"]
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    updated_by: Mapped[str | None] = mapped_column(String(36))


class GlossaryTerm(Timestamps, Base):
    __tablename__ = "glossary_terms"
    __table_args__ = (UniqueConstraint("glossary_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    glossary_id: Mapped[str] = mapped_column(ForeignKey("glossaries.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(256))
    short_description: Mapped[str | None] = mapped_column(Text)
    long_description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="ENABLED")
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    updated_by: Mapped[str | None] = mapped_column(String(36))


class GlossaryTermRelation(Base):
    """One entry of a term's termRelations: `kind` is "isA" or "classifies"; `position` keeps the given order."""

    __tablename__ = "glossary_term_relations"

    term_id: Mapped[str] = mapped_column(ForeignKey("glossary_terms.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    related_term_id: Mapped[str] = mapped_column(ForeignKey("glossary_terms.id", ondelete="CASCADE"),
                                                 primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)
