"""A filtered table in the sandbox: only its allowed columns and rows exist, and its files are unreachable."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from openzone.lake.warehouse import Warehouse
from openzone.query.sandbox import SandboxOpenError, SandboxPool, SandboxSpec, ViewFilter, open_sandbox
from openzone.subscriptions.row_filters import to_sql

EU = {"expression": {"equalTo": {"columnName": "region", "value": "EU"}}}


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    warehouse = Warehouse(f"sqlite:///{tmp_path}/catalog.db", tmp_path / "lake")
    warehouse.create_database("sales")
    warehouse.create_table("sales", "people", pa.table({
        "id": [1, 2, 3, 4], "region": ["EU", "US", "EU", None], "ssn": ["111", "222", "333", "444"]}))
    warehouse.create_table("sales", "regions", pa.table({"region": ["EU", "US"], "name": ["Europe", "America"]}))
    yield warehouse
    warehouse.close()


def _spec(wh: Warehouse, shown: ViewFilter) -> SandboxSpec:
    tables = {"people": wh.table("sales", "people"), "regions": wh.table("sales", "regions")}
    return SandboxSpec({"sub": tables}, default_database="sub", filters={("sub", "people"): shown})


@pytest.fixture
def con(wh: Warehouse, ext_dir: Path) -> duckdb.DuckDBPyConnection:
    connection = open_sandbox(_spec(wh, ViewFilter(("id", "region"), to_sql(EU, "duckdb"))), ext_dir)
    yield connection
    connection.close()


def test_only_allowed_columns_and_rows_exist(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("SELECT * FROM people ORDER BY id").fetchall() == [(1, "EU"), (3, "EU")]
    assert [r[0] for r in con.execute("DESCRIBE people").fetchall()] == ["id", "region"]
    columns = con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'people'").fetchall()
    assert columns == [("id",), ("region",)]
    with pytest.raises(duckdb.BinderException):
        con.execute("SELECT ssn FROM people")
    # Joins and aggregates see the same rows; the unfiltered table next to it is whole.
    assert con.execute("SELECT count(*), max(r.name) FROM people p JOIN regions r USING (region)").fetchone() == (2, "Europe")
    assert con.execute("SELECT count(*) FROM regions").fetchone() == (2,)


def test_the_filtered_tables_files_are_unreachable(con: duckdb.DuckDBPyConnection, wh: Warehouse) -> None:
    """Even SQL the engine would refuse (file-reading functions) cannot reach the unfiltered data."""
    people = wh.table("sales", "people")
    data_file = next(str(p) for p in Path(people.location, "data").glob("*.parquet"))
    for sql in (f"SELECT * FROM iceberg_scan('{people.metadata_location}')",
                f"SELECT * FROM read_parquet('{people.location}/data/*.parquet')",
                f"SELECT * FROM read_parquet('{data_file}')",
                f"SELECT * FROM '{data_file}'",
                f"SELECT * FROM glob('{people.location}/**')"):
        with pytest.raises(duckdb.PermissionException):
            con.execute(sql)
    # The catalog does not point at the files either.
    sql_texts = " ".join(str(r) for r in con.execute("SELECT sql FROM duckdb_tables()").fetchall())
    assert people.location not in sql_texts


def test_a_changed_filter_is_a_new_sandbox(wh: Warehouse, ext_dir: Path) -> None:
    pool = SandboxPool(size=4)
    eu = _spec(wh, ViewFilter(None, to_sql(EU, "duckdb")))
    us = _spec(wh, ViewFilter(None, to_sql({"expression": {"equalTo": {"columnName": "region", "value": "US"}}},
                                           "duckdb")))
    assert eu.cache_key() != us.cache_key()
    assert pool.cursor(eu, ext_dir).execute("SELECT id FROM people ORDER BY id").fetchall() == [(1,), (3,)]
    assert pool.cursor(us, ext_dir).execute("SELECT id, ssn FROM people").fetchall() == [(2, "222")]
    assert eu.allowed_directories() == [wh.table("sales", "regions").location.rstrip("/") + "/"]


def test_a_copy_larger_than_the_memory_limit_fails_instead_of_showing_more(tmp_path: Path, ext_dir: Path) -> None:
    warehouse = Warehouse(f"sqlite:///{tmp_path}/big.db", tmp_path / "big")
    warehouse.create_database("sales")
    warehouse.create_table("sales", "wide", pa.table({"id": list(range(2_000_000)),
                                                       "pad": ["x" * 40] * 2_000_000}))
    spec = SandboxSpec({"sub": {"wide": warehouse.table("sales", "wide")}}, default_database="sub",
                       memory_limit="20MB", filters={("sub", "wide"): ViewFilter(None, "\"id\" >= 0")})
    with pytest.raises(SandboxOpenError):
        open_sandbox(spec, ext_dir)
    warehouse.close()
