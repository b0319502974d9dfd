"""The query service: start, track, stop and read queries that run in an environment's sandbox."""

import logging
import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import lru_cache, partial
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import and_, bindparam, event, func, insert, select, update
from sqlalchemy.orm import Session

from openzone.config import Settings
from openzone.db.session import after_commit, get_engine, session_scope
from openzone.db.types import utcnow
from openzone.domains.models import UserProfile
from openzone.errors import AccessDeniedError, ConflictError, NotFoundError, ValidationError
from openzone.fulfillment import lake as lake_grants
from openzone.identity.models import User
from openzone.lake.access import get_warehouse
from openzone.lake.extensions import prepare_extension_dir
from openzone.projects.models import Environment, Project, ProjectMember
from openzone.query import results
from openzone.query import warehouse as warehouse_queries
from openzone.query import workers
from openzone.query.engine import QueryCancelled, QueryError, QueryTimeout, run_query
from openzone.query.models import QueryExecution
from openzone.query.sandbox import SandboxSpec, ViewFilter
from openzone.subscriptions import row_filters
from openzone.wire.ids import new_user_id

log = logging.getLogger("openzone.query")
_pool: ThreadPoolExecutor | None = None
_workers: workers.QueryWorkers | None = None  # one process per slot at most, started when needed
_pool_lock = threading.Lock()
# Worker slots (query_concurrency of them): a query that finds one free when it is started is marked
# RUNNING in StartQueryExecution's own transaction and handed its sandbox spec; the others stay
# QUEUED, wait here in order, and each takes the slot the query before it gives back.
_free_slots: int | None = None
_waiting: deque[tuple[str, bool]] = deque()  # (execution id, runs in the PostgreSQL warehouse)
_cancel_events: dict[str, threading.Event] = {}


class ExecutionRecord(NamedTuple):
    """A query execution as the Athena operations show it: as read, or as its worker just committed it."""

    id: str
    environment_id: str
    query: str
    database: str
    state: str
    state_reason: str | None
    error_type: str | None
    statement_type: str
    columns: list | None
    row_count: int | None
    update_count: int | None
    created_at: datetime
    completed_at: datetime | None
    engine_ms: int | None


class _Finished(threading.Event):
    """Set when an execution's final state is committed; lets GetQueryExecution answer the moment it ends.

    `values` are the columns that commit wrote (None if it failed); with `started` (the execution as
    StartQueryExecution wrote it, and who started it) the starter's own wait needs no database read.
    """

    values: dict | None = None

    def __init__(self, started: ExecutionRecord, starter: str) -> None:
        super().__init__()
        self.started, self.starter = started, starter
        self.ended_at = 0.0  # time.monotonic() when it was set

    def record(self) -> ExecutionRecord:
        """The execution as its worker committed it (values must be set)."""
        return self.started._replace(**{k: v for k, v in self.values.items() if k in ExecutionRecord._fields})


_finished_events: dict[str, _Finished] = {}
# Executions that ended in this process lately: their starters' GetQueryResults pages (read right after the
# end) need no database read. The starter passed the membership check when starting the query; as with
# cached credentials, a starter removed from the project meanwhile keeps seeing their own query's status
# and results for at most credential_cache_seconds after it ended.
_RECENTLY_ENDED_MAX = 256
_recently_ended: OrderedDict[str, _Finished] = OrderedDict()
# A waiting GetQueryExecution holds one of the server's request threads (anyio's default: 40), so only
# this many wait at once; the others answer straight away, as a plain poll would.
MAX_LONG_POLLS = 10
_long_polls = threading.BoundedSemaphore(MAX_LONG_POLLS)


class _Prepared(NamedTuple):
    """An execution marked RUNNING: what its worker needs to run it."""

    spec: SandboxSpec
    query: str
    producer_db: str
    started: datetime


def _executor(settings: Settings) -> ThreadPoolExecutor:
    global _pool, _free_slots, _workers
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=settings.query_concurrency, thread_name_prefix="openzone-query")
            _workers = workers.QueryWorkers(settings.query_concurrency)
            _free_slots = settings.query_concurrency
        return _pool


def _take_slot(settings: Settings) -> bool:
    """Reserve a free worker slot, if there is one."""
    global _free_slots
    _executor(settings)
    with _pool_lock:
        if _free_slots > 0:
            _free_slots -= 1
            return True
        return False


