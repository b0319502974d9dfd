"""Asset filters, the filters each request, subscription and grant scopes an asset to, and the S3 permissions
they ask for."""

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openzone.db.base import Base, Timestamps
from openzone.db.types import JSONDoc


class AssetFilter(Timestamps, Base):
    """A named column or row filter of one asset; its status is derived from the asset's current columns."""

    __tablename__ = "asset_filters"
    __table_args__ = (UniqueConstraint("asset_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    # No cascade: DataZone refuses to delete an asset that asset filters still refer to.
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    configuration: Mapped[dict] = mapped_column(JSONDoc)  # the wire's AssetFilterConfiguration
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    updated_by: Mapped[str | None] = mapped_column(String(36))


class AssetScope(Base):
    """The filters an asset is scoped to by a REQUEST, a SUBSCRIPTION or a GRANT (owner_id is its id)."""

    __tablename__ = "asset_scopes"
    __table_args__ = (UniqueConstraint("owner_kind", "owner_id", "asset_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[str] = mapped_column(String(36), index=True)
    asset_id: Mapped[str] = mapped_column(String(36), index=True)
    filter_ids: Mapped[list] = mapped_column(JSONDoc)


class AssetPermissions(Base):
    """The S3 permissions (READ, WRITE) a REQUEST, a SUBSCRIPTION or a GRANT asks for on one S3 asset."""

    __tablename__ = "asset_permissions"
    __table_args__ = (UniqueConstraint("owner_kind", "owner_id", "asset_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[str] = mapped_column(String(36), index=True)
    asset_id: Mapped[str] = mapped_column(String(36))
    s3: Mapped[list] = mapped_column(JSONDoc)
