"""DataZone wire operations for connections, data sources, their runs and run activities."""

from openzone.projects import service as projects
from openzone.sources import connections, runs, service
from openzone.sources.models import Connection, DataSource, DataSourceRun
from openzone.wire.pagination import decode_token, page
from openzone.wire.registry import Call, datazone


# --- connections -------------------------------------------------------------------------------------------


def _connection(call: Call, row: Connection) -> dict:
    endpoint = {k: v for k, v in row.props.get("endpoint", {}).items()}
    location = row.aws_location or {}
    endpoint["awsLocation"] = {k: location[k] for k in ("awsAccountId", "awsRegion", "accessRole") if k in location}
    return {"connectionId": row.id, "name": row.name, "description": row.description, "domainId": row.domain_id,
            "domainUnitId": projects.project_by_id(call.session, row.project_id).domain_unit_id,
            "environmentId": row.environment_id, "projectId": row.project_id, "type": row.type, "scope": "PROJECT",
            "props": row.props["output"], "physicalEndpoints": [endpoint]}


@datazone("CreateConnection")
def create_connection(call: Call, p: dict) -> dict:
    row = connections.create_connection(call.session, call.principal, p["domainIdentifier"], p, call.settings)
    return _connection(call, row)


@datazone("GetConnection")
def get_connection(call: Call, p: dict) -> dict:
    # withSecret asks for temporary AWS credentials of the environment; openzone never returns a password.
    return _connection(call, connections.get_connection(call.session, call.principal, p["domainIdentifier"],
                                                        p["identifier"]))


@datazone("ListConnections")
def list_connections(call: Call, p: dict) -> dict:
    offset, limit = decode_token(p.get("nextToken")), p.get("maxResults", 50)
    rows = connections.list_connections(call.session, call.principal, p["domainIdentifier"], p, offset, limit)
    items, token = page(rows, offset, limit)
    return {"items": [_connection(call, row) for row in items], "nextToken": token}


@datazone("DeleteConnection")
def delete_connection(call: Call, p: dict) -> dict:
    connections.delete_connection(call.session, call.principal, p["domainIdentifier"], p["identifier"])
    return {"status": "DELETED"}


# --- data sources ------------------------------------------------------------------------------------------


def _data_source(row: DataSource) -> dict:
    return {"id": row.id, "status": row.status, "type": row.type, "name": row.name, "description": row.description,
            "domainId": row.domain_id, "projectId": row.project_id, "environmentId": row.environment_id,
            "connectionId": row.connection_id, "configuration": row.configuration,
            "recommendation": row.recommendation, "enableSetting": row.enable_setting,
            "publishOnImport": row.publish_on_import, "assetFormsOutput": row.asset_forms or None,
            "schedule": row.schedule, "lastRunStatus": row.last_run_status, "lastRunAt": row.last_run_at,
            "lastRunErrorMessage": row.last_run_error, "createdAt": row.created_at, "updatedAt": row.updated_at}


@datazone("CreateDataSource")
def create_data_source(call: Call, p: dict) -> dict:
    return _data_source(service.create_data_source(call.session, call.principal, p["domainIdentifier"], p,
                                                   call.settings))


@datazone("GetDataSource")
def get_data_source(call: Call, p: dict) -> dict:
    row = service.visible_data_source(call.session, call.principal, p["domainIdentifier"], p["identifier"])
    return _data_source(row) | {"lastRunAssetCount": row.last_run_asset_count}


@datazone("UpdateDataSource")
def update_data_source(call: Call, p: dict) -> dict:
    return _data_source(service.update_data_source(call.session, call.principal, p["domainIdentifier"],
                                                   p["identifier"], p, call.settings))


@datazone("DeleteDataSource")
def delete_data_source(call: Call, p: dict) -> dict:
    row = service.delete_data_source(call.session, call.principal, p["domainIdentifier"], p["identifier"])
    return _data_source(row)


@datazone("ListDataSources")
def list_data_sources(call: Call, p: dict) -> dict:
    offset, limit = decode_token(p.get("nextToken")), p.get("maxResults", 50)
    rows = service.list_data_sources(call.session, call.principal, p["domainIdentifier"], p, offset, limit)
    items, token = page(rows, offset, limit)
    return {"items": [{"domainId": row.domain_id, "environmentId": row.environment_id,
                       "connectionId": row.connection_id, "dataSourceId": row.id, "name": row.name,
                       "type": row.type, "status": row.status, "enableSetting": row.enable_setting,
                       "schedule": row.schedule, "lastRunStatus": row.last_run_status, "lastRunAt": row.last_run_at,
                       "lastRunErrorMessage": row.last_run_error, "lastRunAssetCount": row.last_run_asset_count,
                       "createdAt": row.created_at, "updatedAt": row.updated_at, "description": row.description}
                      for row in items], "nextToken": token}


# --- runs --------------------------------------------------------------------------------------------------


def _statistics(run: DataSourceRun) -> dict | None:
    return run.statistics or None


def _run(run: DataSourceRun) -> dict:
    return {"domainId": run.domain_id, "dataSourceId": run.data_source_id, "id": run.id, "projectId": run.project_id,
            "status": run.status, "type": run.type, "dataSourceConfigurationSnapshot": run.configuration_snapshot,
            "runStatisticsForAssets": _statistics(run), "errorMessage": run.error, "createdAt": run.created_at,
            "updatedAt": run.updated_at, "startedAt": run.started_at, "stoppedAt": run.stopped_at}


@datazone("StartDataSourceRun")
def start_data_source_run(call: Call, p: dict) -> dict:
    return _run(runs.start_run_for(call.session, call.principal, p["domainIdentifier"], p["dataSourceIdentifier"]))


@datazone("GetDataSourceRun")
def get_data_source_run(call: Call, p: dict) -> dict:
    return _run(runs.visible_run(call.session, call.principal, p["domainIdentifier"], p["identifier"]))


@datazone("ListDataSourceRuns")
def list_data_source_runs(call: Call, p: dict) -> dict:
    offset, limit = decode_token(p.get("nextToken")), p.get("maxResults", 50)
    rows = runs.list_runs(call.session, call.principal, p["domainIdentifier"], p["dataSourceIdentifier"],
                          p.get("status"), offset, limit)
    items, token = page(rows, offset, limit)
    return {"items": [{k: v for k, v in _run(run).items()
                       if k not in ("domainId", "dataSourceConfigurationSnapshot")} for run in items],
            "nextToken": token}


@datazone("ListDataSourceRunActivities")
def list_data_source_run_activities(call: Call, p: dict) -> dict:
    offset, limit = decode_token(p.get("nextToken")), p.get("maxResults", 50)
    run, rows = runs.list_activities(call.session, call.principal, p["domainIdentifier"], p["identifier"],
                                     p.get("status"), offset, limit)
    items, token = page(rows, offset, limit)
    return {"items": [{"database": a.database, "dataSourceRunId": run.id, "technicalName": a.technical_name,
                       "dataAssetStatus": a.status, "projectId": run.project_id, "dataAssetId": a.asset_id,
                       "technicalDescription": a.technical_description, "errorMessage": a.error,
                       "createdAt": a.created_at, "updatedAt": a.created_at} for a in items],
            "nextToken": token}