def _release_slot(settings: Settings) -> None:
    """Give a slot back: to the oldest waiting query if there is one, else to the free ones."""
    global _free_slots
    with _pool_lock:
        if not _waiting:
            _free_slots += 1
            return
        execution_id, in_warehouse = _waiting.popleft()
    _executor(settings).submit(_run, settings, execution_id, None, in_warehouse)


def _enqueue(settings: Settings, execution_id: str, in_warehouse: bool = False) -> None:
    """Run a committed QUEUED execution as soon as a slot is free."""
    global _free_slots
    _executor(settings)
    with _pool_lock:
        if _free_slots == 0:
            _waiting.append((execution_id, in_warehouse))
            return
        _free_slots -= 1
    _executor(settings).submit(_run, settings, execution_id, None, in_warehouse)


class _StartCommit(threading.Event):
    """Set when StartQueryExecution's transaction has ended; `committed` says how."""

    committed = False

    def wait_committed(self) -> None:
        """Return once the start committed; QueryCancelled if it rolled back (the execution never existed)."""
        self.wait()
        if not self.committed:
            raise QueryCancelled("The query's start was rolled back")


def _submit_now(session: Session, settings: Settings, execution_id: str, prepared: _Prepared) -> None:
    """Hand a RUNNING execution (and its reserved slot) to a worker now, while the start's transaction commits.

    The worker may check and run a SELECT meanwhile (on PostgreSQL the commit is several round trips), but it
    waits for the commit before it writes anything (a CTAS or INSERT's rows, the outcome); if the start
    rolls back instead, the query is cancelled and leaves nothing behind.
    """
    start_commit = _StartCommit()

    def on_commit(_session: Session) -> None:
        if not start_commit.is_set():
            start_commit.committed = True
            start_commit.set()

    def on_end(_session: Session, transaction) -> None:
        if transaction.parent is not None or start_commit.is_set():
            return  # a savepoint, or a later transaction of the same session
        cancel = _cancel_events.get(execution_id)  # gone if the query has already ended
        if cancel is not None:
            cancel.set()
        start_commit.set()

    event.listen(session, "after_commit", on_commit)
    event.listen(session, "after_transaction_end", on_end)
    _executor(settings).submit(_run, settings, execution_id, prepared, False, start_commit)


# The statements on every query's path are built once, with bound parameters: building a statement
# costs more than running it, above all when DuckDB has just pushed this code out of the CPU's caches.
# The environment, its project and domain, and the caller's place in them, in one statement.
_ENVIRONMENT_FOR = (
    select(Environment, Project.domain_id.label("project_domain"), UserProfile.user_id.label("profile"),
           ProjectMember.designation)
    .outerjoin(Project, Project.id == Environment.project_id)
    .outerjoin(UserProfile, and_(UserProfile.domain_id == Environment.domain_id,
                                 UserProfile.user_id == bindparam("actor")))
    .outerjoin(ProjectMember, and_(ProjectMember.project_id == Environment.project_id,
                                   ProjectMember.user_id == bindparam("actor")))
    .where(Environment.id == bindparam("workgroup")))
# An execution and the caller's membership of its environment's project (columns, not an entity: read
# on every GetQueryExecution and every page of GetQueryResults).
_EXECUTION_FOR = (
    select(*(QueryExecution.__table__.c[name] for name in ExecutionRecord._fields), ProjectMember.designation)
    .join(Environment, Environment.id == QueryExecution.environment_id)
    .outerjoin(ProjectMember, and_(ProjectMember.project_id == Environment.project_id,
                                   ProjectMember.user_id == bindparam("actor")))
    .where(QueryExecution.id == bindparam("execution")))
_INSERT_EXECUTION = insert(QueryExecution.__table__)
_UPDATE_EXECUTION = update(QueryExecution.__table__).where(QueryExecution.__table__.c.id == bindparam("execution"))
_CANCEL_QUEUED = update(QueryExecution.__table__).where(
    QueryExecution.__table__.c.id == bindparam("execution"), QueryExecution.__table__.c.state == "QUEUED")
_STARTED_AT = select(func.coalesce(QueryExecution.started_at, QueryExecution.created_at)).where(
    QueryExecution.id == bindparam("execution"))


