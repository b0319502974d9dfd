"""Queries in a data warehouse environment's workgroup: the SQL runs in PostgreSQL as the environment's role.

The connection logs in as the role itself (never SET ROLE from a superuser, which the query could RESET), so
PostgreSQL's own privileges decide what the query may read and write: its schema and what was granted to it.
Athena's Database is the schema the query starts in (search_path). Results are stored and paged exactly as
lake results are.
"""

from __future__ import annotations

import decimal
import re
import threading

import psycopg
import pyarrow as pa
from psycopg import sql

from openzone.config import Settings
from openzone.db.session import session_scope
from openzone.db.types import utcnow
from openzone.errors import ValidationError
from openzone.projects import warehouse_env
from openzone.projects.models import Environment
from openzone.query import results
from openzone.query.models import QueryExecution

SCHEMA_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$")
# PostgreSQL type name -> the engine type names results.column_info renders for Athena.
_TYPES = {"int2": "SMALLINT", "int4": "INTEGER", "int8": "BIGINT", "float4": "FLOAT", "float8": "DOUBLE",
          "bool": "BOOLEAN", "text": "VARCHAR", "varchar": "VARCHAR", "bpchar": "VARCHAR", "name": "VARCHAR",
          "date": "DATE", "timestamp": "TIMESTAMP", "timestamptz": "TIMESTAMP WITH TIME ZONE", "time": "TIME",
          "bytea": "BLOB", "uuid": "UUID", "json": "JSON", "jsonb": "JSON", "interval": "INTERVAL"}


def database_for(environment: Environment, requested: str | None) -> str:
    """The schema a query of this warehouse environment starts in (its own unless it names another)."""
    schema = requested or environment.warehouse_schema
    if not SCHEMA_RE.fullmatch(schema):
        raise ValidationError(f"Database {schema} is not a valid schema name.")
    return schema


def run(settings: Settings, execution_id: str, cancel: threading.Event) -> dict | None:
    """Mark a QUEUED execution RUNNING, run it as the environment's role, and return its final fields."""
    with session_scope(settings.metadata_url) as session:
        execution = session.get(QueryExecution, execution_id)
        if execution.state != "QUEUED":
            return None
        environment = session.get(Environment, execution.environment_id)
        execution.state, execution.started_at = "RUNNING", utcnow()
        login = warehouse_env.login(session, settings, environment)
        query, schema = execution.query, execution.database
    timeout_ms = int(settings.query_timeout_seconds * 1000)
    try:
        conn = psycopg.connect(host=login.host, port=login.port, dbname=login.database, user=login.user,
                               password=login.password, autocommit=True, connect_timeout=10,
                               options=f"-c statement_timeout={timeout_ms}")
    except psycopg.Error as error:
        return {"state": "FAILED", "state_reason": f"The warehouse is not reachable: {error}", "error_type": "SYSTEM"}
    done = threading.Event()
    threading.Thread(target=_cancel_on, args=(conn, cancel, done), daemon=True).start()
    try:
        with conn:
            conn.execute(sql.SQL("SET search_path = {}").format(sql.Identifier(schema)))
            cursor = conn.execute(query)
            if cursor.description is None:
                # CREATE TABLE AS reports "SELECT n": only row-changing commands are DML, as in Athena.
                dml = (cursor.statusmessage or "").startswith(("INSERT", "UPDATE", "DELETE", "MERGE", "COPY"))
                kind = "DML" if dml else "DDL"
                return {"state": "SUCCEEDED", "update_count": max(cursor.rowcount, 0), "columns": [],
                        "row_count": 0, "statement_type": kind}
            columns, table = _result(conn, cursor)
    except psycopg.errors.QueryCanceled as error:
        if cancel.is_set():
            return {"state": "CANCELLED", "state_reason": "Query was cancelled by the user."}
        return {"state": "FAILED", "state_reason": f"Query timed out: {error}", "error_type": "TIMEOUT"}
    except psycopg.Error as error:
        return {"state": "FAILED", "state_reason": str(error).strip(), "error_type": "USER"}
    finally:
        done.set()
    results.save(settings.query_results_dir, execution_id, table)
    return {"state": "SUCCEEDED", "columns": columns, "row_count": table.num_rows}


def _cancel_on(conn: psycopg.Connection, cancel: threading.Event, done: threading.Event) -> None:
    while not done.wait(0.05):
        if cancel.is_set():
            conn.cancel()
            return


def _result(conn: psycopg.Connection, cursor: psycopg.Cursor) -> tuple[list[list[str]], pa.Table]:
    """Athena column types and an Arrow table of the rows (typed as PostgreSQL typed them)."""
    rows = cursor.fetchall()
    names, arrays, columns = [], [], []
    for index, column in enumerate(cursor.description):
        values = [row[index] for row in rows]
        type_info = conn.adapters.types.get(column.type_code)
        pg_type = type_info.name if type_info else "text"
        if pg_type == "numeric":
            engine_type = f"DECIMAL({column.precision or 38},{column.scale or _scale(values)})"
        else:
            engine_type = _TYPES.get(pg_type, "VARCHAR")
        try:
            array = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            array = pa.array([None if v is None else str(v) for v in values], pa.string())
        names.append(f"_{index}")  # Arrow columns by position: a result may repeat a name (SELECT a, a)
        arrays.append(array)
        columns.append([column.name, engine_type])
    return columns, pa.Table.from_arrays(arrays, names=names) if arrays else pa.table({})


def _scale(values: list) -> int:
    """The scale an unconstrained numeric column's values need."""
    return max((-v.as_tuple().exponent for v in values if isinstance(v, decimal.Decimal) and v.is_finite()),
               default=0)
