"""Passwords for signing in to the portal: scrypt hashes (memory-hard, in the standard library)."""

import base64
import hashlib
import hmac
import secrets

from sqlalchemy.orm import Session

from openzone.errors import ValidationError
from openzone.identity.models import User

# scrypt cost: 2**14 x 8 blocks is ~16 MiB and ~50 ms per check, the figure OWASP suggests for logins.
_N, _R, _P = 2**14, 8, 1
MIN_LENGTH = 8


def hash_password(password: str) -> str:
    """A self-describing scrypt hash: `scrypt$n$r$p$salt$hash`."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, maxmem=64 * 1024 * 1024)
    encode = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"scrypt${_N}${_R}${_P}${encode(salt)}${encode(digest)}"


def check_password(password: str, stored: str | None) -> bool:
    """True when `password` matches the stored hash; constant time in the comparison."""
    if not stored:
        hash_password(password)  # spend the same time as a real check: no user enumeration by timing
        return False
    scheme, n, r, p, salt, digest = stored.split("$")
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                               maxmem=64 * 1024 * 1024)
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def set_password(session: Session, user: User, password: str) -> None:
    """Give `user` a new portal password (at least MIN_LENGTH characters)."""
    if len(password) < MIN_LENGTH:
        raise ValidationError(f"A password needs at least {MIN_LENGTH} characters.")
    if len(password) > 1024:
        raise ValidationError("A password may have at most 1024 characters.")
    user.password_hash = hash_password(password)
    session.flush()
