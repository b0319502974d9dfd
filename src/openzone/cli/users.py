"""`openzone users create|set-password`: accounts for the API (access keys) and the portal (passwords)."""

from __future__ import annotations

import json
import sys

import typer

from openzone.cli.main import _fail, settings_for, users_app


def _read_password() -> str:
    """The password on standard input: its first line, without the line break (so `echo pw |` works)."""
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        _fail("no password on standard input (pipe it in, e.g. `printf %s \"$PW\" | openzone users ...`)")
    return password


@users_app.command("create")
def users_create(name: str,
                 admin: bool = typer.Option(False, "--admin", help="Make the user an administrator."),
                 password_stdin: bool = typer.Option(False, "--password-stdin",
                                                     help="Read a portal password from standard input.")) -> None:
    """Create a user (with a portal password when --password-stdin is given)."""
    from openzone.db.session import session_scope
    from openzone.errors import OpenzoneError
    from openzone.identity import passwords, service

    password = _read_password() if password_stdin else None
    settings = settings_for()
    try:
        with session_scope(settings.metadata_url) as session:
            user = service.create_user(session, name, admin)
            if password is not None:
                passwords.set_password(session, user, password)
            typer.echo(json.dumps({"User": {"UserName": user.name, "UserId": user.id, "Admin": user.is_admin,
                                            "Arn": service.user_arn(user, settings.account_id)}}, indent=4))
    except OpenzoneError as error:
        _fail(error.message)


@users_app.command("set-password")
def users_set_password(name: str) -> None:
    """Set a user's portal password, read from standard input."""
    from openzone.db.session import session_scope
    from openzone.errors import OpenzoneError
    from openzone.identity import passwords, service

    password = _read_password()
    settings = settings_for()
    try:
        with session_scope(settings.metadata_url) as session:
            passwords.set_password(session, service.get_user_by_name(session, name), password)
    except OpenzoneError as error:
        _fail(error.message)
    typer.echo(f"password set for {name}")
