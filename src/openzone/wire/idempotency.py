"""clientToken semantics: the same token and input replays the first result; other input conflicts."""

import hashlib
import json
from datetime import datetime

from sqlalchemy import String, UniqueConstraint, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from openzone.db.base import Base
from openzone.db.types import JSONDoc, UTCDateTime, utcnow
from openzone.errors import ConflictError


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("principal_id", "operation", "token"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    principal_id: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(128))
    token: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def request_hash(params: dict, token_member: str) -> str:
    material = {k: v for k, v in params.items() if k != token_member}
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


def replay(session: Session, principal_id: str, operation: str, token: str, digest: str) -> dict | None:
    """The stored response for this token, None if new; ConflictError if the input differs."""
    # Core statements on the session's connection (same transaction): every StartQueryExecution
    # carries a token, so this is on the query path.
    table = IdempotencyRecord.__table__
    record = session.execute(select(table.c.request_hash, table.c.response).where(
        table.c.principal_id == principal_id, table.c.operation == operation, table.c.token == token)).first()
    if record is None:
        return None
    if record.request_hash != digest:
        raise ConflictError(
            f"The clientToken {token} was already used with a different request for {operation}.")
    return record.response


def remember(session: Session, principal_id: str, operation: str, token: str, digest: str, response: dict) -> None:
    """Store the response given for this token."""
    session.execute(insert(IdempotencyRecord.__table__).values(
        principal_id=principal_id, operation=operation, token=token, request_hash=digest, response=response,
        created_at=utcnow()))
