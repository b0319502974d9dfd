"""Query executions of the Athena-compatible query service."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openzone.db.base import Base, Timestamps
from openzone.db.types import JSONDoc, UTCDateTime


class QueryExecution(Timestamps, Base):
    __tablename__ = "query_executions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    query: Mapped[str] = mapped_column(Text)
    database: Mapped[str] = mapped_column(String(128))
    # QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED
    state: Mapped[str] = mapped_column(String(16), default="QUEUED")
    state_reason: Mapped[str | None] = mapped_column(Text)
    error_type: Mapped[str | None] = mapped_column(String(32))
    statement_type: Mapped[str] = mapped_column(String(16), default="DML")
    columns: Mapped[list | None] = mapped_column(JSONDoc)
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    update_count: Mapped[int | None] = mapped_column(BigInteger)
    client_token: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    engine_ms: Mapped[int | None] = mapped_column(BigInteger)
