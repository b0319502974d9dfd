"""Subscription requests, subscriptions, grants and the per-asset grant state."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from openzone.db.base import Base, Timestamps
from openzone.db.types import JSONDoc, UTCDateTime


class SubscriptionRequest(Timestamps, Base):
    __tablename__ = "subscription_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="PENDING", index=True)
    request_reason: Mapped[str] = mapped_column(Text)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)  # the subscriber
    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.id"), index=True)
    listing_revision: Mapped[int] = mapped_column(Integer)
    approver_project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    metadata_forms: Mapped[list | None] = mapped_column(JSONDoc)
    reviewer_id: Mapped[str | None] = mapped_column(String(36))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    existing_subscription_id: Mapped[str | None] = mapped_column(String(36))
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    updated_by: Mapped[str | None] = mapped_column(String(36))


class Subscription(Timestamps, Base):
    __tablename__ = "subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="APPROVED", index=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.id"), index=True)
    listing_revision: Mapped[int] = mapped_column(Integer)
    approver_project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    request_id: Mapped[str | None] = mapped_column(ForeignKey("subscription_requests.id"))
    retain_permissions: Mapped[bool | None] = mapped_column(Boolean)
    # Time-bound access (OpenzoneAccessExpiryForm on the request): revoked by itself at this time.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    updated_by: Mapped[str | None] = mapped_column(String(36))


class SubscriptionGrant(Timestamps, Base):
    __tablename__ = "subscription_grants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[str | None] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    target_id: Mapped[str] = mapped_column(ForeignKey("subscription_targets.id"), index=True)
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), index=True)
    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.id"), index=True)
    listing_revision: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    updated_by: Mapped[str | None] = mapped_column(String(36))


class GrantAsset(Timestamps, Base):
    """One asset of a grant and where it is in GRANT_PENDING -> ... -> GRANTED / REVOKED."""

    __tablename__ = "grant_assets"

    grant_id: Mapped[str] = mapped_column(ForeignKey("subscription_grants.id", ondelete="CASCADE"), primary_key=True)
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id"), primary_key=True)
    asset_revision: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24), default="GRANT_PENDING", index=True)
    # False: no engine fulfils it; an external fulfiller reports through UpdateSubscriptionGrantStatus.
    managed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    target_name: Mapped[str | None] = mapped_column(String(256))
    failure_cause: Mapped[str | None] = mapped_column(Text)
    granted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
