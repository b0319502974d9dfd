"""`openzone` commands: serve, worker, users, access-keys, demo, events, db, search, secrets, sources,
environments, grants."""

import json
import sys
import time
from pathlib import Path

import typer

from openzone.config import Settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="openzone: an open-source Amazon DataZone.")
users_app = typer.Typer(no_args_is_help=True, help="Manage users.")
keys_app = typer.Typer(no_args_is_help=True, help="Manage access keys (SigV4 credentials).")
events_app = typer.Typer(no_args_is_help=True, help="The event outbox and the event bus: rules, targets, dead letters.")
db_app = typer.Typer(no_args_is_help=True, help="Metadata database.")
search_app = typer.Typer(no_args_is_help=True, help="The catalog search index (in the metadata database).")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="access-keys")
app.add_typer(events_app, name="events")
app.add_typer(db_app, name="db")
app.add_typer(search_app, name="search")


def settings_for(data_dir: Path | None = None) -> Settings:
    """Settings from the environment, with --data-dir taking precedence; migrated and ready."""
    from openzone.db.migrate import upgrade
    from openzone.events import outbox

    settings = Settings(data_dir=data_dir) if data_dir else Settings()
    settings.ensure_dirs()
    upgrade(settings.metadata_url)
    outbox.configure(settings.account_id, settings.region)
    return settings


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the metadata database to the newest revision."""
    settings_for()
    typer.echo("database is up to date")


@keys_app.command("create")
def access_keys_create(name: str) -> None:
    """Create an access key for a user; prints the same JSON as `aws iam create-access-key`."""
    from openzone.db.session import session_scope
    from openzone.errors import OpenzoneError
    from openzone.identity import service
    from openzone.wire.timestamps import to_iso

    settings = settings_for()
    try:
        with session_scope(settings.metadata_url) as session:
            key = service.create_access_key(session, name)
            out = {"AccessKey": {"UserName": name, "AccessKeyId": key.id, "Status": key.status,
                                 "SecretAccessKey": key.secret, "CreateDate": to_iso(key.created_at)}}
    except OpenzoneError as error:
        _fail(error.message)
    typer.echo(json.dumps(out, indent=4))


@events_app.command("tail")
def events_tail(follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new events."),
                last: int = typer.Option(20, help="How many recent events to start with.")) -> None:
    """Print DataZone events from the outbox, one JSON envelope per line."""
    from sqlalchemy import func, select

    from openzone.db.session import session_scope
    from openzone.events.models import OutboxEvent
    from openzone.events.outbox import since

    settings = settings_for()
    with session_scope(settings.metadata_url) as session:
        newest = session.scalar(select(func.max(OutboxEvent.seq))) or 0
    cursor = max(0, newest - last)
    while True:
        with session_scope(settings.metadata_url) as session:
            for event in since(session, cursor):
                cursor = event.seq
                sys.stdout.write(json.dumps(event.envelope) + "\n")
        sys.stdout.flush()
        if not follow:
            return
        time.sleep(0.5)


@search_app.command("reindex")
def search_reindex(kind: list[str] = typer.Option(None, "--kind", help="Only these kinds (LISTING, ASSET, DATA_PRODUCT, GLOSSARY, GLOSSARY_TERM).")) -> None:
    """Rebuild the search documents of listings, assets, glossaries and terms, and the full-text index (one transaction)."""
    from openzone.db.session import session_scope
    from openzone.search import index
    from openzone.search.kinds import KINDS

    unknown = sorted(set(kind or ()) - set(KINDS))
    if unknown:
        typer.echo(f"error: unknown kind {', '.join(unknown)}; use {', '.join(KINDS)}", err=True)
        raise typer.Exit(2)
    settings = settings_for()
    counts: dict[str, int] = {}
    with session_scope(settings.metadata_url) as session:
        index.reindex(session.connection(), kind or None, counts)
    labels = {"LISTING": "listings", "ASSET": "assets", "GLOSSARY": "glossaries", "GLOSSARY_TERM": "glossary terms"}
    typer.echo("reindexed " + ", ".join(f"{n} {labels.get(k, k)}" for k, n in counts.items()))


@search_app.command("verify")
def search_verify() -> None:
    """Recompute every search document and compare it with the stored index; exit 1 on any difference."""
    from openzone.db.session import session_scope
    from openzone.search import index

    settings = settings_for()
    with session_scope(settings.metadata_url) as session:
        problems = index.verify(session.connection())
        session.rollback()  # verify only reads
    for problem in problems:
        typer.echo(problem)
    if problems:
        typer.echo(f"error: the search index differs from the database in {len(problems)} places; "
                   "`openzone search reindex` rebuilds it", err=True)
        raise typer.Exit(1)
    typer.echo("the search index equals the database")


# Import the remaining command modules so they attach to `app`.
from openzone.cli import audit as _audit  # noqa: E402,F401
from openzone.cli import demo as _demo  # noqa: E402,F401
from openzone.cli import environments as _environments  # noqa: E402,F401
from openzone.cli import events as _events  # noqa: E402,F401
from openzone.cli import grants as _grants  # noqa: E402,F401
from openzone.cli import serve as _serve  # noqa: E402,F401
from openzone.cli import sources as _sources  # noqa: E402,F401
from openzone.cli import users as _users  # noqa: E402,F401
