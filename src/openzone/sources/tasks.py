"""The worker job that executes a data source run: reach the source, import its tables, record the outcome."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from openzone.config import Settings
from openzone.db.types import utcnow
from openzone.identity.models import User
from openzone.jobs.queue import task
from openzone.projects.models import Environment
from openzone.sources import connectors, mapping, runs, secrets
from openzone.sources.connections import LOCAL_BUCKET
from openzone.sources.connectors.base import (
    FILES,
    GLUE,
    ICEBERG,
    ConnectionSpec,
    FilterExpression,
    RelationalFilter,
    SourceUnreachable,
)
from openzone.sources.importer import Importer
from openzone.sources.models import Connection, DataSource, DataSourceRun

log = logging.getLogger("openzone.sources")


def relational_filters(data_source: DataSource) -> list[RelationalFilter]:
    """The data source's relationalFilterConfigurations as the connectors take them."""
    run_configuration = next(iter(data_source.configuration.values()), {})
    return [RelationalFilter(item["databaseName"], item.get("schemaName"),
                             tuple(FilterExpression(e["type"], e["expression"])
                                   for e in item.get("filterExpressions") or ()))
            for item in run_configuration.get("relationalFilterConfigurations") or ()]


def _location(data_source: DataSource) -> tuple[str, str]:
    run_configuration = next(iter(data_source.configuration.values()), {})
    return run_configuration.get("accountId"), run_configuration.get("region")


def build_source(session: Session, settings: Settings,
                 data_source: DataSource) -> tuple[ConnectionSpec, mapping.SourceContext]:
    """How to reach the data source's system (secrets resolved) and what its assets share."""
    account, region = _location(data_source)
    account, region = account or settings.account_id, region or settings.region
    run_configuration = next(iter(data_source.configuration.values()), {})
    storage = run_configuration.get("redshiftStorage")
    if data_source.connection_id is None:  # the embedded Iceberg catalog of a data-lake environment
        environment = session.get(Environment, data_source.environment_id)
        if environment is None or not environment.producer_db:
            raise SourceUnreachable(f"Environment {data_source.environment_id} of this data source no longer exists.",
                                    "RESOURCE_NOT_FOUND_EXCEPTION")
        spec = ConnectionSpec(kind=ICEBERG, database=environment.producer_db, region=region,
                              options={"settings": settings, "databases": [environment.producer_db]})
        return spec, mapping.SourceContext(ICEBERG, data_source.id, account, region)
    connection = session.get(Connection, data_source.connection_id)
    stored = connection.props["spec"]
    user = password = None
    if connection.secret_arn:
        try:
            credentials = secrets.resolve(session, settings, connection.secret_arn)
        except Exception:  # noqa: BLE001  (missing or undecryptable: the run says what to fix)
            raise SourceUnreachable(f"The credentials of connection {connection.name} ({connection.secret_arn}) "
                                    f"cannot be read; create the connection again with valid credentials.",
                                    "ACCESS_DENIED_EXCEPTION") from None
        user, password = credentials.username, credentials.password
    kind = stored["kind"]
    path = stored.get("path")
    if path and path.startswith(f"s3://{LOCAL_BUCKET}/"):  # a folder under the server's files root
        path = str(settings.files_root / path.removeprefix(f"s3://{LOCAL_BUCKET}/"))
    aws_keys = kind in (GLUE, FILES)  # their secret holds an AWS access key, not a database login
    endpoint = stored.get("endpoint_url") or (settings.glue_endpoint_url if kind == GLUE else None)
    spec = ConnectionSpec(kind=kind, host=stored.get("host"), port=stored.get("port"), database=stored.get("database"),
                          user=None if aws_keys else user, password=None if aws_keys else password,
                          access_key_id=user if aws_keys else None, secret_access_key=password if aws_keys else None,
                          region=stored.get("region") or region, catalog_id=stored.get("catalog_id"),
                          path=path, endpoint_url=endpoint,
                          options={"settings": settings, "uri": stored.get("uri"), "warehouse": stored.get("warehouse"),
                                   "catalog_name": stored.get("catalog_name"), **stored.get("options", {}),
                                   "allowed_root": str(settings.files_root)})
    if kind == GLUE:
        locator = None
        account = stored.get("catalog_id") or account
    elif kind == ICEBERG:
        locator = f"iceberg:{stored['uri']}"
    elif stored.get("path"):
        locator = f"files:{stored['path'].rstrip('/')}"
    else:
        locator = f"{kind.lower()}://{stored.get('host')}:{stored.get('port')}"
    return spec, mapping.SourceContext(kind, data_source.id, account, spec.region or region, locator, storage)


