"""Governed views: the lake's unit of access, enforced by the query service."""

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openzone.db.base import Base, Timestamps
from openzone.db.types import JSONDoc


class LakeView(Timestamps, Base):
    """Table `name` in subscription database `database` reads `source_database.source_table`."""

    __tablename__ = "lake_views"
    __table_args__ = (UniqueConstraint("database", "name"), UniqueConstraint("grant_id", "asset_id"))

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("subscription_grants.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[str] = mapped_column(String(36))
    database: Mapped[str] = mapped_column(String(128), index=True)
    name: Mapped[str] = mapped_column(String(128))
    source_database: Mapped[str] = mapped_column(String(128))
    source_table: Mapped[str] = mapped_column(String(128))


class WarehouseGrant(Timestamps, Base):
    """What the warehouse engine did in PostgreSQL for one granted asset, so revoke undoes exactly that.

    Without `view_name`: SELECT on `source_schema.source_table` (only `columns` when set) to `role`, plus USAGE
    on the source schema when `schema_usage`. With it: a security-barrier view `view_schema.view_name` owned by
    the source table's owner, SELECT on the view to `role`, nothing on the source.
    """

    __tablename__ = "warehouse_grants"
    __table_args__ = (UniqueConstraint("grant_id", "asset_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("subscription_grants.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[str] = mapped_column(String(36))
    database: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(128), index=True)
    source_schema: Mapped[str] = mapped_column(String(128))
    source_table: Mapped[str] = mapped_column(String(128))
    columns: Mapped[list | None] = mapped_column(JSONDoc)
    schema_usage: Mapped[bool] = mapped_column(Boolean, default=False)
    view_schema: Mapped[str | None] = mapped_column(String(128))
    view_name: Mapped[str | None] = mapped_column(String(128))
