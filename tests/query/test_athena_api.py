"""The Athena-compatible query service through the unmodified boto3 athena client."""

import os
import time

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import event, select

from conftest import wait_for
from openzone.db.session import get_engine, session_scope
from openzone.identity.models import User
from openzone.lake.access import get_warehouse
from openzone.query import service
from openzone.query.models import QueryExecution
from scenario import build_world, query_error, query_rows, resource, run_sql

# Never finishes in any reasonable time, and DuckDB can interrupt it at any point.
RUNAWAY = "SELECT sum(a.range * b.range) FROM range(1000000) a CROSS JOIN range(1000000) b"


@pytest.fixture(scope="module")
def world(server):
    world = build_world(server)
    query_rows(world.producer, world.sales_env["id"], "CREATE TABLE sales_secret AS SELECT 731905 AS amount")
    query_rows(world.consumer, world.analytics_env["id"], "CREATE TABLE scratch AS SELECT 1 AS id")
    return world


def athena_error(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def start(caller, env_id: str, sql: str) -> str:
    return caller.athena.start_query_execution(QueryString=sql, WorkGroup=env_id)["QueryExecutionId"]


def state_of(caller, qid: str) -> dict:
    return caller.athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]


FIVE_ROWS = ("SELECT * FROM (VALUES (1::BIGINT, 'ann', 1.50::DECIMAL(10,2)), (2, 'bob', 2.25), (3, 'cy', 3.00), "
             "(4, 'di', 4.75), (5, 'ed', NULL)) t(id, name, amount) ORDER BY id")


