"""Database sources end to end through boto3 (server -> worker -> assets): PostgreSQL named as Redshift, MySQL /
MariaDB, and a source that cannot be reached. Files and AWS Glue: test_sources_e2e_files_api.py."""

import json
import uuid
from urllib.parse import urlsplit

import psycopg
import pytest
from sources.e2e import Expected, create_connection, create_source, forms_of, import_then_change, run_to_end
from scenario import build_world
from sources.connectors.test_mysql import HOST as MYSQL_HOST
from sources.connectors.test_mysql import PORT as MYSQL_PORT
from sources.connectors.test_mysql import admin as mysql_admin

from conftest import drop_postgres_database, postgres_database

PASSWORD = "Platypus-2291-Kumquat"  # distinctive, so that a message carrying it is easy to spot

PG_CATALOG = """
CREATE SCHEMA shop;
CREATE TABLE shop.orders (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(10,2));
COMMENT ON TABLE shop.orders IS 'One row per order';
COMMENT ON COLUMN shop.orders.amount IS 'Total in euros';
CREATE TABLE shop.customers (id bigint PRIMARY KEY, name text);
CREATE TABLE shop.returns (order_id bigint, reason text);
CREATE VIEW shop.big_orders AS SELECT id, amount FROM shop.orders WHERE amount > 1000;
COMMENT ON VIEW shop.big_orders IS 'Orders over 1000';
CREATE TABLE public.elsewhere (id int);
"""


@pytest.fixture(scope="module")
def world(server):
    return build_world(server)


@pytest.fixture(scope="module")
def pg_source(world):  # per world: each metadata backend imports (and changes) a source of its own
    """A fresh PostgreSQL database holding PG_CATALOG: (its url parts, a plain psycopg url)."""
    url = postgres_database()
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(PG_CATALOG)
    yield urlsplit(plain), plain
    drop_postgres_database(url)


def test_a_postgresql_database_named_as_redshift(world, pg_source):
    parts, plain = pg_source
    database = parts.path.lstrip("/")
    connection = create_connection(world, f"pg-{uuid.uuid4().hex[:6]}", {"redshiftProperties": {
        "host": parts.hostname, "port": parts.port or 5432, "databaseName": database,
        "credentials": {"usernamePassword": {"username": parts.username or "postgres", "password": PASSWORD}}}})
    source = create_source(world, "shop-pg", "REDSHIFT", connection["connectionId"], {"redshiftRunConfiguration": {
        "relationalFilterConfigurations": [{"databaseName": database, "schemaName": "shop"}]}})
    assert source["type"] == "REDSHIFT" and source["status"] == "READY"

    def change():
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute("ALTER TABLE shop.orders ADD COLUMN currency char(3)")
            conn.execute("DROP TABLE shop.returns")

    assets = import_then_change(world, source, {
        "shop.orders": Expected("RedshiftTableAssetType", "RedshiftTableForm", ["id", "customer", "amount"]),
        "shop.customers": Expected("RedshiftTableAssetType", "RedshiftTableForm", ["id", "name"]),
        "shop.returns": Expected("RedshiftTableAssetType", "RedshiftTableForm", ["order_id", "reason"]),
        "shop.big_orders": Expected("RedshiftViewAssetType", "RedshiftViewForm", ["id", "amount"]),
    }, change, changed="shop.orders", new_column="currency", dropped="shop.returns")
    orders = forms_of(assets["shop.orders"])["RedshiftTableForm"]
    assert (orders["databaseName"], orders["schemaName"], orders["tableName"]) == (database, "shop", "orders")
    assert orders["tableDescription"] == "One row per order"
    amount = next(c for c in orders["columns"] if c["columnName"] == "amount")
    assert amount["columnDescription"] == "Total in euros"
    view = forms_of(assets["shop.big_orders"])["RedshiftViewForm"]
    assert "FROM shop.orders" in view["query"]
    assert assets["shop.orders"]["externalIdentifier"].endswith(f"/{database}/shop/orders")
    assert PASSWORD not in json.dumps(assets, default=str)


