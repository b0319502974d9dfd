"""Athena wire operations: StartQueryExecution, GetQueryExecution, GetQueryResults, StopQueryExecution."""

from openzone.query import results, service
from openzone.query.service import ExecutionRecord
from openzone.wire.pagination import decode_token, encode_token
from openzone.wire.registry import Call, athena
from openzone.wire.render import Prerendered

_ERROR_CATEGORY = {"USER": 2, "TIMEOUT": 2, "SYSTEM": 1}


@athena("StartQueryExecution")
def start_query_execution(call: Call, p: dict) -> dict:
    execution = service.start(call.session, call.principal, call.settings, p)
    return {"QueryExecutionId": execution.id}


def _execution(execution: ExecutionRecord) -> dict:
    status = {"State": execution.state, "StateChangeReason": execution.state_reason,
              "SubmissionDateTime": execution.created_at, "CompletionDateTime": execution.completed_at}
    if execution.state == "FAILED":
        status["AthenaError"] = {"ErrorCategory": _ERROR_CATEGORY.get(execution.error_type or "", 3),
                                 "ErrorType": 1001 if execution.error_type == "TIMEOUT" else 1000,
                                 "Retryable": False, "ErrorMessage": execution.state_reason}
    total_ms = None
    if execution.completed_at:
        total_ms = int((execution.completed_at - execution.created_at).total_seconds() * 1000)
    return {"QueryExecution": {
        "QueryExecutionId": execution.id, "Query": execution.query, "StatementType": execution.statement_type,
        "QueryExecutionContext": {"Database": execution.database, "Catalog": "AwsDataCatalog"},
        "Status": status, "WorkGroup": execution.environment_id,
        "Statistics": {"EngineExecutionTimeInMillis": execution.engine_ms, "TotalExecutionTimeInMillis": total_ms,
                       "DataScannedInBytes": 0},
        "EngineVersion": {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "openzone DuckDB"},
    }}


@athena("GetQueryExecution")
def get_query_execution(call: Call, p: dict) -> dict:
    return _execution(service.wait_and_get(call.session, call.principal, call.settings, p["QueryExecutionId"]))


@athena("GetQueryResults")
def get_query_results(call: Call, p: dict) -> dict:
    offset, limit = decode_token(p.get("NextToken")), p.get("MaxResults", 1000)
    execution, rows, more = service.read_results(call.session, call.principal, call.settings,
                                                 p["QueryExecutionId"], offset, limit)
    columns = [tuple(c) for c in execution.columns or []]
    return {"UpdateCount": execution.update_count or 0,
            "ResultSet": {"Rows": Prerendered(rows), "ResultSetMetadata": {"ColumnInfo": results.column_info(columns)}},
            "NextToken": encode_token(offset + limit) if more else None}


@athena("StopQueryExecution")
def stop_query_execution(call: Call, p: dict) -> dict:
    service.stop(call.session, call.principal, p["QueryExecutionId"])
    return {}
