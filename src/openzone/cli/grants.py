"""`openzone grants verify [--repair]` and `openzone grants findings`: the reconciler from the command line."""

from __future__ import annotations

import json

import typer

from openzone.cli.main import app, settings_for

grants_app = typer.Typer(no_args_is_help=True, help="Subscription grants: check them against the engines.")
app.add_typer(grants_app, name="grants")


def _line(row) -> str:
    return (f"{row.outcome}\t{row.engine}\t{row.kind}\tdomain={row.domain_id} grant={row.grant_id or '-'} "
            f"asset={row.asset_id or '-'}\t{row.resource}: {row.detail}")


@grants_app.command("verify")
def grants_verify(repair: bool = typer.Option(False, "--repair", help="Make the engines agree with the grants."),
                  domain: str = typer.Option(None, "--domain", help="Only this domain's grants."),
                  as_json: bool = typer.Option(False, "--json", help="One JSON object per finding.")) -> None:
    """Compare what the catalog says is granted with what each engine allows, in both directions.

    Exit status: 0 when they agree (or, with --repair, everything found was repaired or marked failed),
    1 when drift was found and left as it is, 2 when an engine could not be checked."""
    from openzone.app import register_operations
    from openzone.db.session import session_scope
    from openzone.errors import OpenzoneError
    from openzone.fulfillment.reconcile import service

    settings = settings_for()
    register_operations()
    try:
        with session_scope(settings.metadata_url) as session:
            run_id, findings, errors = service.verify(session, settings, domain, repair)
            rows = service.list_findings(session, run_id=run_id, limit=len(findings) + 1)
            out = [json.dumps(_as_dict(row)) if as_json else _line(row) for row in reversed(rows)]
    except OpenzoneError as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(2) from None
    for line in out:
        typer.echo(line)
    for engine, error in errors.items():
        typer.echo(f"error: the {engine} check did not run: {error}", err=True)
    drift = sum(1 for finding in findings if finding.drift)
    typer.echo(f"pass {run_id}: {len(findings)} findings, {drift} left as found", err=True)
    if errors:
        raise typer.Exit(2)
    if drift:
        raise typer.Exit(1)


@grants_app.command("findings")
def grants_findings(domain: str = typer.Option(None, "--domain", help="Only this domain."),
                    grant: str = typer.Option(None, "--grant", help="Only this subscription grant."),
                    run: str = typer.Option(None, "--run", help="Only this reconciler pass."),
                    limit: int = typer.Option(100, "--limit", help="At most this many, newest first."),
                    as_json: bool = typer.Option(False, "--json", help="One JSON object per finding.")) -> None:
    """What earlier reconciler passes found and did, newest first."""
    from openzone.db.session import session_scope
    from openzone.fulfillment.reconcile import service

    settings = settings_for()
    with session_scope(settings.metadata_url) as session:
        out = [json.dumps(_as_dict(row)) if as_json else f"{row.created_at:%Y-%m-%dT%H:%M:%SZ}\t{_line(row)}"
               for row in service.list_findings(session, domain, grant, run, limit)]
    for line in out:
        typer.echo(line)


def _as_dict(row) -> dict:
    return {"id": row.id, "runId": row.run_id, "time": row.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "domainId": row.domain_id, "grantId": row.grant_id, "assetId": row.asset_id,
            "environmentId": row.environment_id, "engine": row.engine, "kind": row.kind,
            "resource": row.resource, "detail": row.detail, "outcome": row.outcome}
