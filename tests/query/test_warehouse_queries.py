"""The Athena API on a data warehouse environment's workgroup: SQL runs in PostgreSQL as the environment's role."""

import pytest
from botocore.exceptions import ClientError

from conftest import wait_for
from scenario import query_error, query_rows, run_sql
from warehouse_fixtures import warehouse_url, wh_server  # noqa: F401 (fixtures)
from warehouse import (build_warehouse_world, connect_as, grant_asset, login,
                       publish_and_subscribe, redshift_asset)


@pytest.fixture(scope="module")
def world(wh_server):
    return build_warehouse_world(wh_server)


def test_ctas_insert_and_select_with_typed_results(world):
    producer, env = world.producer, world.sales_env["id"]
    created = run_sql(producer, env, "CREATE TABLE sales AS SELECT g AS id, (g * 1.5)::numeric(10,2) AS amount, "
                                     "'item ' || g AS label, g % 2 = 0 AS even FROM generate_series(1, 3) g")
    assert created["Status"]["State"] == "SUCCEEDED" and created["StatementType"] == "DDL"
    inserted = run_sql(producer, env, "INSERT INTO sales VALUES (4, 6.00, 'item 4', true)")
    assert inserted["Status"]["State"] == "SUCCEEDED" and inserted["StatementType"] == "DML"
    assert query_rows(producer, env, "SELECT id, amount, label, even, NULL AS nothing FROM sales ORDER BY id") == [
        ["1", "1.50", "item 1", "false", None], ["2", "3.00", "item 2", "true", None],
        ["3", "4.50", "item 3", "false", None], ["4", "6.00", "item 4", "true", None]]
    execution = run_sql(producer, env, "SELECT id, amount, label, even FROM sales")
    info = producer.athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])[
        "ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [(c["Name"], c["Type"]) for c in info] == [("id", "integer"), ("amount", "decimal"),
                                                       ("label", "varchar"), ("even", "boolean")]
    assert (info[1]["Precision"], info[1]["Scale"]) == (10, 2)
    with connect_as(login(world.producer.server, producer, world.domain.id, env)) as conn:  # the same table in psql
        assert conn.execute("SELECT count(*) FROM sales").fetchone() == (4,)


def test_results_page_like_lake_results(world):
    producer, env = world.producer, world.sales_env["id"]
    execution = run_sql(producer, env, "SELECT g FROM generate_series(1, 25) g ORDER BY g")
    pages = producer.athena.get_paginator("get_query_results").paginate(
        QueryExecutionId=execution["QueryExecutionId"], PaginationConfig={"PageSize": 10})
    sizes = [len(page["ResultSet"]["Rows"]) for page in pages]
    assert sizes == [10, 10, 6]  # the header row first, then 25 rows


def test_the_role_sees_only_its_schema_and_its_grants(world):
    producer, consumer = world.producer, world.consumer
    sales, analytics = world.sales_env["id"], world.analytics_env["id"]
    run_sql(producer, sales, "CREATE TABLE private_notes AS SELECT 'secret' AS note")
    schema = f"oz_env_{sales}"
    assert "permission denied" in query_error(consumer, analytics, f"SELECT * FROM {schema}.private_notes")
    assert "must be superuser" in query_error(consumer, analytics, "RESET ROLE; CREATE ROLE sneaky SUPERUSER")
    run_sql(producer, sales, "CREATE TABLE shared AS SELECT 1 AS x")
    _, grant_id = publish_and_subscribe(world, redshift_asset(world, "shared", "Shared")["id"])
    wait_for(lambda: grant_asset(world, grant_id)["status"] == "GRANTED")
    assert query_rows(consumer, analytics, f"SELECT x FROM {schema}.shared") == [["1"]]
    assert query_rows(consumer, analytics, "SELECT x FROM shared", database=schema) == [["1"]]
    assert "permission denied" in query_error(consumer, analytics, f"INSERT INTO {schema}.shared VALUES (2)")


def test_errors_and_outsiders(wh_server, world):
    producer, env = world.producer, world.sales_env["id"]
    assert "does not exist" in query_error(producer, env, "SELECT * FROM no_such_table")
    outsider = wh_server.user()
    with pytest.raises(ClientError) as refused:  # as for lake workgroups: not even the domain is visible
        outsider.athena.start_query_execution(QueryString="SELECT 1", WorkGroup=env)
    assert refused.value.response["Error"]["Code"] == "InvalidRequestException"
