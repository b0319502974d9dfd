"""TableInfo -> DataZone asset: types, forms valid against the system form models, stable external ids."""

import json

import pytest

from openzone.catalog.form_content import validate_content
from openzone.catalog.system_forms import system_form_model
from openzone.sources import mapping
from openzone.sources.connectors.base import ColumnInfo, TableInfo

COLUMNS = (ColumnInfo("id", "integer", "Key", primary_key=True), ColumnInfo("name", "text"))
PG = mapping.SourceContext("POSTGRESQL", "ds1", "123456789012", "eu-west-1", "postgresql://db.local:5432",
                           {"redshiftClusterSource": {"clusterName": "db.local"}})
LAKE = mapping.SourceContext("ICEBERG", "ds2", "123456789012", "us-east-1")
FILES = mapping.SourceContext("FILES", "ds3", "123456789012", "us-east-1", "files:/data/landing")


def forms_of(context, table):
    return {f["formName"]: f for f in mapping.system_forms(context, table, "run1")}


def valid(form):
    type_name = form["typeName"]
    return validate_content(form["formName"], system_form_model(type_name), form["content"])


@pytest.mark.parametrize("kind, asset_type, form_name", [
    ("TABLE", "amazon.datazone.RedshiftTableAssetType", "RedshiftTableForm"),
    ("VIEW", "amazon.datazone.RedshiftViewAssetType", "RedshiftViewForm"),
])
def test_postgresql_tables_and_views_become_redshift_assets(kind, asset_type, form_name):
    table = TableInfo("shop", "customers", COLUMNS, schema="crm", kind=kind, comment="People who buy",
                      view_sql="SELECT 1" if kind == "VIEW" else None)
    assert mapping.asset_type("POSTGRESQL", table) == asset_type
    forms = forms_of(PG, table)
    content = valid(forms[form_name])
    assert content["schemaName"] == "crm" and content["tableDescription"] == "People who buy"
    assert content["columns"][0] == {"columnName": "id", "dataType": "integer", "columnDescription": "Key"}
    assert content["redshiftStorage"] == {"redshiftClusterSource": {"clusterName": "db.local"}}
    assert mapping.external_identifier(PG, table) == "postgresql://db.local:5432/shop/crm/customers"
    assert valid(forms["DataSourceReferenceForm"]) == {"dataSourceIdentifier": "ds1", "dataSourceRunId": "run1"}


def test_lake_tables_are_glue_assets_named_by_their_table_arn():
    table = TableInfo("sales_pub_db", "orders", COLUMNS, location="/lake/sales/orders", classification="iceberg")
    forms = forms_of(LAKE, table)
    content = valid(forms["GlueTableForm"])
    assert content["tableArn"] == "arn:aws:glue:us-east-1:123456789012:table/sales_pub_db/orders"
    assert content["sourceLocation"] == "/lake/sales/orders" and content["catalogId"] == "123456789012"
    assert mapping.external_identifier(LAKE, table) == content["tableArn"]
    assert mapping.asset_type("ICEBERG", table) == "amazon.datazone.GlueTableAssetType"
    view = TableInfo("sales_pub_db", "v", COLUMNS, kind="VIEW", view_sql="SELECT * FROM orders")
    assert valid(forms_of(LAKE, view)["GlueViewForm"])["query"] == "SELECT * FROM orders"


def test_third_party_files_carry_their_provenance():
    table = TableInfo("weather", "daily", COLUMNS, location="/data/landing/weather/daily", classification="parquet",
                      extra={"provenance": {"provider": "Open Weather Ltd", "licence": "CC-BY-4.0", "other": "x"}})
    forms = forms_of(FILES, table)
    assert valid(forms["DataProvenanceForm"]) == {"provider": "Open Weather Ltd", "licence": "CC-BY-4.0"}
    assert mapping.external_identifier(FILES, table) == "files:/data/landing/weather/daily"
    assert "DataProvenanceForm" not in forms_of(FILES, TableInfo("weather", "own", COLUMNS))


def test_columns_digest_sees_columns_only():
    base = TableInfo("d", "t", COLUMNS)
    assert mapping.columns_digest(base) == mapping.columns_digest(TableInfo("d", "t", COLUMNS, comment="new"))
    assert mapping.columns_digest(base) != mapping.columns_digest(TableInfo("d", "t", COLUMNS[:1]))
    assert json.loads(forms_of(LAKE, base)["GlueTableForm"]["content"])["columns"][1] == {
        "columnName": "name", "dataType": "text"}


def test_partition_keys_are_columns_and_data_facts_make_no_new_revision():
    partitioned = TableInfo("weather", "daily", COLUMNS, partition_keys=(ColumnInfo("day", "date"),),
                            extra={"fileCount": 3, "totalBytes": 1000})
    columns = json.loads(forms_of(FILES, partitioned)["GlueTableForm"]["content"])["columns"]
    assert [c["columnName"] for c in columns] == ["id", "name", "day"]
    grown = TableInfo("weather", "daily", COLUMNS, partition_keys=(ColumnInfo("day", "date"),),
                      extra={"fileCount": 4, "totalBytes": 2000})
    assert mapping.fingerprint(grown) == mapping.fingerprint(partitioned)
    licensed = TableInfo("weather", "daily", COLUMNS, partition_keys=(ColumnInfo("day", "date"),),
                         extra={"fileCount": 4, "provenance": {"provider": "Open Weather Ltd"}})
    assert mapping.fingerprint(licensed) != mapping.fingerprint(partitioned)
