"""`openzone audit ...`: who requested, approved, rejected, revoked what, when and why."""

import json
from datetime import datetime, timezone

import typer

from openzone.cli.main import _fail, app, settings_for

audit_app = typer.Typer(no_args_is_help=True, help="The audit trail of subscriptions and grants.")
app.add_typer(audit_app, name="audit")


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        _fail(f"{value!r} is not an ISO date or time (e.g. 2026-11-28 or 2026-11-28T04:00:00Z)")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@audit_app.command("list")
def audit_list(asset: str = typer.Option(None, help="An asset id (its listings' requests included)."),
               listing: str = typer.Option(None, help="A listing id."),
               project: str = typer.Option(None, help="A project id, as subscriber or publisher."),
               user: str = typer.Option(None, help="Who acted: a user id or name."),
               domain: str = typer.Option(None, help="A domain id."),
               since: str = typer.Option(None, help="From this time (ISO)."),
               until: str = typer.Option(None, help="Before this time (ISO)."),
               limit: int = typer.Option(100)) -> None:
    """Audit entries, newest first, one JSON object per line."""
    from sqlalchemy import or_, select

    from openzone.db.session import session_scope
    from openzone.events import audit
    from openzone.identity.models import User

    settings = settings_for()
    with session_scope(settings.metadata_url) as session:
        user_id = user and (session.scalar(select(User.id).where(or_(User.id == user, User.name == user))) or user)
        rows = audit.entries(session, asset_id=asset, listing_id=listing, project_id=project, user_id=user_id,
                             domain_id=domain, since=_when(since), until=_when(until), limit=limit)
        names = dict(session.execute(select(User.id, User.name).where(User.id.in_({r.actor_id for r in rows}))).all())
        for row in rows:
            typer.echo(json.dumps({**audit.as_dict(row), "actorName": names.get(row.actor_id)}))


@audit_app.command("reindex")
def audit_reindex() -> None:
    """Rebuild the audit trail from the whole event outbox."""
    from openzone.db.session import session_scope
    from openzone.events import audit

    settings = settings_for()
    with session_scope(settings.metadata_url) as session:
        count = audit.reindex(session)
    typer.echo(f"the audit trail holds {count} entries")
