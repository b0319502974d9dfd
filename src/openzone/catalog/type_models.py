"""Form types and asset types: every revision is its own immutable row (revisions are never changed)."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openzone.db.base import Base
from openzone.db.types import JSONDoc, UTCDateTime, utcnow


class FormTypeRevision(Base):
    """One revision of a custom form type: its Smithy model and the form types it imported."""

    __tablename__ = "form_types"
    __table_args__ = (UniqueConstraint("domain_id", "name", "revision"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    owning_project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    revision: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="ENABLED")
    description: Mapped[str | None] = mapped_column(Text)
    smithy: Mapped[str] = mapped_column(Text)
    imports: Mapped[list | None] = mapped_column(JSONDoc)  # [{"name", "revision"}] pinned when created
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))


class AssetTypeRevision(Base):
    """One revision of a custom asset type; its forms are rows of asset_type_forms."""

    __tablename__ = "asset_types"
    __table_args__ = (UniqueConstraint("domain_id", "name", "revision"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    owning_project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(256))
    revision: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))


class AssetTypeForm(Base):
    """One form of an asset type revision; a table (not JSON) so "which asset types use form type X" is a query."""

    __tablename__ = "asset_type_forms"

    asset_type_id: Mapped[str] = mapped_column(ForeignKey("asset_types.id", ondelete="CASCADE"), primary_key=True)
    form_name: Mapped[str] = mapped_column(String(128), primary_key=True)
    type_name: Mapped[str] = mapped_column(String(385), index=True)
    type_revision: Mapped[str] = mapped_column(String(64))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer)
