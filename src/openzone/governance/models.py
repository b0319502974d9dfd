"""Metadata enforcement rules (with their revisions) and governed glossary terms attached to assets."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openzone.db.base import Base, Timestamps
from openzone.db.types import JSONDoc, UTCDateTime, utcnow


class Rule(Timestamps, Base):
    """A rule on a domain unit; scope and detail are kept in their wire form (RuleScope, RuleDetail)."""

    __tablename__ = "rules"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    domain_unit_id: Mapped[str] = mapped_column(ForeignKey("domain_units.id", ondelete="CASCADE"), index=True)
    include_child_units: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text)
    rule_type: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32), index=True)
    scope: Mapped[dict] = mapped_column(JSONDoc)
    detail: Mapped[dict] = mapped_column(JSONDoc)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    updated_by: Mapped[str] = mapped_column(String(36))


class RuleRevision(Base):
    """What a rule said at one revision (GetRule?revision=N); the rule row holds the latest."""

    __tablename__ = "rule_revisions"

    rule_id: Mapped[str] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    # {name, description, scope, detail, includeChildDomainUnits}
    snapshot: Mapped[dict] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(36))


class AssetGovernedTerm(Base):
    """A term of a restricted glossary (usageRestrictions ASSET_GOVERNED_TERMS) attached to an asset."""

    __tablename__ = "asset_governed_terms"

    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True)
    term_id: Mapped[str] = mapped_column(ForeignKey("glossary_terms.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(36))
