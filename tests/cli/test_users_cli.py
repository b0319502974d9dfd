"""`openzone users create --password-stdin` and `openzone users set-password`, as subprocesses on a real store."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from openzone.db.session import session_scope
from openzone.identity import service as identity
from openzone.identity.passwords import check_password

OPENZONE = str(Path(sys.executable).parent / "openzone")


def run(args: list[str], env: dict, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([OPENZONE, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)


@pytest.fixture
def cli_env(database_url, tmp_path) -> dict:
    return {**os.environ, "OPENZONE_DATA_DIR": str(tmp_path / "data"), "OPENZONE_DATABASE_URL": database_url}


def _stored_hash(database_url: str, name: str) -> str | None:
    with session_scope(database_url) as session:
        return identity.get_user_by_name(session, name).password_hash


def test_passwords_come_from_standard_input(cli_env, database_url):
    name = f"pw-{uuid.uuid4().hex[:8]}"
    created = run(["users", "create", name, "--password-stdin"], cli_env, "first password\n")
    assert created.returncode == 0, created.stderr
    stored = _stored_hash(database_url, name)
    assert stored.startswith("scrypt$") and "first password" not in stored
    assert check_password("first password", stored) and not check_password("first password\n", stored)

    changed = run(["users", "set-password", name], cli_env, "second password")
    assert changed.returncode == 0 and f"password set for {name}" in changed.stdout
    assert check_password("second password", _stored_hash(database_url, name))


def test_bad_passwords_are_refused_and_change_nothing(cli_env, database_url):
    name = f"pw-{uuid.uuid4().hex[:8]}"
    assert run(["users", "create", name, "--password-stdin"], cli_env, "").returncode == 1
    with session_scope(database_url) as session:
        assert session.query(identity.User).filter_by(name=name).count() == 0  # nothing half-made
    short = run(["users", "create", name, "--password-stdin"], cli_env, "short\n")
    assert short.returncode == 1 and "at least 8 characters" in short.stderr
    assert run(["users", "create", name], cli_env).returncode == 0
    missing = run(["users", "set-password", "nobody-" + name], cli_env, "long enough\n")
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    assert _stored_hash(database_url, name) is None
