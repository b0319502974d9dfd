"""Warehouse grants: approval turns into PostgreSQL privileges for the subscriber's role, revoke takes them back."""

import json

import pytest
from psycopg import errors as pg_errors

from conftest import wait_for
from openzone.db.session import session_scope
from openzone.fulfillment import warehouse
from openzone.fulfillment.models import WarehouseGrant
from openzone.projects.models import Environment
from warehouse_fixtures import warehouse_url, wh_server  # noqa: F401 (fixtures)
from warehouse import (admin_connect, build_warehouse_world, connect_as,
                       grant_asset, login, publish_and_subscribe, redshift_asset)

DENIED = pg_errors.InsufficientPrivilege


@pytest.fixture(scope="module")
def world(wh_server):
    world = build_warehouse_world(wh_server)
    world.producer_login = login(wh_server, world.producer, world.domain.id, world.sales_env["id"])
    world.consumer_login = login(wh_server, world.consumer, world.domain.id, world.analytics_env["id"])
    with connect_as(world.producer_login) as conn:  # the producer works with psql as its environment role
        conn.execute("CREATE TABLE orders (id int, region text, total numeric, card text)")
        conn.execute("INSERT INTO orders VALUES (1, 'EU', 10.5, '4111'), (2, 'US', 20, '5500'), (3, 'EU', 7, '3400')")
        conn.execute("CREATE TABLE payroll AS SELECT 'ceo' AS who, 1000000 AS salary")
    return world


def test_approve_grants_the_table_and_revoke_takes_it_back(wh_server, world):
    asset = redshift_asset(world, "orders", "Orders")
    form = json.loads(next(f["content"] for f in asset["formsOutput"] if f["formName"] == "RedshiftTableForm"))
    assert [(c["columnName"], c["dataType"]) for c in form["columns"]] == [
        ("id", "integer"), ("region", "text"), ("total", "numeric"), ("card", "text")]
    schema = world.producer_login["schema"]
    with connect_as(world.consumer_login) as conn, pytest.raises(DENIED):
        conn.execute(f"SELECT * FROM {schema}.orders")

    subscription, grant_id = publish_and_subscribe(world, asset["id"])
    granted = wait_for(lambda: (a := grant_asset(world, grant_id))["status"] in ("GRANTED", "GRANT_FAILED") and a)
    assert granted["status"] == "GRANTED", granted
    assert granted["targetName"] == f"{schema}.orders"
    with connect_as(world.consumer_login) as conn:
        assert conn.execute(f"SELECT id, region FROM {schema}.orders ORDER BY id").fetchall() == [
            (1, "EU"), (2, "US"), (3, "EU")]
        for statement in (f"SELECT * FROM {schema}.payroll", f"INSERT INTO {schema}.orders (id) VALUES (9)",
                          f"CREATE TABLE {schema}.mine (x int)"):
            with pytest.raises(DENIED):
                conn.execute(statement)

    world.producer.dz.revoke_subscription(domainIdentifier=world.domain.id, identifier=subscription)
    wait_for(lambda: grant_asset(world, grant_id)["status"] == "REVOKED")
    with connect_as(world.consumer_login) as conn:
        for statement in (f"SELECT id FROM {schema}.orders", f"SELECT * FROM {schema}.payroll"):
            with pytest.raises(DENIED):
                conn.execute(statement)


def test_an_approval_scoped_to_filters_grants_only_those_rows_and_columns(wh_server, world):
    with connect_as(world.producer_login) as conn:
        conn.execute("CREATE TABLE shipments (id int, region text, weight numeric, receiver text)")
        conn.execute("INSERT INTO shipments VALUES (1, 'EU', 1.5, 'ann'), (2, 'US', 2, 'bob'), (3, 'EU', 3, 'cy')")
    dz, domain = world.producer.dz, world.domain.id
    asset = redshift_asset(world, "shipments", "Shipments")
    eu = dz.create_asset_filter(domainIdentifier=domain, assetIdentifier=asset["id"], name="EU only", configuration={
        "rowConfiguration": {"rowFilter": {"expression": {"equalTo": {"columnName": "region", "value": "EU"}}}}})
    subscription, grant_id = publish_and_subscribe(world, asset["id"], [{"assetId": asset["id"], "filterIds": [eu["id"]]}])
    granted = wait_for(lambda: (a := grant_asset(world, grant_id))["status"] in ("GRANTED", "GRANT_FAILED") and a)
    assert granted["status"] == "GRANTED", granted
    view = granted["targetName"]
    source = f"{world.producer_login['schema']}.shipments"
    assert view.startswith(world.consumer_login["schema"] + ".")  # a view in the subscriber's own schema
    with connect_as(world.consumer_login) as conn:
        assert conn.execute(f"SELECT id, region FROM {view} ORDER BY id").fetchall() == [(1, "EU"), (3, "EU")]
        assert conn.execute(f"SELECT count(*) FROM {view} WHERE region <> 'EU'").fetchone() == (0,)
        with pytest.raises(DENIED):
            conn.execute(f"SELECT * FROM {source}")
    dz.revoke_subscription(domainIdentifier=domain, identifier=subscription)
    wait_for(lambda: grant_asset(world, grant_id)["status"] == "REVOKED")
    with connect_as(world.consumer_login) as conn, pytest.raises((DENIED, pg_errors.UndefinedTable)):
        conn.execute(f"SELECT * FROM {view}")