@pytest.fixture(scope="module")
def mysql_source(world):
    """A fresh MariaDB/MySQL database of three tables and a view, and a user with a password who may read it."""
    shop, user = f"oz_test_{uuid.uuid4().hex[:10]}", f"oz_{uuid.uuid4().hex[:10]}"
    with mysql_admin() as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{shop}`")
        cur.execute(f"USE `{shop}`")
        cur.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer varchar(100) NOT NULL COMMENT 'Who ordered',"
                    " amount decimal(10,2)) COMMENT 'One row per order'")
        cur.execute("CREATE TABLE customers (id bigint PRIMARY KEY, name text)")
        cur.execute("CREATE TABLE returns (order_id bigint, reason text)")
        cur.execute("CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 1000")
        cur.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (user, PASSWORD))
        cur.execute(f"GRANT SELECT, SHOW VIEW ON `{shop}`.* TO %s@'%%'", (user,))
    yield shop, user
    with mysql_admin() as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{shop}`")
        cur.execute("DROP USER IF EXISTS %s@'%%'", (user,))


def test_a_mysql_database_through_a_glue_connection(world, mysql_source):
    shop, user = mysql_source
    connection = create_connection(world, f"mysql-{uuid.uuid4().hex[:6]}", {"glueProperties": {"glueConnectionInput": {
        "connectionType": "MYSQL",
        "connectionProperties": {"HOST": MYSQL_HOST, "PORT": str(MYSQL_PORT), "DATABASE": shop},
        "authenticationConfiguration": {"authenticationType": "BASIC", "basicAuthenticationCredentials": {
            "userName": user, "password": PASSWORD}}}}})
    assert connection["type"] == "MYSQL"
    source = create_source(world, "shop-mysql", "MYSQL", connection["connectionId"], {"glueRunConfiguration": {
        "relationalFilterConfigurations": [{"databaseName": shop}]}})
    assert source["type"] == "MYSQL"

    def change():
        with mysql_admin() as conn, conn.cursor() as cur:
            cur.execute(f"ALTER TABLE `{shop}`.orders ADD COLUMN currency char(3)")
            cur.execute(f"DROP TABLE `{shop}`.returns")

    assets = import_then_change(world, source, {
        "orders": Expected("GlueTableAssetType", "GlueTableForm", ["id", "customer", "amount"]),
        "customers": Expected("GlueTableAssetType", "GlueTableForm", ["id", "name"]),
        "returns": Expected("GlueTableAssetType", "GlueTableForm", ["order_id", "reason"]),
        "big_orders": Expected("GlueViewAssetType", "GlueViewForm", ["id", "amount"]),
    }, change, changed="orders", new_column="currency", dropped="returns")
    orders = forms_of(assets["orders"])["GlueTableForm"]
    assert (orders["databaseName"], orders["tableName"]) == (shop, "orders")
    assert orders["tableDescription"] == "One row per order"
    customer = next(c for c in orders["columns"] if c["columnName"] == "customer")
    assert customer["columnDescription"] == "Who ordered"
    assert PASSWORD not in json.dumps(assets, default=str)


def test_an_unreachable_source_fails_its_run_without_showing_the_password(world):
    connection = create_connection(world, f"pg-down-{uuid.uuid4().hex[:6]}", {"redshiftProperties": {
        "host": "127.0.0.1", "port": 9, "databaseName": "nowhere",
        "credentials": {"usernamePassword": {"username": "reader", "password": PASSWORD}}}})
    source = create_source(world, "down", "REDSHIFT", connection["connectionId"], {"redshiftRunConfiguration": {
        "relationalFilterConfigurations": [{"databaseName": "nowhere"}]}})
    run = run_to_end(world, source["id"])
    assert run["status"] == "FAILED", run
    # The PostgreSQL connector calls a refused connection a VALIDATION_EXCEPTION (check host and port).
    assert run["errorMessage"]["errorType"] == "VALIDATION_EXCEPTION"
    detail = run["errorMessage"]["errorDetail"]
    assert "127.0.0.1" in detail and "connection refused" in detail and PASSWORD not in detail
    assert run["runStatisticsForAssets"] == {"added": 0, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}
    dz = world.producer.dz
    assert dz.list_data_source_run_activities(domainIdentifier=world.domain_id, identifier=run["id"])["items"] == []
    got = dz.get_data_source(domainIdentifier=world.domain_id, identifier=source["id"])
    assert got["lastRunStatus"] == "FAILED" and got["lastRunErrorMessage"] == run["errorMessage"]
    assert PASSWORD not in json.dumps(got, default=str)
