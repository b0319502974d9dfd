"""The relational filters every connector honours, and what a table's fingerprint notices."""

from openzone.sources.connectors.base import (
    ColumnInfo,
    FilterExpression,
    RelationalFilter,
    TableInfo,
    only_selected,
    selected,
)


def flt(database, schema=None, *expressions):
    return RelationalFilter(database, schema, tuple(FilterExpression(t, e) for t, e in expressions))


def test_no_filters_import_everything():
    assert selected([], "sales", "public", "orders")


def test_include_and_exclude_globs_on_the_table_name():
    f = [flt("sales", "public", ("INCLUDE", "order*"), ("EXCLUDE", "*_tmp"))]
    assert selected(f, "sales", "public", "orders")
    assert selected(f, "SALES", "Public", "Order_Lines")  # identifiers are case-insensitive
    assert not selected(f, "sales", "public", "orders_tmp")
    assert not selected(f, "sales", "public", "customers")
    assert not selected(f, "sales", "staging", "orders")
    assert not selected(f, "hr", "public", "orders")


def test_a_filter_without_schema_selects_every_schema_and_without_expressions_every_table():
    f = [flt("sales")]
    assert selected(f, "sales", "public", "anything") and selected(f, "sales", "audit", "x")
    assert not selected(f, "hr", None, "x")


def test_exclude_only_keeps_the_rest():
    f = [flt("lake", None, ("EXCLUDE", "raw_*"))]
    assert selected(f, "lake", None, "clean_orders") and not selected(f, "lake", None, "raw_orders")


def test_only_selected_filters_a_stream():
    tables = [TableInfo("sales", n, (), schema="public") for n in ("a", "b", "c")]
    kept = list(only_selected([flt("sales", "public", ("INCLUDE", "[ab]"))], tables))
    assert [t.name for t in kept] == ["a", "b"]


def test_fingerprint_changes_with_what_the_asset_shows():
    base = TableInfo("sales", "orders", (ColumnInfo("id", "integer"),), schema="public")
    same = TableInfo("sales", "orders", (ColumnInfo("id", "integer"),), schema="public")
    assert base.fingerprint() == same.fingerprint()
    for changed in (
        TableInfo("sales", "orders", (ColumnInfo("id", "bigint"),), schema="public"),
        TableInfo("sales", "orders", (ColumnInfo("id", "integer", comment="key"),), schema="public"),
        TableInfo("sales", "orders", (ColumnInfo("id", "integer"), ColumnInfo("x", "text")), schema="public"),
        TableInfo("sales", "orders", (ColumnInfo("id", "integer"),), schema="public", comment="All orders"),
        TableInfo("sales", "orders", (ColumnInfo("id", "integer", primary_key=True),), schema="public"),
        TableInfo("sales", "orders", (ColumnInfo("id", "integer"),), schema="other"),
        TableInfo("sales", "orders", (ColumnInfo("id", "integer"),), schema="public", kind="VIEW"),
        TableInfo("sales", "orders", (ColumnInfo("id", "integer"),), schema="public", location="s3://b/o/"),
        TableInfo("sales", "orders", (ColumnInfo("id", "integer"),), schema="public", extra={"rows": 3}),
        TableInfo("sales", "orders", (ColumnInfo("id", "integer"),), schema="public",
                  partition_keys=(ColumnInfo("day", "date"),)),
    ):
        assert changed.fingerprint() != base.fingerprint()
    assert base.qualified_name == "sales.public.orders"


def test_fingerprint_ignores_facts_that_change_with_the_data():
    first = TableInfo("lake", "events", (ColumnInfo("id", "bigint"),), extra={"fileCount": 3, "totalBytes": 10,
                                                                          "tableArn": "arn:x"})
    appended = TableInfo("lake", "events", (ColumnInfo("id", "bigint"),), extra={"fileCount": 4, "totalBytes": 99,
                                                                             "tableArn": "arn:x"})
    moved = TableInfo("lake", "events", (ColumnInfo("id", "bigint"),), extra={"fileCount": 3, "totalBytes": 10,
                                                                          "tableArn": "arn:y"})
    assert first.fingerprint() == appended.fingerprint() != moved.fingerprint()
    assert not first.failed and TableInfo("lake", "bad", (), extra={"error": "corrupt"}).failed
