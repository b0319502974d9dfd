"""The event outbox, the rules and targets that deliver it, delivery state and the audit trail."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from openzone.db.base import Base, Timestamps
from openzone.db.types import JSONDoc, UTCDateTime, utcnow


class OutboxEvent(Base):
    __tablename__ = "outbox_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    domain_id: Mapped[str | None] = mapped_column(String(64), index=True)
    detail_type: Mapped[str] = mapped_column(String(128), index=True)
    time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    envelope: Mapped[dict] = mapped_column(JSONDoc)
    # Set once the dispatcher has matched the event against the rules (and queued its deliveries).
    dispatched: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), index=True)


class EventRule(Timestamps, Base):
    """An EventBridge rule on the default bus: a pattern and an ENABLED/DISABLED state."""

    __tablename__ = "event_rules"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str | None] = mapped_column(Text)
    event_pattern: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="ENABLED")
    created_by: Mapped[str] = mapped_column(String(36))
    # Events recorded before the rule existed are never delivered to it (as on EventBridge).
    created_seq: Mapped[int] = mapped_column(Integer, default=0)


class EventTarget(Timestamps, Base):
    """Where a rule sends matching events: a webhook (http/https URL) or a NATS subject (nats:// URL)."""

    __tablename__ = "event_targets"
    __table_args__ = (UniqueConstraint("rule_name", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_name: Mapped[str] = mapped_column(ForeignKey("event_rules.name", ondelete="CASCADE"), index=True)
    target_id: Mapped[str] = mapped_column(String(64))
    arn: Mapped[str] = mapped_column(String(1600))
    kind: Mapped[str] = mapped_column(String(16))  # WEBHOOK | NATS
    spec: Mapped[dict] = mapped_column(JSONDoc)  # the Target as given (without the signing secret)
    secret: Mapped[str] = mapped_column(String(256))  # HMAC-SHA256 key of webhook signatures
    headers: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    max_attempts: Mapped[int] = mapped_column(Integer)
    max_age_seconds: Mapped[int] = mapped_column(Integer)


class EventLane(Base):
    """The ordered stream of one entity's events to one target; leased by one dispatcher at a time."""

    __tablename__ = "event_lanes"
    __table_args__ = (UniqueConstraint("target_pk", "entity_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    target_pk: Mapped[int] = mapped_column(ForeignKey("event_targets.id", ondelete="CASCADE"))
    entity_key: Mapped[str] = mapped_column(String(64))
    # The head event may be tried again from this time (backoff after a failure).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    leased_by: Mapped[str | None] = mapped_column(String(64))
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EventDelivery(Base):
    """One event due at one target: PENDING until DELIVERED, or DEAD (the dead-letter list)."""

    __tablename__ = "event_deliveries"
    __table_args__ = (Index("ix_event_deliveries_lane_status_seq", "lane_id", "status", "event_seq"),
                      Index("ix_event_deliveries_target_status", "target_pk", "status"),
                      Index("ix_event_deliveries_status_finished", "status", "finished_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lane_id: Mapped[int] = mapped_column(ForeignKey("event_lanes.id", ondelete="CASCADE"))
    target_pk: Mapped[int] = mapped_column(ForeignKey("event_targets.id", ondelete="CASCADE"))
    event_seq: Mapped[int] = mapped_column(ForeignKey("outbox_events.seq", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="PENDING")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Who requested, approved, rejected, revoked what, when and why: one row per governance event."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    time: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    domain_id: Mapped[str | None] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64))
    detail_type: Mapped[str] = mapped_column(String(128))
    actor_id: Mapped[str | None] = mapped_column(String(36), index=True)
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    project_id: Mapped[str | None] = mapped_column(String(36), index=True)  # the subscriber
    owner_project_id: Mapped[str | None] = mapped_column(String(36), index=True)  # the publisher
    listing_id: Mapped[str | None] = mapped_column(String(36), index=True)
    asset_id: Mapped[str | None] = mapped_column(String(36), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
