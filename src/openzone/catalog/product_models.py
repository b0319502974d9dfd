"""Data products: a named bundle of assets of the owning project, with immutable revisions."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openzone.db.base import Base, Timestamps
from openzone.db.types import JSONDoc, UTCDateTime, utcnow


class DataProduct(Timestamps, Base):
    """A data product of a project's inventory; `revision` is its latest revision."""

    __tablename__ = "data_products"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    owning_project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="CREATED")
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))


class DataProductRevision(Base):
    """One immutable revision: what CreateDataProduct / CreateDataProductRevision were given, validated."""

    __tablename__ = "data_product_revisions"

    data_product_id: Mapped[str] = mapped_column(ForeignKey("data_products.id", ondelete="CASCADE"),
                                                 primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    glossary_terms: Mapped[list | None] = mapped_column(JSONDoc)
    # [{itemType, identifier, revision, glossaryTerms?}], the asset revision always pinned
    items: Mapped[list] = mapped_column(JSONDoc)
    # [{formName, typeName, typeRevision, content(JSON string)}], as formsOutput
    forms: Mapped[list] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