def test_a_table_of_another_project_cannot_be_registered(world):
    from botocore.exceptions import ClientError

    content = {"databaseName": world.consumer_login["database"], "schemaName": world.consumer_login["schema"],
               "tableName": "anything"}
    with pytest.raises(ClientError) as refused:
        world.producer.dz.create_asset(
            domainIdentifier=world.domain.id, owningProjectIdentifier=world.sales_id, name="not mine",
            typeIdentifier="amazon.datazone.RedshiftTableAssetType",
            formsInput=[{"formName": "RedshiftTableForm", "typeIdentifier": "amazon.datazone.RedshiftTableFormType",
                         "content": json.dumps(content)}])
    assert "not the schema of a data warehouse environment of this project" in str(refused.value)


@pytest.fixture(scope="module")
def grant_id(world):
    """A real grant (for the warehouse_grants foreign key); the engine tests below use their own asset ids."""
    asset = redshift_asset(world, "payroll", "Payroll")
    _, grant_id = publish_and_subscribe(world, asset["id"])
    wait_for(lambda: grant_asset(world, grant_id)["status"] == "GRANTED")
    return grant_id


def engine(wh_server, world, grant_id, asset_id, table="orders", columns=None, row_filter_sql=None):
    with session_scope(wh_server.settings.metadata_url) as session:
        environment = session.get(Environment, world.analytics_env["id"])
        source = (world.producer_login["database"], world.producer_login["schema"], table)
        return warehouse.grant_table(session, wh_server.settings, grant_id, asset_id, environment, world.sales_id,
                                     source, columns, row_filter_sql)


def revoke(wh_server, grant_id, asset_id):
    with session_scope(wh_server.settings.metadata_url) as session:
        warehouse.revoke_table(session, wh_server.settings, grant_id, asset_id)


def test_only_the_granted_columns_are_readable(wh_server, world, grant_id):
    schema = world.producer_login["schema"]
    assert engine(wh_server, world, grant_id, "cols", columns=("id", "region")) == f"{schema}.orders"
    with connect_as(world.consumer_login) as conn:
        assert conn.execute(f"SELECT id, region FROM {schema}.orders WHERE id = 1").fetchone() == (1, "EU")
        for statement in (f"SELECT card FROM {schema}.orders", f"SELECT * FROM {schema}.orders"):
            with pytest.raises(DENIED):
                conn.execute(statement)
    revoke(wh_server, grant_id, "cols")
    with connect_as(world.consumer_login) as conn, pytest.raises(DENIED):
        conn.execute(f"SELECT id FROM {schema}.orders")
    revoke(wh_server, grant_id, "cols")  # again: nothing left to do, no error


def test_a_row_filter_is_a_security_barrier_view_and_the_source_stays_closed(wh_server, world, grant_id):
    schema, mine = world.producer_login["schema"], world.consumer_login["schema"]
    name = engine(wh_server, world, grant_id, "rows", columns=("id", "total"), row_filter_sql="region = 'EU'")
    assert name == f"{mine}.orders"
    with connect_as(world.consumer_login) as conn:
        assert conn.execute(f"SELECT id, total FROM {mine}.orders ORDER BY id").fetchall() == [(1, 10.5), (3, 7)]
        with pytest.raises(DENIED):
            conn.execute(f"SELECT id FROM {schema}.orders")
        with pytest.raises(pg_errors.UndefinedColumn):  # the view has only the granted columns
            conn.execute(f"SELECT card FROM {mine}.orders")
        with pytest.raises(DENIED):  # not the subscriber's view to change
            conn.execute(f"CREATE OR REPLACE VIEW {mine}.orders AS SELECT 1 AS id, 2 AS total")
    with admin_connect(wh_server.settings.warehouse_url) as conn:
        options, owner = conn.execute(
            "SELECT c.reloptions, pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = 'orders'", (mine,)).fetchone()
        assert options == ["security_barrier=true"] and owner == schema
    revoke(wh_server, grant_id, "rows")
    with connect_as(world.consumer_login) as conn, pytest.raises(pg_errors.UndefinedTable):
        conn.execute(f"SELECT id FROM {mine}.orders")


def test_revoking_one_of_two_grants_keeps_the_other(wh_server, world, grant_id):
    schema = world.producer_login["schema"]
    engine(wh_server, world, grant_id, "whole")
    engine(wh_server, world, grant_id, "part", columns=("id",))
    revoke(wh_server, grant_id, "whole")
    with connect_as(world.consumer_login) as conn:
        assert conn.execute(f"SELECT count(id) FROM {schema}.orders").fetchone() == (3,)
        with pytest.raises(DENIED):
            conn.execute(f"SELECT card FROM {schema}.orders")
    revoke(wh_server, grant_id, "part")
    with connect_as(world.consumer_login) as conn, pytest.raises(DENIED):
        conn.execute(f"SELECT id FROM {schema}.orders")


