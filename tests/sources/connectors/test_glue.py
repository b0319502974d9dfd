"""The Glue connector against a real moto server: what it reads from the Data Catalog, and how it fails."""

import base64
import json

import pytest
from sources.connectors.moto_server import REGION, moto_server, moto_server_with_auth, unique  # noqa: F401

from openzone.sources.connectors import glue
from openzone.sources.connectors.base import (
    TABLE,
    VIEW,
    ColumnInfo,
    ConnectionSpec,
    FilterExpression,
    RelationalFilter,
    SourceUnreachable,
)

ACCOUNT = "123456789012"  # moto's account id


def spec_for(server, **overrides) -> ConnectionSpec:
    options = {"kind": "GLUE", "endpoint_url": server.endpoint_url, "region": REGION, "access_key_id": "testing",
               "secret_access_key": "testing", "timeout_seconds": 2.0, **overrides}
    return ConnectionSpec(**options)


def flt(database, *expressions):
    return RelationalFilter(database, None, tuple(FilterExpression(t, e) for t, e in expressions))


def make_table(client, database, name, columns=(("id", "bigint", None),), **table_input):
    storage = {"Columns": [{"Name": n, "Type": t, **({"Comment": c} if c else {})} for n, t, c in columns],
               **table_input.pop("storage", {})}
    client.create_table(DatabaseName=database,
                        TableInput={"Name": name, "StorageDescriptor": storage, **table_input})


@pytest.fixture
def catalog(moto_server):
    """A fresh database in moto's Glue catalog: (glue client, database name)."""
    client = moto_server.client("glue")
    database = unique("sales")
    client.create_database(DatabaseInput={"Name": database, "Description": "sales data"})
    return client, database


def test_a_table_with_columns_partitions_location_classification_and_its_arn(moto_server, catalog):
    client, database = catalog
    make_table(client, database, "orders",
               columns=(("order_id", "bigint", "the order"), ("items", "array<struct<sku:string,qty:int>>", None)),
               PartitionKeys=[{"Name": "dt", "Type": "string", "Comment": "order day"}],
               Description="every order", TableType="EXTERNAL_TABLE", Parameters={"classification": "Parquet"},
               storage={"Location": "s3://lake/sales/orders/"})

    [table] = glue.connect(spec_for(moto_server)).tables([flt(database)])

    assert (table.database, table.name, table.schema, table.kind) == (database, "orders", None, TABLE)
    assert table.columns == (ColumnInfo("order_id", "bigint", "the order"),
                             ColumnInfo("items", "array<struct<sku:string,qty:int>>"))
    assert table.partition_keys == (ColumnInfo("dt", "string", "order day"),)
    assert table.comment == "every order"
    assert table.location == "s3://lake/sales/orders/"
    assert table.classification == "parquet"
    assert table.view_sql is None
    assert table.extra["catalogId"] == ACCOUNT
    assert table.extra["tableArn"] == f"arn:aws:glue:{REGION}:{ACCOUNT}:table/{database}/orders"


def test_a_virtual_view_is_a_view_with_its_sql_and_athena_views_are_decoded(moto_server, catalog):
    client, database = catalog
    make_table(client, database, "big_orders", TableType="VIRTUAL_VIEW",
               ViewOriginalText="SELECT * FROM orders WHERE total > 100")
    athena = base64.b64encode(json.dumps({"originalSql": "SELECT id FROM orders", "catalog": "awsdatacatalog",
                                          "columns": [{"name": "id", "type": "bigint"}]}).encode()).decode()
    make_table(client, database, "athena_view", TableType="VIRTUAL_VIEW",
               ViewOriginalText=f"/* Presto View: {athena} */")

    tables = {t.name: t for t in glue.connect(spec_for(moto_server)).tables([flt(database)])}

    assert tables["big_orders"].kind == VIEW
    assert tables["big_orders"].view_sql == "SELECT * FROM orders WHERE total > 100"
    assert tables["big_orders"].classification is None
    assert tables["athena_view"].view_sql == "SELECT id FROM orders"


