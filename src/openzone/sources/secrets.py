"""Secrets: a username and password encrypted with the server's Fernet key, named like Secrets Manager does.

The key comes from `OPENZONE_SECRETS_KEY` when set (several servers sharing one database need the same key),
else from `<data dir>/secrets.key`, generated once with mode 600. A secret's ARN is
`arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random characters>`, the form DataZone's
`secretArn` members take. Nothing here logs or returns a password; `resolve` is for connectors only.
"""

from __future__ import annotations

import json
import os
import re
import secrets as random
import string
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openzone.config import Settings
from openzone.errors import ConflictError, InternalError, NotFoundError, ValidationError
from openzone.sources.models import Secret

NAME_RE = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,256}$")
ARN_RE = re.compile(r"^arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$")


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)


def _key(settings: Settings) -> bytes:
    configured = os.environ.get("OPENZONE_SECRETS_KEY")
    if configured:
        return configured.encode()
    path = Path(settings.data_path) / "secrets.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting at once cannot both write a key; the loser reads the winner's.
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "wb") as file:
                file.write(Fernet.generate_key())
    return path.read_bytes().strip()


def _fernet(settings: Settings) -> Fernet:
    return Fernet(_key(settings))


def create_secret(session: Session, settings: Settings, name: str, username: str, password: str,
                  project_id: str | None = None) -> Secret:
    """Store a username and password under a new secret ARN."""
    if not NAME_RE.fullmatch(name or ""):
        raise ValidationError("Secret name must be 1-256 characters of letters, digits and /_+=.@-")
    if not username:
        raise ValidationError("A secret needs a username.")
    if password is None:  # empty is allowed: some servers let a user in without one
        raise ValidationError("A secret needs a password.")
    if session.scalar(select(Secret.arn).where(Secret.name == name)):
        raise ConflictError(f"A secret named {name} already exists.")
    suffix = "".join(random.choice(string.ascii_letters + string.digits) for _ in range(6))
    arn = f"arn:aws:secretsmanager:{settings.region}:{settings.account_id}:secret:{name}-{suffix}"
    token = _fernet(settings).encrypt(json.dumps({"username": username, "password": password}).encode())
    row = Secret(arn=arn, name=name, project_id=project_id, ciphertext=token)
    try:
        session.add(row)
        session.flush()
    except IntegrityError:
        raise ConflictError(f"A secret named {name} already exists.") from None
    return row


def usable_secret(session: Session, arn: str, project_id: str, member: str) -> Secret:
    """The secret a connection of `project_id` names: an operator's secret, or one of that project's own."""
    if not ARN_RE.fullmatch(arn or ""):
        raise ValidationError(f"{member} must be a secret ARN "
                              f"(arn:aws:secretsmanager:<region>:<account>:secret:<name>).")
    row = session.get(Secret, arn)
    if row is None or (row.project_id is not None and row.project_id != project_id):
        raise ValidationError(f"{member}: secret {arn} not found.")
    return row


def resolve(session: Session, settings: Settings, arn: str) -> Credentials:
    """The username and password of a secret (for building a ConnectionSpec; never for a response)."""
    row = session.get(Secret, arn)
    if row is None:
        raise NotFoundError(f"Secret {arn} not found.")
    try:
        data = json.loads(_fernet(settings).decrypt(row.ciphertext))
    except InvalidToken:
        raise InternalError(f"Secret {arn} cannot be decrypted with this server's key "
                            f"(OPENZONE_SECRETS_KEY or secrets.key in the data directory).") from None
    return Credentials(data["username"], data["password"])


def username_of(session: Session, settings: Settings, arn: str) -> str | None:
    """A secret's username (shown where DataZone shows one), or None if it is gone."""
    try:
        return resolve(session, settings, arn).username
    except (NotFoundError, InternalError):
        return None
