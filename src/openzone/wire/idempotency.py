"""clientToken semantics: the same token and input replays the first result; other input conflicts."""

import hashlib
import json
from datetime import datetime

from sqlalchemy import String, UniqueConstraint, bindparam, insert, select
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


# Built once with bound parameters (every StartQueryExecution carries a token, so these are on the query path).
_RECORDS = IdempotencyRecord.__table__
_REPLAY = select(_RECORDS.c.request_hash, _RECORDS.c.response).where(
    _RECORDS.c.principal_id == bindparam("principal"), _RECORDS.c.operation == bindparam("operation"),
    _RECORDS.c.token == bindparam("token"))
_REMEMBER = insert(_RECORDS)


def request_hash(params: dict, token_member: str) -> str:
    material = {k: v for k, v in params.items() if k != token_member}
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


def replay(session: Session, principal_id: str, operation: str, token: str, digest: str) -> dict | None:
    """The stored response for this token, None if new; ConflictError if the input differs."""
    # Core statements on the session's connection (same transaction).
    record = session.execute(_REPLAY, {"principal": principal_id, "operation": operation, "token": token}).first()
    if record is None:
        return None
    if record.request_hash != digest:
        raise ConflictError(
            f"The clientToken {token} was already used with a different request for {operation}.")
    return record.response


def remember(session: Session, principal_id: str, operation: str, token: str, digest: str, response: dict) -> None:
    """Store the response given for this token."""
    session.execute(_REMEMBER, {"principal_id": principal_id, "operation": operation, "token": token,
                                "request_hash": digest, "response": response, "created_at": utcnow()})
