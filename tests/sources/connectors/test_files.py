"""The files connector on real files: a local folder and the same layouts on S3 (a moto server)."""

import gzip
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sources.connectors.moto_server import REGION, moto_server, moto_server_with_auth, unique  # noqa: F401

from openzone.sources.connectors import files
from openzone.sources.connectors.base import (
    ColumnInfo,
    ConnectionSpec,
    FilterExpression,
    RelationalFilter,
    SourceUnreachable,
)

PROVENANCE = {"provider": "ACME Data", "licence": "CC-BY-4.0"}


def write_parquet(path: Path, **columns) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def local(path, **options) -> files.FilesConnector:
    return files.connect(ConnectionSpec(kind="FILES", path=str(path), options=options))


def by_name(tables) -> dict:
    return {t.name: t for t in tables}


def flt(database, *expressions):
    return RelationalFilter(database, None, tuple(FilterExpression(t, e) for t, e in expressions))


@pytest.fixture
def lake(tmp_path) -> Path:
    """A folder of a partitioned Parquet table, a CSV, NDJSON and a single-file table, with the usual litter."""
    root = tmp_path / "lake"
    write_parquet(root / "orders/year=2024/month=1/part-0.parquet", order_id=[1, 2], total=[9.5, 20.0])
    # A later file adds a column: the schema is the union of the files'.
    write_parquet(root / "orders/year=2024/month=2/part-0.parquet", order_id=[3], total=[1.0],
                  items=pa.array([[{"sku": "a", "qty": 1}]]))
    write_text(root / "orders/_SUCCESS", "")
    write_text(root / "orders/year=2024/month=1/.part-0.parquet.crc", "crc")
    write_parquet(root / "orders/_temporary/0/part-9.parquet", junk=[1])  # a writer's leftovers: not data
    write_text(root / "_staging.csv", "junk\n1\n")
    write_text(root / "people/people.csv", "id;name;born\n1;Ann;1990-01-02\n2;Bob;1985-12-31\n")
    write_text(root / "events/day=2024-03-01/events.jsonl",
               '{"id": 1, "kind": "click", "at": {"page": "/", "ms": 12}}\n{"id": 2, "kind": "view"}\n')
    write_text(root / "countries.csv", "code,name\nFR,France\nDE,Germany\n")
    write_text(root / "README.txt", "not a table")
    return root


def test_a_local_folder_is_one_database_of_tables_with_hive_types_and_partitions(lake):
    tables = list(local(lake, provenance=PROVENANCE).tables([]))

    assert [(t.database, t.name) for t in tables] == [
        ("lake", "countries"), ("lake", "events"), ("lake", "orders"), ("lake", "people")]
    orders, people, events, countries = (by_name(tables)[n] for n in ("orders", "people", "events", "countries"))

    assert orders.columns == (ColumnInfo("order_id", "bigint"), ColumnInfo("total", "double"),
                              ColumnInfo("items", "array<struct<sku:string,qty:bigint>>"))
    assert orders.partition_keys == (ColumnInfo("year", "bigint"), ColumnInfo("month", "bigint"))
    assert (orders.classification, orders.location) == ("parquet", str(lake / "orders"))
    data_files = list((lake / "orders").glob("year=*/month=*/*.parquet"))
    assert orders.extra["fileCount"] == 2
    assert orders.extra["totalBytes"] == sum(f.stat().st_size for f in data_files)
    assert "error" not in orders.extra

    assert people.columns == (ColumnInfo("id", "bigint"), ColumnInfo("name", "string"), ColumnInfo("born", "date"))
    assert (people.classification, people.extra["delimiter"], people.extra["header"]) == ("csv", ";", True)

    assert events.classification == "json"
    assert events.columns == (ColumnInfo("id", "bigint"), ColumnInfo("kind", "string"),
                              ColumnInfo("at", "struct<page:string,ms:bigint>"))
    assert events.partition_keys == (ColumnInfo("day", "date"),)

    assert countries.location == str(lake / "countries.csv")
    assert countries.columns == (ColumnInfo("code", "string"), ColumnInfo("name", "string"))
    assert all(t.extra["provenance"] == PROVENANCE for t in tables)


def test_csv_variants_tsv_without_header_and_gzip_and_a_json_array(tmp_path):
    write_text(tmp_path / "tsv/data.tsv", "1\talpha\t2.5\n2\tbeta\t3.5\n")
    (tmp_path / "zipped").mkdir()
    (tmp_path / "zipped/data.csv.gz").write_bytes(gzip.compress(b"k,v\n1,true\n2,false\n"))
    write_text(tmp_path / "array/data.json", json.dumps([{"a": 1, "b": [1, 2]}, {"a": 2, "b": []}]))

    tables = by_name(local(tmp_path).tables([]))

    assert [c.data_type for c in tables["tsv"].columns] == ["bigint", "string", "double"]
    assert (tables["tsv"].extra["delimiter"], tables["tsv"].extra["header"]) == ("\t", False)
    assert tables["zipped"].columns == (ColumnInfo("k", "bigint"), ColumnInfo("v", "boolean"))
    assert tables["array"].columns == (ColumnInfo("a", "bigint"), ColumnInfo("b", "array<bigint>"))