def test_get_query_results_pages_with_the_header_first(world):
    execution = run_sql(world.consumer, world.analytics_env["id"], FIVE_ROWS)
    assert execution["Status"]["State"] == "SUCCEEDED"
    qid, pages, token = execution["QueryExecutionId"], [], None
    while True:
        page = world.consumer.athena.get_query_results(QueryExecutionId=qid, MaxResults=2,
                                                       **({"NextToken": token} if token else {}))
        pages.append(page)
        token = page.get("NextToken")
        if not token:
            break
    rows = [[d.get("VarCharValue") for d in r["Data"]] for p in pages for r in p["ResultSet"]["Rows"]]
    assert [len(p["ResultSet"]["Rows"]) for p in pages] == [2, 2, 2]
    assert rows[0] == ["id", "name", "amount"]  # the header row, on the first page only
    assert rows[1:] == [["1", "ann", "1.50"], ["2", "bob", "2.25"], ["3", "cy", "3.00"], ["4", "di", "4.75"],
                        ["5", "ed", None]]
    info = pages[0]["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [(c["Name"], c["Type"]) for c in info] == [("id", "bigint"), ("name", "varchar"), ("amount", "decimal")]
    assert (info[2]["Precision"], info[2]["Scale"]) == (10, 2)
    # Every page carries the column info.
    assert pages[2]["ResultSet"]["ResultSetMetadata"]["ColumnInfo"] == info


def test_paginator_walks_all_rows(world):
    execution = run_sql(world.consumer, world.analytics_env["id"], "SELECT range AS n FROM range(2500)")
    pages = list(world.consumer.athena.get_paginator("get_query_results").paginate(
        QueryExecutionId=execution["QueryExecutionId"]))
    rows = [r["Data"][0]["VarCharValue"] for p in pages for r in p["ResultSet"]["Rows"]]
    assert rows[0] == "n" and rows[1:] == [str(i) for i in range(2500)]
    assert len(pages) == 3  # 1000 rows a page, header included


def test_results_of_an_unfinished_query_are_refused(world):
    qid = start(world.consumer, world.analytics_env["id"], RUNAWAY)
    try:
        code, message = athena_error(world.consumer.athena.get_query_results, QueryExecutionId=qid)
        assert code == "InvalidRequestException" and "not yet finished" in message
    finally:
        world.consumer.athena.stop_query_execution(QueryExecutionId=qid)


def test_consumer_cannot_read_the_producer_database(world):
    sales_db = resource(world.sales_env, "glueProducerDBName")
    code, message = athena_error(world.consumer.athena.start_query_execution, QueryString="SELECT 1",
                                 WorkGroup=world.analytics_env["id"], QueryExecutionContext={"Database": sales_db})
    assert code == "InvalidRequestException" and "not available in this workgroup" in message
    reason = query_error(world.consumer, world.analytics_env["id"], f"SELECT * FROM {sales_db}.sales_secret")
    assert sales_db in reason and "731905" not in reason  # a value no random id in the message holds


@pytest.mark.parametrize("sql, expected", [
    ("SELECT * FROM '/etc/passwd'", "Reading files directly is not allowed"),
    ("SELECT * FROM read_csv('/etc/passwd')", "read_csv is not allowed"),
    ("SELECT * FROM read_text('/etc/passwd')", "read_text is not allowed"),
    ("SELECT * FROM 'data/*.parquet'", "Reading files directly is not allowed"),
])
def test_file_paths_are_refused(world, sql, expected):
    reason = query_error(world.consumer, world.analytics_env["id"], sql)
    assert expected in reason and "root:" not in reason


@pytest.mark.parametrize("sql, word", [
    ("ATTACH '/tmp/evil.duckdb' AS evil", "ATTACH"),
    ("COPY (SELECT 1) TO '/tmp/out.csv'", "COPY"),
    ("SET memory_limit = '100GB'", "SET"),
    ("INSTALL httpfs", "INSTALL"),
    ("LOAD httpfs", "LOAD"),
    ("PRAGMA database_list", "PRAGMA"),
])
def test_statements_that_reach_outside_are_refused(world, sql, word):
    reason = query_error(world.consumer, world.analytics_env["id"], sql)
    assert word in reason and "not allowed" in reason


def test_catalog_views_show_only_the_environment_databases(world):
    env = world.analytics_env
    own = {resource(env, "glueProducerDBName"), resource(env, "glueConsumerDBName")}
    databases = {row[0] for row in query_rows(world.consumer, env["id"],
                                              "SELECT database_name FROM duckdb_databases()")}
    assert own <= databases and databases - own <= {"system", "temp"}
    catalogs = {row[0] for row in query_rows(world.consumer, env["id"],
                                             "SELECT DISTINCT table_catalog FROM information_schema.tables")}
    assert catalogs and catalogs <= own | {"system", "temp"}
    tables = {row[0] for row in query_rows(world.consumer, env["id"],
                                           "SELECT table_name FROM information_schema.tables")}
    assert "scratch" in tables and "sales_secret" not in tables


def test_a_runaway_query_fails_at_the_time_limit(server, world, monkeypatch):
    monkeypatch.setattr(server.settings, "query_timeout_seconds", 2.0)
    began = time.monotonic()
    execution = run_sql(world.consumer, world.analytics_env["id"], RUNAWAY)
    assert time.monotonic() - began < 15
    status = execution["Status"]
    assert status["State"] == "FAILED"
    assert "time limit of 2 seconds" in status["StateChangeReason"]
    assert status["AthenaError"]["ErrorType"] == 1001 and status["AthenaError"]["Retryable"] is False


def test_stop_query_execution_cancels_a_long_query(world):
    qid = start(world.consumer, world.analytics_env["id"], RUNAWAY)
    wait_for(lambda: state_of(world.consumer, qid)["State"] == "RUNNING")
    world.consumer.athena.stop_query_execution(QueryExecutionId=qid)
    status = wait_for(lambda: (s := state_of(world.consumer, qid))["State"] in ("CANCELLED", "FAILED") and s,
                      timeout=10)
    assert status["State"] == "CANCELLED" and "cancel" in status["StateChangeReason"].lower()
    assert status.get("CompletionDateTime") is not None
    # Stopping a finished query is a no-op, as in Athena.
    world.consumer.athena.stop_query_execution(QueryExecutionId=qid)
    assert state_of(world.consumer, qid)["State"] == "CANCELLED"


def test_another_users_query_is_invisible_to_non_members(server, world):
    qid = run_sql(world.producer, world.sales_env["id"], "SELECT amount FROM sales_secret")["QueryExecutionId"]
    for call in (world.consumer.athena.get_query_execution, world.consumer.athena.get_query_results,
                 world.consumer.athena.stop_query_execution):
        code, message = athena_error(call, QueryExecutionId=qid)
        assert code == "InvalidRequestException" and qid in message
    assert state_of(world.producer, qid)["State"] == "SUCCEEDED"


def test_a_project_member_sees_a_colleagues_query(server, world):
    colleague = server.user()
    world.admin.dz.create_user_profile(domainIdentifier=world.domain_id, userIdentifier=colleague.arn)
    world.producer.dz.create_project_membership(domainIdentifier=world.domain_id, projectIdentifier=world.sales_id,
                                                member={"userIdentifier": colleague.arn},
                                                designation="PROJECT_CONTRIBUTOR")
    qid = run_sql(world.producer, world.sales_env["id"], "SELECT amount FROM sales_secret")["QueryExecutionId"]
    rows = colleague.athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    assert rows[1]["Data"][0]["VarCharValue"] == "731905"


def test_workgroup_must_be_an_environment(world):
    code, _ = athena_error(world.consumer.athena.start_query_execution, QueryString="SELECT 1", WorkGroup="primary")
    assert code == "InvalidRequestException"
    code, _ = athena_error(world.consumer.athena.start_query_execution, QueryString="SELECT 1",
                           WorkGroup="nosuchworkgroup")
    assert code == "InvalidRequestException"


def test_only_members_of_the_environments_project_start_queries(server, world):
    # A domain user outside the project is refused; a user outside the domain learns nothing more.
    code, message = athena_error(world.consumer.athena.start_query_execution, QueryString="SELECT 1",
                                 WorkGroup=world.sales_env["id"])
    assert code == "AccessDeniedException" and "not a member" in message
    stranger = server.user()
    code, message = athena_error(stranger.athena.start_query_execution, QueryString="SELECT 1",
                                 WorkGroup=world.sales_env["id"])
    assert code == "InvalidRequestException" and "not found" in message


def test_client_request_token_returns_the_same_query(world):
    env = world.analytics_env["id"]
    first = world.consumer.athena.start_query_execution(QueryString="SELECT 7", WorkGroup=env,
                                                        ClientRequestToken="token-" + "x" * 32)
    again = world.consumer.athena.start_query_execution(QueryString="SELECT 7", WorkGroup=env,
                                                        ClientRequestToken="token-" + "x" * 32)
    assert again["QueryExecutionId"] == first["QueryExecutionId"]


def test_get_query_execution_answers_as_soon_as_a_query_ends(server, world, monkeypatch):
    monkeypatch.setattr(server.settings, "query_status_wait_seconds", 10.0)
    qid = start(world.consumer, world.analytics_env["id"], "SELECT 42")
    began = time.monotonic()
    # One call, no client polling: the server holds it until the query has finished.
    assert state_of(world.consumer, qid)["State"] == "SUCCEEDED"
    assert time.monotonic() - began < 9


def test_get_query_execution_of_a_running_query_returns_after_the_wait(server, world, monkeypatch):
    monkeypatch.setattr(server.settings, "query_status_wait_seconds", 0.3)
    qid = start(world.consumer, world.analytics_env["id"], RUNAWAY)
    try:
        wait_for(lambda: state_of(world.consumer, qid)["State"] == "RUNNING")
        began = time.monotonic()
        assert state_of(world.consumer, qid)["State"] == "RUNNING"
        assert 0.25 <= time.monotonic() - began < 5
    finally:
        world.consumer.athena.stop_query_execution(QueryExecutionId=qid)


def test_get_query_execution_answers_at_once_while_enough_calls_are_waiting(server, world, monkeypatch):
    qid = start(world.consumer, world.analytics_env["id"], RUNAWAY)
    held = 0
    try:
        wait_for(lambda: state_of(world.consumer, qid)["State"] == "RUNNING")
        monkeypatch.setattr(server.settings, "query_status_wait_seconds", 10.0)
        while service._long_polls.acquire(blocking=False):  # as if MAX_LONG_POLLS calls were waiting
            held += 1
        assert held == service.MAX_LONG_POLLS
        began = time.monotonic()
        assert state_of(world.consumer, qid)["State"] == "RUNNING"
        assert time.monotonic() - began < 2  # not the 10 s wait
    finally:
        for _ in range(held):
            service._long_polls.release()
        world.consumer.athena.stop_query_execution(QueryExecutionId=qid)


def test_the_starter_waits_without_reading_the_execution_first_and_others_are_checked(server, world, monkeypatch):
    colleague = server.user()
    world.admin.dz.create_user_profile(domainIdentifier=world.domain_id, userIdentifier=colleague.arn)
    world.consumer.dz.create_project_membership(domainIdentifier=world.domain_id, projectIdentifier=world.analytics_id,
                                                member={"userIdentifier": colleague.arn},
                                                designation="PROJECT_CONTRIBUTOR")
    reads = []

    def count(_connection, _cursor, statement, *_):
        if statement.lstrip().upper().startswith("SELECT") and "FROM query_executions" in statement:
            reads.append(statement)

    qid = start(world.consumer, world.analytics_env["id"], RUNAWAY)
    engine = get_engine(server.settings.metadata_url)
    event.listen(engine, "before_cursor_execute", count)
    try:
        wait_for(lambda: state_of(world.consumer, qid)["State"] == "RUNNING")
        monkeypatch.setattr(server.settings, "query_status_wait_seconds", 0.2)
        reads.clear()
        assert state_of(world.consumer, qid)["State"] == "RUNNING"
        assert len(reads) == 1  # only after the wait: it started the query a moment ago
        reads.clear()
        assert state_of(colleague, qid)["State"] == "RUNNING"
        assert len(reads) == 2  # checked first, then read again after the wait
        began = time.monotonic()
        code, _ = athena_error(world.producer.athena.get_query_execution, QueryExecutionId=qid)
        assert code == "InvalidRequestException" and time.monotonic() - began < 0.2  # refused before any wait
    finally:
        event.remove(engine, "before_cursor_execute", count)
        world.consumer.athena.stop_query_execution(QueryExecutionId=qid)


def test_a_query_waits_queued_while_every_slot_is_busy_then_runs(world):
    env, runaways = world.analytics_env["id"], []
    try:
        # Fill every worker slot; a query that finds a free one is RUNNING as soon as it is started.
        while True:
            runaways.append(start(world.consumer, env, RUNAWAY))
            state = state_of(world.consumer, runaways[-1])["State"]
            if state == "QUEUED":
                break
            assert state == "RUNNING" and len(runaways) <= 20
        probe = start(world.consumer, env, "SELECT 42 AS answer")
        assert state_of(world.consumer, probe)["State"] == "QUEUED"
    finally:
        for qid in reversed(runaways):  # the queued one first, so that it never gets a slot
            world.consumer.athena.stop_query_execution(QueryExecutionId=qid)
    status = wait_for(lambda: (s := state_of(world.consumer, probe))["State"] not in ("QUEUED", "RUNNING") and s)
    assert status["State"] == "SUCCEEDED"
    rows = world.consumer.athena.get_query_results(QueryExecutionId=probe)["ResultSet"]["Rows"]
    assert rows[1]["Data"][0]["VarCharValue"] == "42"
    # The queued runaway was cancelled before it ever ran; the others were stopped while running.
    assert state_of(world.consumer, runaways[-1])["State"] == "CANCELLED"
    for qid in runaways[:-1]:
        wait_for(lambda: state_of(world.consumer, qid)["State"] == "CANCELLED")


def test_a_start_that_rolls_back_gives_its_slot_back(server, world):
    env = world.analytics_env["id"]
    wait_for(lambda: service._free_slots == server.settings.query_concurrency)  # earlier tests' queries ended
    with pytest.raises(RuntimeError), session_scope(server.settings.metadata_url) as session:
        actor = session.scalar(select(User).where(User.name == world.consumer.name))
        execution = service.start(session, actor, server.settings, {"QueryString": "SELECT 1", "WorkGroup": env})
        assert execution.state == "RUNNING" and service._free_slots == server.settings.query_concurrency - 1
        raise RuntimeError("the request failed after the query was started")
    wait_for(lambda: service._free_slots == server.settings.query_concurrency)  # its worker saw the rollback
    with session_scope(server.settings.metadata_url) as session:
        assert session.get(QueryExecution, execution.id) is None
    assert not (server.settings.query_results_dir / f"{execution.id}.arrow").exists()
    # A write handed to its worker before the start committed writes nothing when the start rolls back.
    with pytest.raises(RuntimeError), session_scope(server.settings.metadata_url) as session:
        actor = session.scalar(select(User).where(User.name == world.consumer.name))
        service.start(session, actor, server.settings,
                      {"QueryString": "CREATE TABLE never_made AS SELECT 1 AS x", "WorkGroup": env})
        time.sleep(0.5)  # long enough for its SELECT to have run
        raise RuntimeError("the request failed after the query was started")
    wait_for(lambda: service._free_slots == server.settings.query_concurrency)
    producer_db = resource(world.analytics_env, "glueProducerDBName")
    assert "never_made" not in get_warehouse(server.settings).list_tables(producer_db)
    # And the slots still serve queries.
    assert query_rows(world.consumer, env, "SELECT 5 AS five") == [["5"]]


def test_queries_run_in_worker_processes_and_keep_only_select_results(server, world):
    env, results_dir = world.analytics_env["id"], server.settings.query_results_dir
    before = set(results_dir.iterdir())
    ctas = start(world.consumer, env, "CREATE TABLE kept AS SELECT 1 AS id")
    wait_for(lambda: state_of(world.consumer, ctas)["State"] == "SUCCEEDED")
    assert set(results_dir.iterdir()) == before  # its rows went to the lake; no file of them stays
    qid = start(world.consumer, env, "SELECT 2 AS id")
    wait_for(lambda: state_of(world.consumer, qid)["State"] == "SUCCEEDED")
    assert set(results_dir.iterdir()) == before | {results_dir / f"{qid}.arrow"}
    # The sandboxes are in the query workers: this process opened none.
    from openzone.query.sandbox import DEFAULT_POOL
    assert not DEFAULT_POOL._open
    assert service._workers._idle and all(w.process.pid != os.getpid() for w in service._workers._idle)


def test_the_starter_reads_results_of_a_query_that_just_ended_without_reading_it_again(server, world, monkeypatch):
    reads = []

    def count(_connection, _cursor, statement, *_):
        if "query_executions" in statement and statement.lstrip().upper().startswith("SELECT"):
            reads.append(statement)

    env = world.analytics_env["id"]
    colleague = server.user()
    world.admin.dz.create_user_profile(domainIdentifier=world.domain_id, userIdentifier=colleague.arn)
    engine = get_engine(server.settings.metadata_url)
    event.listen(engine, "before_cursor_execute", count)
    try:
        qid = start(world.consumer, env, "SELECT 3 AS three")
        wait_for(lambda: state_of(world.consumer, qid)["State"] == "SUCCEEDED")
        reads.clear()
        rows = world.consumer.athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
        assert rows[1]["Data"][0]["VarCharValue"] == "3" and reads == []
        # Anyone else is checked (a domain user outside the project is refused) ...
        code, _ = athena_error(colleague.athena.get_query_results, QueryExecutionId=qid)
        assert code == "InvalidRequestException" and len(reads) == 1
        # ... and so is the starter once the window (credential_cache_seconds) has passed.
        monkeypatch.setattr(server.settings, "credential_cache_seconds", 0.0)
        reads.clear()
        assert state_of(world.consumer, qid)["State"] == "SUCCEEDED" and len(reads) == 1
    finally:
        event.remove(engine, "before_cursor_execute", count)
