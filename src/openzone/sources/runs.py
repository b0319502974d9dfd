"""Data source runs: started on demand or by the scheduler, executed by a worker job, read back with activities.

States: REQUESTED (queued) -> RUNNING -> SUCCESS | PARTIALLY_SUCCEEDED (some tables failed) | FAILED (the
source could not be read). One run of a data source at a time: a second StartDataSourceRun meanwhile is a
ConflictException.
"""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openzone.db.types import utcnow
from openzone.errors import ConflictError, NotFoundError, ValidationError
from openzone.events.outbox import Entity, emit
from openzone.identity.models import User
from openzone.jobs.queue import enqueue
from openzone.sources import service
from openzone.sources.models import DataSource, DataSourceRun, DataSourceRunActivity
from openzone.wire.ids import new_id

REQUESTED, RUNNING, SUCCESS, PARTIAL, FAILED = "REQUESTED", "RUNNING", "SUCCESS", "PARTIALLY_SUCCEEDED", "FAILED"
FINISHED = (SUCCESS, PARTIAL, FAILED)
TASK = "sources.run"

# Activity statuses (DataAssetActivityStatus) and the runStatisticsForAssets member each one counts in.
CREATED, UPDATED, UNCHANGED = "SUCCEEDED_CREATED", "SUCCEEDED_UPDATED", "UNCHANGED"
ACTIVITY_FAILED, PUBLISHING_FAILED = "FAILED", "PUBLISHING_FAILED"
SKIPPED_IMPORTED, SKIPPED_ARCHIVED = "SKIPPED_ALREADY_IMPORTED", "SKIPPED_ARCHIVED"
ERROR_TYPES = frozenset({"ACCESS_DENIED_EXCEPTION", "CONFLICT_EXCEPTION", "INTERNAL_SERVER_EXCEPTION",
                         "RESOURCE_NOT_FOUND_EXCEPTION", "SERVICE_QUOTA_EXCEEDED_EXCEPTION", "THROTTLING_EXCEPTION",
                         "VALIDATION_EXCEPTION"})  # DataZone's DataSourceErrorType
STATISTIC = {CREATED: "added", UPDATED: "updated", UNCHANGED: "unchanged", ACTIVITY_FAILED: "failed",
             PUBLISHING_FAILED: "failed", SKIPPED_IMPORTED: "skipped", SKIPPED_ARCHIVED: "skipped"}


def event(session: Session, data_source: DataSource, run: DataSourceRun, detail_type: str, user_id: str,
          **data) -> None:
    emit(session, detail_type=detail_type, domain_id=data_source.domain_id,
         entity=Entity(data_source.id, "DataSourceEntityType", owning_project_id=data_source.project_id),
         user_id=user_id, data={"dataSourceId": data_source.id, "dataSourceRunId": run.id,
                                "dataSourceName": data_source.name, "runType": run.type, "status": run.status,
                                **data})


def start_run(session: Session, actor: User, data_source: DataSource, run_type: str = "PRIORITIZED") -> DataSourceRun:
    """Queue a run of the data source (REQUESTED); ConflictError while another run is unfinished."""
    if data_source.enable_setting != "ENABLED":
        raise ValidationError(f"Data source {data_source.id} is DISABLED; enable it (UpdateDataSource "
                              f"enableSetting=ENABLED) to run it.")
    if not service.claim_for_run(session, data_source):
        raise ConflictError(f"Data source {data_source.id} is already running; wait for its run to finish.")
    snapshot = json.dumps({"type": data_source.type, "configuration": data_source.configuration,
                           "publishOnImport": data_source.publish_on_import,
                           "recommendation": data_source.recommendation}, sort_keys=True)
    run = DataSourceRun(id=new_id(), domain_id=data_source.domain_id, data_source_id=data_source.id,
                        project_id=data_source.project_id, type=run_type, status=REQUESTED,
                        configuration_snapshot=snapshot, statistics={}, started_by=actor.id)
    session.add(run)
    session.flush()
    data_source.last_run_id, data_source.last_run_status, data_source.last_run_at = run.id, REQUESTED, utcnow()
    event(session, data_source, run, "Data Source Run Triggered", actor.id)
    job = enqueue(session, TASK, {"run_id": run.id})
    session.flush()
    # The job's id lets the run keep its lease alive while it imports (see importer.Importer.heartbeat).
    job.payload = {"run_id": run.id, "job_id": job.id}
    return run


def start_run_for(session: Session, actor: User, domain_id: str, data_source_id: str) -> DataSourceRun:
    """StartDataSourceRun: owners and contributors of the data source's project."""
    return start_run(session, actor, service.writable_data_source(session, actor, domain_id, data_source_id))


def visible_run(session: Session, actor: User, domain_id: str, run_id: str) -> DataSourceRun:
    """A run of a data source of a project the caller is a member of."""
    run = session.get(DataSourceRun, run_id)
    if run is None or run.domain_id != domain_id:
        raise NotFoundError(f"Data source run {run_id} not found.")
    try:
        service.visible_data_source(session, actor, domain_id, run.data_source_id)
    except NotFoundError:
        raise NotFoundError(f"Data source run {run_id} not found.") from None
    return run


def list_runs(session: Session, actor: User, domain_id: str, data_source_id: str, status: str | None,
              offset: int, limit: int) -> list[DataSourceRun]:
    """Runs of a data source, newest first."""
    data_source = service.visible_data_source(session, actor, domain_id, data_source_id)
    query = select(DataSourceRun).where(DataSourceRun.data_source_id == data_source.id)
    if status:
        query = query.where(DataSourceRun.status == status)
    return list(session.scalars(query.order_by(DataSourceRun.created_at.desc(), DataSourceRun.id.desc())
                                .offset(offset).limit(limit + 1)))


def list_activities(session: Session, actor: User, domain_id: str, run_id: str, status: str | None,
                    offset: int, limit: int) -> tuple[DataSourceRun, list[DataSourceRunActivity]]:
    """What a run did, one activity per table, in the order it did it."""
    run = visible_run(session, actor, domain_id, run_id)
    query = select(DataSourceRunActivity).where(DataSourceRunActivity.run_id == run.id)
    if status:
        query = query.where(DataSourceRunActivity.status == status)
    return run, list(session.scalars(query.order_by(DataSourceRunActivity.id).offset(offset).limit(limit + 1)))


def statistics(session: Session, run_id: str) -> dict:
    """runStatisticsForAssets, counted from the run's activities."""
    counts = {"added": 0, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}
    rows = session.execute(select(DataSourceRunActivity.status, func.count()).where(
        DataSourceRunActivity.run_id == run_id).group_by(DataSourceRunActivity.status))
    for status, count in rows:
        counts[STATISTIC[status]] += count
    return counts

