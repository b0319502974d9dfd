"""Domains, domain units and domain user profiles."""

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openzone.db.base import Base, Timestamps
from openzone.db.types import JSONDoc


class Domain(Timestamps, Base):
    __tablename__ = "domains"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32), default="AVAILABLE")
    root_domain_unit_id: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    # Inputs DataZone echoes back but openzone does not act on (roles, KMS key, SSO settings).
    settings: Mapped[dict] = mapped_column(JSONDoc, default=dict)


class UserProfile(Timestamps, Base):
    """A user's membership of a domain."""

    __tablename__ = "user_profiles"

    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default="ACTIVATED")


class DomainUnit(Timestamps, Base):
    """A node of the domain's unit tree; every domain has a root unit (Domain.root_domain_unit_id)."""

    __tablename__ = "domain_units"
    __table_args__ = (UniqueConstraint("domain_id", "parent_id", "name"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("domain_units.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(Text)
    owners: Mapped[list] = mapped_column(JSONDoc, default=list)  # user ids of the unit's owners
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    updated_by: Mapped[str | None] = mapped_column(String(36))