def _environment_for(session: Session, actor: User, workgroup: str | None) -> Environment:
    if not workgroup or workgroup == "primary":
        raise ValidationError("WorkGroup must be the id of one of your data lake or data warehouse environments.")
    # Every query starts here; refusals in projects.get_project's order and words.
    row = session.execute(_ENVIRONMENT_FOR, {"actor": actor.id, "workgroup": workgroup}).first()
    if row is None:
        raise NotFoundError(f"WorkGroup {workgroup} is not found.")
    environment = row.Environment
    if not (actor.is_admin or row.profile is not None):
        raise NotFoundError(f"Domain {environment.domain_id} not found.")
    if row.project_domain != environment.domain_id:
        raise NotFoundError(f"Project {environment.project_id} not found in domain {environment.domain_id}.")
    if not actor.is_admin and row.designation is None:
        raise AccessDeniedError(f"You are not a member of project {environment.project_id}.")
    if environment.status != "ACTIVE":
        raise ConflictError(f"Environment {workgroup} is {environment.status}, not ACTIVE.")
    return environment


def start(session: Session, actor: User, settings: Settings, p: dict) -> ExecutionRecord:
    """Queue a query in the environment named by WorkGroup (members of its project only)."""
    environment = _environment_for(session, actor, p.get("WorkGroup"))
    in_warehouse = environment.warehouse_role is not None  # the SQL runs in PostgreSQL as the environment's role
    requested = (p.get("QueryExecutionContext") or {}).get("Database")
    database = warehouse_queries.database_for(environment, requested) if in_warehouse else (
        requested or environment.producer_db)
    if not in_warehouse and database not in (environment.producer_db, environment.consumer_db):
        raise ValidationError(f"Database {database} is not available in this workgroup; use "
                              f"{environment.producer_db} or {environment.consumer_db}.")
    now = utcnow()
    row = {"id": new_user_id(), "environment_id": environment.id, "user_id": actor.id, "query": p["QueryString"],
           "database": database, "client_token": p.get("ClientRequestToken"), "state": "QUEUED",
           "statement_type": "DML", "created_at": now, "updated_at": now}
    prepared = None
    if not in_warehouse and _take_slot(settings):
        # A free slot: run it straight away, without a second transaction in the worker to mark
        # it RUNNING (read before the insert: SQLite's write lock is then held only briefly).
        try:
            spec = _spec(session, settings, environment, database)
        except BaseException:
            _release_slot(settings)
            raise
        # Submitted and started in the same instant (SubmissionDateTime <= start, as Athena reports).
        now = row["created_at"] = row["updated_at"] = row["started_at"] = utcnow()
        row["state"] = "RUNNING"
        prepared = _Prepared(spec, row["query"], environment.producer_db, now)
    session.execute(_INSERT_EXECUTION, row)  # a Core insert: the ORM's unit of work costs twice as much here
    execution_id = row["id"]
    _cancel_events[execution_id] = threading.Event()
    started = ExecutionRecord(**{name: row.get(name) for name in ExecutionRecord._fields})
    _finished_events[execution_id] = _Finished(started, actor.id)
    if prepared is not None:
        _submit_now(session, settings, execution_id, prepared)
    else:
        after_commit(session, lambda: _enqueue(settings, execution_id, in_warehouse))
    return started


def prestart(settings: Settings) -> None:
    """Start a query worker process ahead of the first query (`openzone serve`)."""
    _executor(settings)
    _workers.prestart()


def shutdown() -> None:
    """Cancel every running query and stop the idle query workers (server shutdown)."""
    for event in list(_cancel_events.values()):
        event.set()
    if _workers is not None:
        _workers.close()


def _spec(session: Session, settings: Settings, environment: Environment, database: str) -> SandboxSpec:
    """Exactly what this environment may see: its producer tables and the tables granted to it."""
    warehouse = get_warehouse(settings)
    views, scoped = lake_grants.views_of(session, environment.consumer_db)
    # One catalog query for the producer and every source database, not one table load per grant.
    sources = warehouse.list_tables_of([environment.producer_db, *{db for db, _ in views.values()}])
    granted, filters = {}, {}
    for name, (source_db, source_table) in views.items():
        scope = scoped.get(name)
        if source_table not in sources[source_db]:  # the producer dropped the table: show nothing, don't fail
            log.warning("granted table %s.%s no longer exists", source_db, source_table)
        elif scope is None:
            granted[name] = sources[source_db][source_table]
        elif scope.columns != ():  # () : every filter of the grant is gone or INVALID, so it shows nothing
            granted[name] = sources[source_db][source_table]
            where = row_filters.to_sql(scope.row_filter, "duckdb") if scope.row_filter else None
            filters[(environment.consumer_db, name)] = ViewFilter(scope.columns, where)
    return SandboxSpec(databases={environment.producer_db: sources[environment.producer_db],
                                  environment.consumer_db: granted},
                       default_database=database, memory_limit=settings.query_memory_limit,
                       threads=settings.query_threads, filters=filters)


