"""Creating users and access keys, and resolving the identifiers callers use for them."""

import re
import time

from sqlalchemy import select
from sqlalchemy.orm import Session, make_transient_to_detached

from openzone.errors import AccessDeniedError, ConflictError, NotFoundError, ValidationError
from openzone.identity.models import AccessKey, User
from openzone.wire.ids import new_access_key_id, new_secret_key, new_user_id
from openzone.wire.sigv4 import Credential

_NAME_RE = re.compile(r"[a-zA-Z_0-9+=,.@-]{1,64}")
_ARN_RE = re.compile(r"arn:aws:iam::(\d{12}):user/(?:[\w+=,.@/-]*/)?([a-zA-Z_0-9+=,.@-]+)")


def create_user(session: Session, name: str, admin: bool = False) -> User:
    """Create a user (names follow IAM's user-name rules)."""
    if not _NAME_RE.fullmatch(name):
        raise ValidationError(f"User name {name!r} must be 1-64 characters of letters, digits and +=,.@_-")
    if session.scalar(select(User).where(User.name == name)):
        raise ConflictError(f"User {name} already exists.")
    user = User(id=new_user_id(), name=name, is_admin=admin)
    session.add(user)
    session.flush()
    return user


def get_user_by_name(session: Session, name: str) -> User:
    """The user called `name`, or ResourceNotFound."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFoundError(f"User {name} does not exist.")
    return user


def resolve_user(session: Session, identifier: str, account_id: str) -> User:
    """A user named by profile id, user name or `arn:aws:iam::<account>:user/<name>`."""
    found = _ARN_RE.fullmatch(identifier)
    if found:
        if found[1] != account_id:
            raise NotFoundError(f"User {identifier} is not in account {account_id}.")
        return get_user_by_name(session, found[2])
    user = session.get(User, identifier) or session.scalar(select(User).where(User.name == identifier))
    if user is None:
        raise NotFoundError(f"User {identifier} does not exist.")
    return user


def user_arn(user: User, account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:user/{user.name}"


def create_access_key(session: Session, user_name: str) -> AccessKey:
    """A new active access key for the user; its secret is shown once by the caller."""
    user = get_user_by_name(session, user_name)
    key = AccessKey(id=new_access_key_id(), user_id=user.id, secret=new_secret_key())
    session.add(key)
    session.flush()
    return key


# access key id -> (valid until, secret, the user as loaded then): SigV4 checks one key per request, and most
# requests come from few keys. An entry lives `cache_seconds`, so a deactivated key or a changed user is
# seen within that time.
_credentials: dict[str, tuple[float, str, User]] = {}
_MAX_CACHED = 10_000


def lookup_credential(session: Session, access_key_id: str, cache_seconds: float = 0.0) -> Credential | None:
    """The credential behind an active access key, for SigV4 verification (cached up to `cache_seconds`)."""
    now = time.monotonic()
    cached = _credentials.get(access_key_id)
    if cached is not None and cached[0] > now:
        _, secret, user = cached
        # A copy of the cached user in this session, without a query (it was loaded clean).
        return Credential(access_key_id=access_key_id, secret_key=secret, principal=session.merge(user, load=False))
    key = session.get(AccessKey, access_key_id)
    if key is None or key.status != "Active":
        _credentials.pop(access_key_id, None)
        return None
    user = session.get(User, key.user_id)
    if cache_seconds > 0:
        if len(_credentials) >= _MAX_CACHED:
            _credentials.clear()
        detached = User(id=user.id, name=user.name, is_admin=user.is_admin, created_at=user.created_at)
        make_transient_to_detached(detached)  # a loaded-looking copy that belongs to no session
        _credentials[access_key_id] = (now + cache_seconds, key.secret, detached)
    return Credential(access_key_id=key.id, secret_key=key.secret, principal=user)


def list_users(session: Session, actor: User) -> list[User]:
    """Every user, by name (administrators only)."""
    if not actor.is_admin:
        raise AccessDeniedError("Only administrators can list and manage users.")
    return list(session.scalars(select(User).order_by(User.name)))
