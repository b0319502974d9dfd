"""Assets (inventory), immutable asset revisions, and listings (published snapshots)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openzone.db.base import Base, Timestamps
from openzone.db.types import JSONDoc, UTCDateTime, utcnow


class Asset(Timestamps, Base):
    __tablename__ = "assets"
    __table_args__ = (UniqueConstraint("domain_id", "external_identifier"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    owning_project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    type_identifier: Mapped[str] = mapped_column(String(513))
    type_revision: Mapped[str] = mapped_column(String(64))
    external_identifier: Mapped[str | None] = mapped_column(String(600))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))


class AssetRevision(Base):
    __tablename__ = "asset_revisions"

    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text)
    glossary_terms: Mapped[list | None] = mapped_column(JSONDoc)
    # [{formName, typeName, typeRevision, content(JSON string)}], exactly as DataZone returns them
    forms: Mapped[list] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))


class Listing(Timestamps, Base):
    """One asset's or data product's entry in the published catalog; each (re)publish snapshots a revision.

    entity_type says which: ASSET listings fill the asset_* columns, DATA_PRODUCT listings the
    data_product_* ones (their assets are in each revision's `items`).
    """

    __tablename__ = "listings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    entity_type: Mapped[str] = mapped_column(String(16), default="ASSET", server_default="ASSET")
    asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), unique=True)
    data_product_id: Mapped[str | None] = mapped_column(ForeignKey("data_products.id", ondelete="CASCADE"),
                                                        unique=True)
    owning_project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    asset_revision: Mapped[int | None] = mapped_column(Integer)
    data_product_revision: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE", index=True)
    name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text)
    asset_type: Mapped[str | None] = mapped_column(String(513))
    forms: Mapped[dict] = mapped_column(JSONDoc)  # {formName: content object}
    glossary_terms: Mapped[list | None] = mapped_column(JSONDoc)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    updated_by: Mapped[str | None] = mapped_column(String(36))


class ListingRevision(Base):
    """Every published revision of a listing stays readable (GetListing?listingRevision=N)."""

    __tablename__ = "listing_revisions"
    __table_args__ = (UniqueConstraint("listing_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    asset_revision: Mapped[int | None] = mapped_column(Integer)
    data_product_revision: Mapped[int | None] = mapped_column(Integer)
    # DATA_PRODUCT listings: the assets as published, [{assetId, assetRevision, assetType, listingId,
    # listingRevision, glossaryTerms}]
    items: Mapped[list | None] = mapped_column(JSONDoc)
    name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text)
    forms: Mapped[dict] = mapped_column(JSONDoc)
    glossary_terms: Mapped[list | None] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