def test_a_partition_key_also_stored_in_the_files_is_listed_once_as_partition_key(tmp_path):
    write_parquet(tmp_path / "t/region=eu/a.parquet", id=[1], region=["eu"])
    write_parquet(tmp_path / "t/region=us%2Feast/b.parquet", id=[2], region=["us/east"])

    [table] = local(tmp_path).tables([])

    assert table.columns == (ColumnInfo("id", "bigint"),)
    assert table.partition_keys == (ColumnInfo("region", "string"),)


def test_unreadable_tables_fail_alone_with_their_error(lake):
    (lake / "broken").mkdir()
    (lake / "broken/part-0.parquet").write_bytes(b"PAR1 this is not parquet at all PAR1")
    write_parquet(lake / "mixed/a.parquet", id=[1])
    write_text(lake / "mixed/b.csv", "id\n2\n")
    write_parquet(lake / "uneven/dt=2024-01-01/a.parquet", id=[1])
    write_parquet(lake / "uneven/b.parquet", id=[2])
    write_text(lake / "docs/LICENSE.txt", "text")

    tables = by_name(local(lake, provenance=PROVENANCE).tables([]))

    for name, words in [("broken", "part-0.parquet"), ("mixed", "mixes csv and parquet"),
                        ("uneven", "different partition folders"), ("docs", "no Parquet, CSV or JSON")]:
        assert tables[name].columns == (), name
        assert words in tables[name].extra["error"], tables[name].extra["error"]
        assert tables[name].extra["errorType"] == "VALIDATION_EXCEPTION"
        assert tables[name].extra["provenance"] == PROVENANCE
    assert tables["broken"].extra["fileCount"] == 1
    assert tables["orders"].columns and "error" not in tables["orders"].extra


def test_databases_layout_names_database_option_and_filters(lake, tmp_path):
    sales = tmp_path / "warehouse/sales"
    write_parquet(sales / "orders/a.parquet", id=[1])
    write_parquet(sales / "orders_tmp/a.parquet", id=[1])
    write_text(sales / "refunds.csv", "id\n1\n")
    write_parquet(tmp_path / "warehouse/hr/people/a.parquet", id=[1])
    warehouse = local(tmp_path / "warehouse", layout="databases")

    assert [(t.database, t.name) for t in warehouse.tables([])] == [
        ("hr", "people"), ("sales", "orders"), ("sales", "orders_tmp"), ("sales", "refunds")]
    kept = warehouse.tables([flt("SALES", ("INCLUDE", "orders*"), ("EXCLUDE", "*_tmp"))])
    assert [(t.database, t.name) for t in kept] == [("sales", "orders")]
    assert [t.name for t in warehouse.tables([RelationalFilter("hr", "public")])] == ["people"]

    named = local(lake, database="shop").tables([flt("shop", ("INCLUDE", "people"))])
    assert [(t.database, t.name) for t in named] == [("shop", "people")]


def test_a_file_named_like_a_table_folder_keeps_its_extension(tmp_path):
    write_parquet(tmp_path / "orders/a.parquet", id=[1])
    write_text(tmp_path / "orders.csv", "id\n1\n")
    assert [t.name for t in local(tmp_path).tables([])] == ["orders", "orders.csv"]


def test_names_with_quotes_and_spaces_reach_duckdb_as_parameters(tmp_path):
    write_text(tmp_path / "it's data/o'brien; DROP.csv", "a\n1\n")
    [table] = local(tmp_path).tables([])
    assert (table.name, table.columns) == ("it's data", (ColumnInfo("a", "bigint"),))


def test_the_same_folder_gives_the_same_fingerprints_and_a_new_column_changes_one(lake):
    first = {t.name: t.fingerprint() for t in local(lake).tables([])}
    assert first == {t.name: t.fingerprint() for t in local(lake).tables([])}
    write_text(lake / "people/people.csv", "id;name;born;email\n1;Ann;1990-01-02;a@x\n")
    second = {t.name: t.fingerprint() for t in local(lake).tables([])}
    assert [n for n in first if first[n] != second[n]] == ["people"]


# --- where a path may lead ----------------------------------------------------------------------------