def test_revoke_tolerates_a_dropped_table_and_grant_fails_on_a_missing_one(wh_server, world, grant_id):
    with connect_as(world.producer_login) as conn:
        conn.execute("CREATE TABLE scratch AS SELECT 1 AS x")
    engine(wh_server, world, grant_id, "scratch", table="scratch")
    with connect_as(world.producer_login) as conn:
        conn.execute("DROP TABLE scratch")
    revoke(wh_server, grant_id, "scratch")
    with session_scope(wh_server.settings.metadata_url) as session:
        assert session.query(WarehouseGrant).filter_by(grant_id=grant_id, asset_id="scratch").count() == 0
    with pytest.raises(warehouse.GrantFailure, match="no longer exists"):
        engine(wh_server, world, grant_id, "gone", table="scratch")
    with pytest.raises(warehouse.GrantFailure, match="no column"):
        engine(wh_server, world, grant_id, "badcol", columns=("nope",))


def test_only_what_the_publishing_project_owns_is_granted(wh_server, world, grant_id):
    with session_scope(wh_server.settings.metadata_url) as session:
        environment = session.get(Environment, world.analytics_env["id"])
        source = (world.producer_login["database"], world.producer_login["schema"], "orders")
        with pytest.raises(warehouse.GrantFailure, match="does not belong"):
            warehouse.grant_table(session, wh_server.settings, grant_id, "foreign", environment, world.analytics_id,
                                  source)


def test_revoke_tolerates_a_role_that_is_gone(wh_server, world, grant_id):
    with session_scope(wh_server.settings.metadata_url) as session:  # what a grant to a deleted environment left
        session.add(WarehouseGrant(grant_id=grant_id, asset_id="ghost", database=world.producer_login["database"],
                                   role="oz_env_gone0000000000", source_schema=world.producer_login["schema"],
                                   source_table="orders", columns=["id"], schema_usage=True))
    revoke(wh_server, grant_id, "ghost")
    with session_scope(wh_server.settings.metadata_url) as session:
        assert session.query(WarehouseGrant).filter_by(grant_id=grant_id, asset_id="ghost").count() == 0


def test_changing_a_filter_changes_what_a_live_warehouse_grant_shows(wh_server, world):
    with connect_as(world.producer_login) as conn:
        conn.execute("CREATE TABLE parcels (id int, region text, receiver text)")
        conn.execute("INSERT INTO parcels VALUES (1, 'EU', 'ann'), (2, 'US', 'bob'), (3, 'APAC', 'cy')")
    dz, domain = world.producer.dz, world.domain.id
    asset = redshift_asset(world, "parcels", "Parcels")
    rows = dz.create_asset_filter(domainIdentifier=domain, assetIdentifier=asset["id"], name="EU", configuration={
        "rowConfiguration": {"rowFilter": {"expression": {"equalTo": {"columnName": "region", "value": "EU"}}}}})
    _, grant_id = publish_and_subscribe(world, asset["id"], [{"assetId": asset["id"], "filterIds": [rows["id"]]}])
    view = wait_for(lambda: (a := grant_asset(world, grant_id))["status"] == "GRANTED" and a)["targetName"]

    def visible():
        with connect_as(world.consumer_login) as conn:
            return conn.execute(f"SELECT id FROM {view} ORDER BY id").fetchall()

    assert visible() == [(1,)]
    dz.update_asset_filter(domainIdentifier=domain, assetIdentifier=asset["id"], identifier=rows["id"], configuration={
        "rowConfiguration": {"rowFilter": {"expression": {"notEqualTo": {"columnName": "region", "value": "EU"}}}}})
    wait_for(lambda: visible() == [(2,), (3,)])
    assert grant_asset(world, grant_id)["status"] == "GRANTED"

    # Now a column filter: the view gives way to column privileges on the source table itself.
    dz.update_asset_filter(domainIdentifier=domain, assetIdentifier=asset["id"], identifier=rows["id"], configuration={
        "columnConfiguration": {"includedColumnNames": ["id", "region"]}})
    source = f"{world.producer_login['schema']}.parcels"
    wait_for(lambda: grant_asset(world, grant_id)["targetName"] == source)
    with connect_as(world.consumer_login) as conn:
        assert conn.execute(f"SELECT id, region FROM {source} ORDER BY id").fetchall() == [
            (1, "EU"), (2, "US"), (3, "APAC")]
        with pytest.raises(DENIED):
            conn.execute(f"SELECT receiver FROM {source}")
    with connect_as(world.consumer_login) as conn, pytest.raises((DENIED, pg_errors.UndefinedTable)):
        conn.execute(f"SELECT * FROM {view}")
    assert grant_asset(world, grant_id)["status"] == "GRANTED"