def _run(settings: Settings, execution_id: str, prepared: _Prepared | None = None, in_warehouse: bool = False,
         start_commit: _StartCommit | None = None) -> None:
    """Worker thread body (holding a slot): run one execution and record how it ended, whatever happens.

    `prepared` comes with an execution already marked RUNNING, and `start_commit` with one whose start may
    not have committed yet; without them, a QUEUED one is marked RUNNING here.
    """
    cancel = _cancel_events.setdefault(execution_id, threading.Event())
    values = None
    try:
        if in_warehouse:
            outcome = warehouse_queries.run(settings, execution_id, cancel)
        else:
            prepared = prepared or _prepare(settings, execution_id)
            outcome = _execute(settings, execution_id, prepared, cancel, start_commit) if prepared else None
    except Exception:
        log.exception("query %s failed inside the query service", execution_id)
        outcome = {"state": "FAILED", "state_reason": "The query service could not run this query.",
                   "error_type": "SYSTEM"}
    finally:
        _cancel_events.pop(execution_id, None)
    if start_commit is not None:
        start_commit.wait()
        if not start_commit.committed:  # there is no execution to record
            results.result_path(settings.query_results_dir, execution_id).unlink(missing_ok=True)
            outcome = None
    try:
        if outcome:
            values = _record(settings, execution_id, outcome, prepared.started if prepared else None)
    finally:
        # The slot first: a client told that this query ended may start its next one at once.
        _release_slot(settings)
        finished = _finished_events.pop(execution_id, None)
        if finished is not None:
            finished.values, finished.ended_at = values, time.monotonic()
            finished.set()
            if values is not None:
                with _pool_lock:
                    _recently_ended[execution_id] = finished
                    if len(_recently_ended) > _RECENTLY_ENDED_MAX:
                        _recently_ended.popitem(last=False)


def _record(settings: Settings, execution_id: str, outcome: dict, started: datetime | None) -> dict:
    """Commit how an execution ended (`started`: when it began RUNNING, None to read it); the values written."""
    # Core statements, not the ORM: this runs once per query, between the engine and the client. One
    # UPDATE needs no transaction around it: on PostgreSQL, BEGIN and COMMIT would be two more round trips.
    with get_engine(settings.metadata_url).connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if started is None:
            started = connection.execute(_STARTED_AT, {"execution": execution_id}).scalar_one()
        completed = utcnow()
        values = {**outcome, "completed_at": completed, "updated_at": completed,
                  "engine_ms": int((completed - started).total_seconds() * 1000)}
        connection.execute(_UPDATE_EXECUTION, {**values, "execution": execution_id})
    return values


def _prepare(settings: Settings, execution_id: str) -> _Prepared | None:
    """Mark a QUEUED execution RUNNING and build its sandbox spec; None if it was cancelled meanwhile."""
    with session_scope(settings.metadata_url) as session:
        execution = session.get(QueryExecution, execution_id)
        if execution.state != "QUEUED":
            return None
        environment = session.get(Environment, execution.environment_id)
        execution.state, execution.started_at = "RUNNING", utcnow()
        return _Prepared(_spec(session, settings, environment, execution.database), execution.query,
                         environment.producer_db, execution.started_at)


@lru_cache(maxsize=4)
def _result_cache(max_bytes: int) -> results.ResultCache:
    return results.ResultCache(max_bytes)


@lru_cache(maxsize=4)
def _extension_dir(path: str) -> Path:
    return prepare_extension_dir(Path(path)).resolve()


def _execute(settings: Settings, execution_id: str, prepared: _Prepared, cancel: threading.Event,
             start_commit: _StartCommit | None = None) -> dict:
    """Run the query and return the execution's final fields (nothing is written before `start_commit`)."""
    ext_dir, warehouse = _extension_dir(str(settings.extension_dir)), get_warehouse(settings)
    output = results.result_path(settings.query_results_dir, execution_id)
    in_worker = partial(_workers.select_into, output, ext_dir, warehouse.warehouse_dir)

    def select(*args):  # a CTAS or INSERT writes its rows once this returns: not before the start committed
        rows = in_worker(*args)
        if start_commit is not None:
            start_commit.wait_committed()
        return rows

    try:
        result = run_query(prepared.spec, prepared.query, ext_dir=ext_dir, warehouse=warehouse,
                           writable_database=prepared.producer_db, timeout_s=settings.query_timeout_seconds,
                           cancel=cancel, select=select)
    except QueryError as error:
        output.unlink(missing_ok=True)  # the rows of a CTAS or INSERT that could not be written
        if isinstance(error, QueryCancelled):
            return {"state": "CANCELLED", "state_reason": "Query was cancelled by the user."}
        return {"state": "FAILED", "state_reason": str(error),
                "error_type": "TIMEOUT" if isinstance(error, QueryTimeout) else "USER"}
    if result.rows_affected is not None:
        output.unlink(missing_ok=True)  # the rows a CTAS or INSERT wrote went to the lake
        return {"state": "SUCCEEDED", "update_count": result.rows_affected, "columns": [], "row_count": 0,
                "statement_type": "DDL" if result.kind == "CREATE_TABLE_AS_SELECT" else "DML"}
    _result_cache(settings.query_result_cache_bytes).put(settings.query_results_dir, execution_id, result.table)
    return {"state": "SUCCEEDED", "columns": [list(c) for c in result.columns], "row_count": result.table.num_rows}