def test_paths_with_dotdot_or_outside_the_allowed_root_are_refused(tmp_path):
    allowed = tmp_path / "sources"
    write_text(allowed / "ok/t/a.csv", "a\n1\n")
    write_text(tmp_path / "secret/t/a.csv", "a\n1\n")

    for path in (f"{allowed}/../secret", "ok/../../secret"):
        with pytest.raises(SourceUnreachable) as raised:
            local(path, allowed_root=str(allowed))
        assert raised.value.error_type == "VALIDATION_EXCEPTION"
    with pytest.raises(SourceUnreachable) as raised:
        local(tmp_path / "secret", allowed_root=str(allowed))
    assert raised.value.error_type == "ACCESS_DENIED_EXCEPTION"

    assert [t.name for t in local("ok", allowed_root=str(allowed)).tables([])] == ["t"]
    with pytest.raises(SourceUnreachable, match="absolute"):
        local("ok")  # without a root to resolve it from, a relative path would depend on the server's cwd


def test_symlinks_out_of_the_root_are_skipped_and_linked_folders_not_followed(tmp_path):
    root = tmp_path / "root"
    write_text(root / "t/a.csv", "a\n1\n")
    write_text(tmp_path / "outside/b.csv", "b\n1\n")
    os.symlink(tmp_path / "outside/b.csv", root / "t/b.csv")
    os.symlink(tmp_path / "outside", root / "linked")
    os.symlink(root / "t/a.csv", root / "inside.csv")

    tables = by_name(local(root).tables([]))

    assert sorted(tables) == ["inside", "t"]
    assert tables["t"].columns == (ColumnInfo("a", "bigint"),) and tables["t"].extra["fileCount"] == 1
    assert tables["inside"].columns == (ColumnInfo("a", "bigint"),)


def test_a_missing_folder_is_unreachable_with_its_path(tmp_path):
    connector = local(tmp_path / "nope")
    for attempt in (connector.check, lambda: list(connector.tables([]))):
        with pytest.raises(SourceUnreachable) as raised:
            attempt()
        assert raised.value.error_type == "RESOURCE_NOT_FOUND_EXCEPTION"
        assert str(tmp_path / "nope") in str(raised.value)


def test_an_unknown_layout_is_a_validation_error(tmp_path):
    with pytest.raises(SourceUnreachable) as raised:
        local(tmp_path, layout="flat")
    assert raised.value.error_type == "VALIDATION_EXCEPTION"


# --- the same over S3 ---------------------------------------------------------------------------------


def s3(server, path, **overrides) -> files.FilesConnector:
    options = {"kind": "FILES", "path": path, "endpoint_url": server.endpoint_url, "region": REGION,
               "access_key_id": "testing", "secret_access_key": "testing", "timeout_seconds": 2.0, **overrides}
    return files.connect(ConnectionSpec(**options))


def upload(server, bucket: str, prefix: str, root: Path) -> None:
    client = server.client("s3")
    for path in sorted(root.rglob("*")):
        if path.is_file():
            client.upload_file(str(path), bucket, f"{prefix}{path.relative_to(root).as_posix()}")


def test_an_s3_prefix_reads_like_the_same_local_folder(moto_server, lake):
    (lake / "broken").mkdir()
    (lake / "broken/part-0.parquet").write_bytes(b"PAR1 this is not parquet at all PAR1")
    bucket = unique("lake")
    moto_server.client("s3").create_bucket(Bucket=bucket)
    upload(moto_server, bucket, "raw/lake/", lake)
    moto_server.client("s3").put_object(Bucket=bucket, Key="raw/lake/orders/", Body=b"")  # a console "folder"
    upload(moto_server, bucket, "raw/elsewhere/", lake)  # beside the root: never read

    remote = list(s3(moto_server, f"s3://{bucket}/raw/lake", options={"provenance": PROVENANCE}).tables([]))
    here = by_name(local(lake).tables([]))

    assert [t.name for t in remote] == ["broken", "countries", "events", "orders", "people"]
    for table in remote:
        assert table.database == "lake"
        assert table.columns == here[table.name].columns
        assert table.partition_keys == here[table.name].partition_keys
        assert table.classification == here[table.name].classification
        assert table.extra["provenance"] == PROVENANCE
    tables = by_name(remote)
    assert tables["orders"].location == f"s3://{bucket}/raw/lake/orders/"
    assert tables["countries"].location == f"s3://{bucket}/raw/lake/countries.csv"
    assert tables["orders"].extra["fileCount"] == 2
    assert tables["orders"].extra["totalBytes"] == here["orders"].extra["totalBytes"]
    assert tables["broken"].columns == () and "part-0.parquet" in tables["broken"].extra["error"]


def test_a_whole_bucket_is_a_database_named_after_it(moto_server, tmp_path):
    bucket = unique("data")
    moto_server.client("s3").create_bucket(Bucket=bucket)
    write_text(tmp_path / "t/a.csv", "a\n1\n")
    upload(moto_server, bucket, "", tmp_path)
    connector = s3(moto_server, f"s3://{bucket}")
    connector.check()
    assert [(t.database, t.name) for t in connector.tables([])] == [(bucket, "t")]


