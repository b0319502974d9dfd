"""Access-key lookup for SigV4: active keys only, and the short cache of verified keys."""

import time
import uuid

from sqlalchemy import update

from openzone.db.session import session_scope
from openzone.identity import service as identity
from openzone.identity.models import AccessKey, User


def new_key(url: str, admin: bool = False) -> tuple[str, str]:
    with session_scope(url) as session:
        user = identity.create_user(session, f"cred-{uuid.uuid4().hex[:8]}", admin)
        return identity.create_access_key(session, user.name).id, user.id


def set_key_status(url: str, key_id: str, status: str) -> None:
    with session_scope(url) as session:
        session.execute(update(AccessKey).where(AccessKey.id == key_id).values(status=status))


def lookup(url: str, key_id: str, cache_seconds: float):
    with session_scope(url) as session:
        credential = identity.lookup_credential(session, key_id, cache_seconds)
        # The principal belongs to this session and reads like the user (what handlers use).
        return None if credential is None else (credential.principal.id, credential.principal.is_admin,
                                                credential.principal in session)


def test_without_cache_a_deactivated_key_is_refused_at_once(isolated_database_url):
    key_id, user_id = new_key(isolated_database_url)
    assert lookup(isolated_database_url, key_id, 0) == (user_id, False, True)
    set_key_status(isolated_database_url, key_id, "Inactive")
    assert lookup(isolated_database_url, key_id, 0) is None
    assert lookup(isolated_database_url, "AKIANOSUCHKEY0000000", 0) is None


def test_a_cached_key_serves_without_the_database_until_it_expires(isolated_database_url):
    key_id, user_id = new_key(isolated_database_url, admin=True)
    assert lookup(isolated_database_url, key_id, 0.5) == (user_id, True, True)
    set_key_status(isolated_database_url, key_id, "Inactive")
    with session_scope(isolated_database_url) as session:  # the user changes too: the cache keeps the old view
        session.execute(update(User).where(User.id == user_id).values(is_admin=False))
    assert lookup(isolated_database_url, key_id, 0.5) == (user_id, True, True)
    time.sleep(0.6)
    assert lookup(isolated_database_url, key_id, 0.5) is None
    set_key_status(isolated_database_url, key_id, "Active")
    assert lookup(isolated_database_url, key_id, 0.5) == (user_id, False, True)