def _give_up(session: Session, settings: Settings, payload: dict, error: str) -> None:
    """The run's job failed its last attempt (e.g. the database kept refusing the outcome): the run FAILED."""
    run = session.get(DataSourceRun, payload["run_id"])
    if run is None or run.status in runs.FINISHED:
        return
    finish(session, session.get(DataSource, run.data_source_id), run, {
        "errorType": "INTERNAL_SERVER_EXCEPTION",
        "errorDetail": "The run could not be completed after several attempts; the server log has the details."})


@task(runs.TASK, on_give_up=_give_up)
def execute_run(session: Session, settings: Settings, payload: dict) -> None:
    """REQUESTED -> RUNNING -> SUCCESS | PARTIALLY_SUCCEEDED | FAILED; a re-delivered job resumes the run."""
    run = session.get(DataSourceRun, payload["run_id"])
    if run is None or run.status in runs.FINISHED:
        return
    data_source = session.get(DataSource, run.data_source_id)
    actor = session.get(User, run.started_by)
    run.status, run.started_at = runs.RUNNING, run.started_at or utcnow()
    data_source.last_run_status = runs.RUNNING
    session.commit()
    error = None
    try:
        spec, context = build_source(session, settings, data_source)
        connector = connectors.connect(spec)
        connector.check()
        filters = relational_filters(data_source)
        count = getattr(connector, "count", None)  # optional: connectors that can count cheaply show progress
        if count is not None:
            run.tables_total = count(filters)
            session.commit()
        importer = Importer(session, settings, data_source, run, actor, context, payload.get("job_id"))
        importer.import_tables(connector.tables(filters))
        importer.archive_missing()
    except SourceUnreachable as unreachable:
        session.rollback()
        error = {"errorType": error_type(unreachable.error_type), "errorDetail": str(unreachable)[:2000]}
    except Exception:  # noqa: BLE001  (the run must end in a state, whatever went wrong)
        session.rollback()
        log.exception("data source run %s failed", payload["run_id"])
        error = {"errorType": "INTERNAL_SERVER_EXCEPTION",
                 "errorDetail": "The run failed because of an internal error; the server log has the details."}
    finish(session, data_source, run, error)


def error_type(name: str) -> str:
    """DataZone's DataSourceErrorType for a connector's error type (a source that cannot be reached: not found)."""
    if name in runs.ERROR_TYPES:
        return name
    return "RESOURCE_NOT_FOUND_EXCEPTION" if name == "CONNECTION_ERROR" else "INTERNAL_SERVER_EXCEPTION"


def finish(session: Session, data_source: DataSource, run: DataSourceRun, error: dict | None) -> None:
    """Record the run's outcome on the run and on the data source, and tell the event bus."""
    session.refresh(run)  # the importer counts tables_done with plain UPDATEs
    stats = runs.statistics(session, run.id)
    run.status = runs.FAILED if error else (runs.PARTIAL if stats["failed"] else runs.SUCCESS)
    run.statistics, run.error, run.stopped_at = stats, error, utcnow()
    if run.tables_total is None or error is None:
        run.tables_total = run.tables_done
    data_source.status, data_source.last_run_status = "READY", run.status
    data_source.last_run_error = error
    data_source.last_run_asset_count = stats["added"] + stats["updated"] + stats["unchanged"]
    detail = "Data Source Run Failed" if error else "Data Source Run Succeeded"
    runs.event(session, data_source, run, detail, run.started_by, runStatisticsForAssets=stats,
               **({"errorMessage": error} if error else {}))
    session.commit()
