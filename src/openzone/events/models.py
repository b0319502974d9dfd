"""The event outbox."""

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openzone.db.base import Base
from openzone.db.types import JSONDoc, UTCDateTime, utcnow


class OutboxEvent(Base):
    __tablename__ = "outbox_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    domain_id: Mapped[str | None] = mapped_column(String(64), index=True)
    detail_type: Mapped[str] = mapped_column(String(128), index=True)
    time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    envelope: Mapped[dict] = mapped_column(JSONDoc)
