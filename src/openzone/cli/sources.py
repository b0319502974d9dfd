"""`openzone secrets create` and `openzone sources list|run`: operators' commands on the local store."""

from __future__ import annotations

import sys
import threading
import time

import typer

from openzone.cli.main import _fail, app, settings_for

secrets_app = typer.Typer(no_args_is_help=True, help="Secrets (passwords of data source connections).")
sources_app = typer.Typer(no_args_is_help=True, help="Data sources: list them, run them.")
app.add_typer(secrets_app, name="secrets")
app.add_typer(sources_app, name="sources")

_FINISHED = ("SUCCESS", "PARTIALLY_SUCCEEDED", "FAILED")


@secrets_app.command("create")
def secrets_create(name: str,
                   username: str = typer.Option(..., "--username", help="The user the source system knows."),
                   password_stdin: bool = typer.Option(False, "--password-stdin",
                                                       help="Read the password from standard input.")) -> None:
    """Store a username and password encrypted; prints the secret's ARN (use it as secretArn)."""
    from openzone.db.session import session_scope
    from openzone.errors import OpenzoneError
    from openzone.sources import secrets

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True)
    else:
        _fail("give the password on standard input with --password-stdin (never on the command line)")
    settings = settings_for()
    try:
        with session_scope(settings.metadata_url) as session:
            arn = secrets.create_secret(session, settings, name, username, password).arn
    except OpenzoneError as error:
        _fail(error.message)
    typer.echo(arn)


def _find(session, name: str, domain: str | None, project: str | None):
    from sqlalchemy import select

    from openzone.sources.models import DataSource

    query = select(DataSource).where((DataSource.name == name) | (DataSource.id == name))
    if domain:
        query = query.where(DataSource.domain_id == domain)
    if project:
        query = query.where(DataSource.project_id == project)
    found = list(session.scalars(query))
    if not found:
        _fail(f"no data source named {name}")
    if len(found) > 1:
        _fail(f"{len(found)} data sources are named {name}; say which with --domain and --project "
              f"(or give its id)")
    return found[0]


@sources_app.command("list")
def sources_list() -> None:
    """Every data source: id, domain, project, type, name, last run."""
    from sqlalchemy import select

    from openzone.db.session import session_scope
    from openzone.sources.models import DataSource

    settings = settings_for()
    with session_scope(settings.metadata_url) as session:
        for row in session.scalars(select(DataSource).order_by(DataSource.domain_id, DataSource.name)):
            typer.echo(f"{row.id}\t{row.domain_id}\t{row.project_id}\t{row.type}\t{row.name}\t"
                       f"{row.last_run_status or '-'}")


def _drive_jobs(settings, run_id: str, stop: threading.Event) -> None:
    """Run queued jobs in this process until the run finishes (a server's worker may take them first)."""
    from openzone.jobs.runner import run_one

    while not stop.is_set():
        if not run_one(settings, "cli"):
            stop.wait(0.2)


@sources_app.command("run")
def sources_run(name: str = typer.Argument(..., help="The data source's name (or id)."),
                domain: str = typer.Option(None, "--domain", help="Its domain id, when names repeat."),
                project: str = typer.Option(None, "--project", help="Its project id, when names repeat."),
                wait: bool = typer.Option(False, "--wait",
                                          help="Show progress and a summary until the run ends.")) -> None:
    """Start a run of a data source (as its creator); with --wait, show tables done / total and a summary."""
    from openzone.app import register_operations
    from openzone.db.session import session_scope
    from openzone.errors import OpenzoneError
    from openzone.identity.models import User
    from openzone.sources import runs

    settings = settings_for()
    register_operations()
    try:
        with session_scope(settings.metadata_url) as session:
            source = _find(session, name, domain, project)
            run_id = runs.start_run(session, session.get(User, source.created_by), source).id
    except OpenzoneError as error:
        _fail(error.message)
    typer.echo(f"run {run_id} of data source {name} requested")
    if not wait:
        return
    stop = threading.Event()
    driver = threading.Thread(target=_drive_jobs, args=(settings, run_id, stop), daemon=True)
    driver.start()
    try:
        run = _progress(settings, run_id)
    finally:
        stop.set()
        driver.join(timeout=30)
    _summary(settings, run)
    if run.status == "FAILED":
        raise typer.Exit(1)


def _progress(settings, run_id: str):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from openzone.db.session import session_scope
    from openzone.sources.models import DataSourceRun

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=False) as progress:
        bar = progress.add_task("importing tables", total=None)
        while True:
            with session_scope(settings.metadata_url) as session:
                run = session.get(DataSourceRun, run_id)
            progress.update(bar, completed=run.tables_done, total=run.tables_total,
                            description=f"{run.status.lower()}: tables")
            if run.status in _FINISHED:
                return run
            time.sleep(0.2)


def _summary(settings, run) -> None:
    from rich.console import Console
    from rich.table import Table
    from sqlalchemy import select

    from openzone.db.session import session_scope
    from openzone.sources.models import DataSourceRunActivity

    console = Console()
    stats = run.statistics or {}
    table = Table(title=f"run {run.id}: {run.status}")
    for column in ("added", "updated", "unchanged", "skipped", "failed"):
        table.add_column(column, justify="right")
    table.add_row(*(str(stats.get(c, 0)) for c in ("added", "updated", "unchanged", "skipped", "failed")))
    console.print(table)
    if run.error:
        console.print(f"[red]{run.error['errorType']}[/red]: {run.error.get('errorDetail', '')}")
    with session_scope(settings.metadata_url) as session:
        failures = session.scalars(select(DataSourceRunActivity).where(
            DataSourceRunActivity.run_id == run.id,
            DataSourceRunActivity.status.in_(("FAILED", "PUBLISHING_FAILED"))).limit(10)).all()
    for activity in failures:
        console.print(f"[yellow]{activity.database}.{activity.technical_name}[/yellow] {activity.status}: "
                      f"{(activity.error or {}).get('errorDetail', '')}")