def _ended_here(settings: Settings, actor: User, execution_id: str) -> ExecutionRecord | None:
    """The caller's own query, if it ended in this process less than credential_cache_seconds ago."""
    finished = _recently_ended.get(execution_id)
    if finished is None or finished.starter != actor.id:
        return None
    if time.monotonic() - finished.ended_at > settings.credential_cache_seconds:
        return None
    return finished.record()


def wait_and_get(session: Session, actor: User, settings: Settings, execution_id: str) -> ExecutionRecord:
    """Like get(), but an unfinished execution is given up to query_status_wait_seconds to finish first.

    Athena clients poll GetQueryExecution in a loop; answering as soon as the query ends (instead of
    on the next poll) cuts both the detection delay and the CPU the polling takes from queries.
    """
    finished, wait_seconds = _finished_events.get(execution_id), settings.query_status_wait_seconds
    if finished is None or wait_seconds <= 0:  # None: it ended (or runs in another process)
        return _ended_here(settings, actor, execution_id) or get(session, actor, execution_id)
    # Whoever started a query still running here passed get()'s membership check a moment ago, in
    # StartQueryExecution: their wait reads nothing before the query ends (a read now takes CPU from it).
    execution = None if finished.starter == actor.id else get(session, actor, execution_id)
    if execution is not None and execution.state not in ("QUEUED", "RUNNING"):
        return execution
    if not _long_polls.acquire(blocking=False):  # enough calls are waiting already: answer this one at once
        return execution or get(session, actor, execution_id)
    try:
        ended = finished.wait(wait_seconds)
    finally:
        _long_polls.release()
    if ended and finished.values is not None:  # what the worker committed, without reading it back
        return finished.record()
    return get(session, actor, execution_id)


def get(session: Session, actor: User, execution_id: str) -> ExecutionRecord:
    """A query execution of an environment the caller is a member of."""
    row = session.connection().execute(_EXECUTION_FOR, {"actor": actor.id, "execution": execution_id}).first()
    if row is None or not (actor.is_admin or row.designation is not None):
        raise NotFoundError(f"QueryExecution {execution_id} was not found")
    return ExecutionRecord(*row[:-1])


def stop(session: Session, actor: User, execution_id: str) -> None:
    """Cancel a queued or running query (a finished one is left as it is, as Athena does)."""
    get(session, actor, execution_id)
    now = utcnow()
    session.connection().execute(_CANCEL_QUEUED, {"execution": execution_id, "state": "CANCELLED",
                                                  "state_reason": "Query was cancelled by the user.",
                                                  "completed_at": now, "updated_at": now})
    event = _cancel_events.get(execution_id)
    if event is not None:
        event.set()


def read_results(session: Session, actor: User, settings: Settings, execution_id: str, offset: int,
                 limit: int) -> tuple[ExecutionRecord, list[dict], bool]:
    """One page of rows (Athena's header row first on the first page) and whether more follow."""
    execution = _ended_here(settings, actor, execution_id) or get(session, actor, execution_id)
    if execution.state != "SUCCEEDED":
        raise ValidationError(f"Query has not yet finished. Current state: {execution.state}")
    if not execution.columns:
        return execution, [], False
    columns = [tuple(c) for c in execution.columns]
    page_rows = [results.header_row(columns)] if offset == 0 else []
    data_offset = max(0, offset - 1)
    want = limit - len(page_rows)
    table = results.load_slice(settings.query_results_dir, execution_id, data_offset, want,
                               _result_cache(settings.query_result_cache_bytes))
    page_rows.extend(results.rows(table))
    return execution, page_rows, data_offset + want < execution.row_count