def test_a_missing_bucket_and_refused_credentials_are_unreachable(moto_server, moto_server_with_auth):
    missing = unique("nope")
    with pytest.raises(SourceUnreachable) as raised:
        s3(moto_server, f"s3://{missing}/x").check()
    assert raised.value.error_type == "RESOURCE_NOT_FOUND_EXCEPTION" and missing in str(raised.value)

    refused = s3(moto_server_with_auth, "s3://any-bucket/x", access_key_id="AKIAUNKNOWN",
                 secret_access_key="very-secret-value")
    for attempt in (refused.check, lambda: list(refused.tables([]))):
        with pytest.raises(SourceUnreachable) as raised:
            attempt()
        assert raised.value.error_type == "ACCESS_DENIED_EXCEPTION"
        assert "s3:ListBucket" in str(raised.value) and "very-secret-value" not in str(raised.value)


def test_schema_comes_from_the_first_last_and_evenly_spread_files(tmp_path):
    for day in range(1, 6):
        write_parquet(tmp_path / f"t/day={day}/a.parquet", id=[day], **{f"only_in_{day}": [day]})
    [table] = local(tmp_path, schema_files=2).tables([])
    assert [c.name for c in table.columns] == ["id", "only_in_1", "only_in_5"]
    assert table.extra["fileCount"] == 5


def test_duckdb_may_read_only_below_the_root(tmp_path):
    write_text(tmp_path / "root/t/a.csv", "a\n1\n")
    write_text(tmp_path / "outside.csv", "b\n1\n")
    con = local(tmp_path / "root")._duckdb()
    try:
        assert con.sql("SELECT * FROM read_csv(?)", params=[str(tmp_path / "root/t/a.csv")]).fetchall() == [(1,)]
        with pytest.raises(Exception, match="disabled by configuration"):
            con.sql("SELECT * FROM read_csv(?)", params=[str(tmp_path / "outside.csv")]).fetchall()
        with pytest.raises(Exception, match="lock"):
            con.execute("SET enable_external_access = true")
    finally:
        con.close()


def test_s3_keys_with_quotes_spaces_escapes_and_accents_are_read(moto_server, tmp_path):
    bucket = unique("odd")
    client = moto_server.client("s3")
    client.create_bucket(Bucket=bucket)
    write_parquet(tmp_path / "a.parquet", id=[1])
    for key in ("r/t/region=us%2Feast/a.parquet", "r/it's data/o'brien; DROP x+y.parquet", "r/u/é ü.parquet"):
        client.upload_file(str(tmp_path / "a.parquet"), bucket, key)

    tables = by_name(s3(moto_server, f"s3://{bucket}/r").tables([]))

    assert sorted(tables) == ["it's data", "t", "u"]
    assert all(t.columns == (ColumnInfo("id", "bigint"),) for t in tables.values())
    assert tables["t"].partition_keys == (ColumnInfo("region", "string"),)


def test_an_s3_file_duckdb_cannot_fetch_is_reported_with_the_http_error_type(moto_server):
    bucket = unique("gone")
    moto_server.client("s3").create_bucket(Bucket=bucket)
    connector = s3(moto_server, f"s3://{bucket}/r")
    con = connector._duckdb()
    try:
        with pytest.raises(Exception) as raised:  # what DuckDB says when the object vanished after the listing
            con.sql("SELECT * FROM read_parquet(?)", params=[f"s3://{bucket}/r/t/a.parquet"]).types
    finally:
        con.close()
    message = files._first_line(raised.value)
    assert files._HTTP_ERROR_TYPES[files._http_status(message)] == "RESOURCE_NOT_FOUND_EXCEPTION"


def test_a_path_to_one_partitioned_table_folder_is_that_table(lake, moto_server):
    [orders] = local(lake / "orders").tables([])
    assert (orders.database, orders.name, orders.location) == ("lake", "orders", str(lake / "orders"))
    assert orders.partition_keys == (ColumnInfo("year", "bigint"), ColumnInfo("month", "bigint"))
    assert orders.extra["fileCount"] == 2

    [people] = local(lake / "people", layout="table", database="crm").tables([flt("crm")])
    assert (people.database, people.name, people.classification) == ("crm", "people", "csv")

    bucket = unique("one")
    moto_server.client("s3").create_bucket(Bucket=bucket)
    upload(moto_server, bucket, "lake/orders/", lake / "orders")
    [remote] = s3(moto_server, f"s3://{bucket}/lake/orders/").tables([])
    assert (remote.database, remote.name, remote.location) == ("lake", "orders", f"s3://{bucket}/lake/orders/")
    assert (remote.columns, remote.partition_keys) == (orders.columns, orders.partition_keys)
