"""Portal sign-in sessions: a random token in an HttpOnly cookie, its hash in the database."""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openzone.db.types import utcnow
from openzone.errors import AccessDeniedError
from openzone.identity.models import PortalSession, User
from openzone.identity.passwords import check_password

LIFETIME = timedelta(hours=12)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(session: Session, name: str, password: str) -> tuple[str, PortalSession]:
    """Check a user's name and password; returns the new session's cookie token and the session."""
    user = session.scalar(select(User).where(User.name == name))
    if not check_password(password, user.password_hash if user else None) or user is None:
        # One message for both: the portal does not tell strangers which user names exist.
        raise AccessDeniedError("The user name or the password is wrong.")
    session.execute(delete(PortalSession).where(PortalSession.expires_at < utcnow()))
    token = secrets.token_urlsafe(32)
    row = PortalSession(token_hash=_digest(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                        created_at=utcnow(), expires_at=utcnow() + LIFETIME)
    session.add(row)
    session.flush()
    return token, row


def resolve(session: Session, token: str | None) -> tuple[User, PortalSession] | None:
    """The signed-in user and session behind a cookie token, or None when absent or expired."""
    if not token:
        return None
    row = session.get(PortalSession, _digest(token))
    if row is None or row.expires_at < utcnow():
        return None
    user = session.get(User, row.user_id)
    return (user, row) if user is not None else None


def sign_out(session: Session, token: str | None) -> None:
    """End the session behind a cookie token (nothing happens when there is none)."""
    if token:
        session.execute(delete(PortalSession).where(PortalSession.token_hash == _digest(token)))