@pytest.mark.parametrize(("table_input", "expected"), [
    ({"Parameters": {"classification": "csv", "table_type": "ICEBERG"}}, "csv"),
    ({"Parameters": {"table_type": "ICEBERG", "metadata_location": "s3://lake/t/metadata/00001.metadata.json"},
      "storage": {"SerdeInfo": {"SerializationLibrary":
                                "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"}}}, "iceberg"),
    ({"storage": {"SerdeInfo": {"SerializationLibrary":
                                "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}}, "parquet"),
    ({"storage": {"InputFormat": "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat"}}, "orc"),
    ({"storage": {"SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
                  "InputFormat": "org.apache.hadoop.mapred.TextInputFormat"}}, "json"),
    ({"storage": {"SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde"}}}, "csv"),
    ({}, None),
])
def test_classification_from_parameters_iceberg_type_or_serde(moto_server, catalog, table_input, expected):
    client, database = catalog
    make_table(client, database, "t", **table_input)
    [table] = glue.connect(spec_for(moto_server)).tables([flt(database)])
    assert table.classification == expected


def test_filters_pick_databases_case_insensitively_and_tables_by_glob(moto_server, catalog):
    client, database = catalog
    other = unique("hr")
    client.create_database(DatabaseInput={"Name": other})
    for name in ("orders", "order_lines", "orders_tmp", "customers"):
        make_table(client, database, name)
    make_table(client, other, "people")
    connector = glue.connect(spec_for(moto_server))

    kept = connector.tables([flt(database.upper(), ("INCLUDE", "order*"), ("EXCLUDE", "*_tmp"))])
    assert [(t.database, t.name) for t in kept] == [(database, "orders"), (database, "order_lines")]

    both = connector.tables([flt(database, ("INCLUDE", "customers")), flt(other)])
    assert [(t.database, t.name) for t in both] == [(database, "customers"), (other, "people")]

    # Glue has no schemas: a schemaName in a filter is ignored rather than matching nothing.
    with_schema = connector.tables([RelationalFilter(other, "public")])
    assert [(t.database, t.name) for t in with_schema] == [(other, "people")]


def test_without_filters_every_database_is_read(moto_server, catalog):
    client, database = catalog
    other = unique("hr")
    client.create_database(DatabaseInput={"Name": other})
    make_table(client, database, "orders")
    make_table(client, other, "people")

    names = [(t.database, t.name) for t in glue.connect(spec_for(moto_server)).tables([])]

    assert (database, "orders") in names and (other, "people") in names


def test_a_filter_naming_an_unknown_database_fails_the_run_saying_which(moto_server):
    missing = unique("nope")
    with pytest.raises(SourceUnreachable) as raised:
        list(glue.connect(spec_for(moto_server)).tables([flt(missing)]))
    assert raised.value.error_type == "RESOURCE_NOT_FOUND_EXCEPTION"
    assert missing in str(raised.value)


def test_check_passes_against_a_running_catalog(moto_server):
    glue.connect(spec_for(moto_server)).check()


def test_an_endpoint_that_is_down_is_unreachable_with_the_endpoint_in_the_message(moto_server):
    from conftest import free_port

    endpoint = f"http://127.0.0.1:{free_port()}"
    connector = glue.connect(spec_for(moto_server, endpoint_url=endpoint))
    for attempt in (connector.check, lambda: list(connector.tables([]))):
        with pytest.raises(SourceUnreachable) as raised:
            attempt()
        assert raised.value.error_type == "INTERNAL_SERVER_EXCEPTION"
        assert "cannot connect" in str(raised.value) and endpoint in str(raised.value)


def test_unknown_credentials_are_access_denied_and_the_secret_never_shows(moto_server_with_auth):
    connector = glue.connect(spec_for(moto_server_with_auth, access_key_id="AKIAUNKNOWN",
                                      secret_access_key="very-secret-value"))
    for attempt in (connector.check, lambda: list(connector.tables([]))):
        with pytest.raises(SourceUnreachable) as raised:
            attempt()
        assert raised.value.error_type == "ACCESS_DENIED_EXCEPTION"
        assert "glue:GetDatabases" in str(raised.value)
        assert "very-secret-value" not in str(raised.value)
    assert "very-secret-value" not in repr(spec_for(moto_server_with_auth, secret_access_key="very-secret-value"))


def test_an_updated_table_carries_its_update_time(moto_server, catalog):
    from datetime import datetime

    client, database = catalog
    make_table(client, database, "orders")
    [created] = glue.connect(spec_for(moto_server)).tables([flt(database)])
    assert "updateTime" not in created.extra  # Glue gives UpdateTime only once a table was updated

    client.update_table(DatabaseName=database, TableInput={
        "Name": "orders", "Description": "now described",
        "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}]}})
    [updated] = glue.connect(spec_for(moto_server)).tables([flt(database)])
    assert updated.comment == "now described"
    assert datetime.fromisoformat(updated.extra["updateTime"]).tzinfo is not None
    assert updated.fingerprint() != created.fingerprint()
