"""`openzone environments credentials`: PostgreSQL login details of a data warehouse environment."""

from __future__ import annotations

import json

import typer

from openzone.cli.main import _fail, app, settings_for

environments_app = typer.Typer(no_args_is_help=True, help="Environments: login details of warehouse environments.")
app.add_typer(environments_app, name="environments")


@environments_app.command("credentials")
def environments_credentials(domain: str, environment: str,
                             user: str = typer.Option(..., "--user", help="The project member asking (a user name).")
                             ) -> None:
    """Print host, port, database, user, password and schema of the environment's PostgreSQL role as JSON
    (for psql and BI tools); only for members of the environment's project."""
    from openzone.db.session import session_scope
    from openzone.errors import OpenzoneError
    from openzone.identity import service as identity
    from openzone.projects import environments

    settings = settings_for()
    try:
        with session_scope(settings.metadata_url) as session:
            actor = identity.get_user_by_name(session, user)
            details = environments.warehouse_login(session, settings, actor, domain, environment).as_dict()
    except OpenzoneError as error:
        _fail(error.message)
    typer.echo(json.dumps(details))
