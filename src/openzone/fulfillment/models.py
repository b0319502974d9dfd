"""Governed views: the lake's unit of access, enforced by the query service."""

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openzone.db.base import Base, Timestamps


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
