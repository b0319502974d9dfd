"""Identifier formats DataZone uses: `dzd_` + 14 chars for domains, 14 [a-z0-9] elsewhere."""

import secrets
import string
import uuid

_ALPHABET = string.ascii_lowercase + string.digits


def new_id() -> str:
    """A DataZone entity id: 14 characters of [a-z0-9]."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(14))


def new_domain_id() -> str:
    return "dzd_" + new_id()


def new_user_id() -> str:
    """User profile ids are UUIDs in DataZone."""
    return str(uuid.uuid4())


def new_access_key_id() -> str:
    return "AKIA" + "".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(16))


def new_secret_key() -> str:
    return secrets.token_urlsafe(30)[:40]
