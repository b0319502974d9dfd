"""The Iceberg warehouse and the offline DuckDB extension directory, on real pyiceberg and DuckDB."""

from __future__ import annotations

import datetime as dt
import decimal
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from sqlalchemy import event

from conftest import drop_postgres_database, postgres_database
from openzone.lake.extensions import duckdb_config, prepare_extension_dir
from openzone.lake.warehouse import TableRef, Warehouse


@pytest.fixture(scope="module")
def postgres_catalog_url() -> str:
    """A fresh PostgreSQL database for the catalog; skipped (failed in CI) if PostgreSQL is down."""
    url = postgres_database()
    yield url
    drop_postgres_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def wh(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/catalog.db"
    else:
        url = request.getfixturevalue("postgres_catalog_url")
    warehouse = Warehouse(url, tmp_path / "lake")
    yield warehouse
    if request.param == "postgres":
        warehouse.catalog.destroy_tables()  # the next test starts from an empty catalog
    warehouse.close()


def _orders(n: int = 3) -> pa.Table:
    return pa.table(
        {"id": pa.array(range(n), pa.int64()), "amount": pa.array([1.5] * n, pa.float64())}
    )


def _rows(wh: Warehouse, db: str, name: str) -> int:
    return wh.catalog.load_table((db, name)).scan().to_arrow().num_rows


# extensions


def test_extension_dir_links_the_wheels_idempotently(tmp_path: Path) -> None:
    base = prepare_extension_dir(tmp_path / "ext")
    assert prepare_extension_dir(tmp_path / "ext") == base
    platform = duckdb.connect().execute("PRAGMA platform").fetchone()[0]
    folder = base / f"v{duckdb.__version__}" / platform
    names = sorted(p.name for p in folder.iterdir())
    assert "iceberg.duckdb_extension" in names and "avro.duckdb_extension" in names
    assert all((folder / n).is_symlink() and (folder / n).exists() for n in names)
    config = duckdb_config(base)
    assert config["autoload_known_extensions"] == "false"
    with duckdb.connect(config=config) as con:
        con.execute("LOAD iceberg")
        con.execute("LOAD tpch")


def test_extension_dir_replaces_a_stale_link(tmp_path: Path) -> None:
    base = prepare_extension_dir(tmp_path / "ext")
    link = next((base / f"v{duckdb.__version__}").glob("*/iceberg.duckdb_extension"))
    link.unlink()
    link.symlink_to(tmp_path / "nowhere")
    prepare_extension_dir(base)
    assert link.exists() and os.path.getsize(link) > 0


# names


@pytest.mark.parametrize(
    "name", ["", "sales\n", "Sales", "1sales", "a-b", "a.b", "a/b", "../x", "x" * 129, "a b", "é", 'a"b']
)
def test_invalid_names_are_refused(wh: Warehouse, name: str) -> None:
    with pytest.raises(ValueError):
        wh.create_database(name)
    wh.create_database("sales")
    with pytest.raises(ValueError):
        wh.create_table("sales", name, _orders())
    with pytest.raises(ValueError):
        wh.table("sales", name)


# databases


def test_create_database_is_idempotent(wh: Warehouse) -> None:
    assert not wh.database_exists("sales")
    wh.create_database("sales")
    wh.create_database("sales")
    assert wh.database_exists("sales")
    assert wh.list_tables("sales") == {}


def test_drop_database_drops_its_tables_and_files(wh: Warehouse) -> None:
    wh.create_database("sales")
    ref = wh.create_table("sales", "orders", _orders())
    wh.drop_database("sales")
    assert not wh.database_exists("sales")
    assert not Path(ref.location).exists()
    wh.drop_database("sales")  # a missing database is not an error
    wh.create_database("sales")
    assert wh.list_tables("sales") == {}


# tables


def test_create_table_and_refs(wh: Warehouse) -> None:
    wh.create_database("sales")
    ref = wh.create_table("sales", "orders", _orders())
    assert isinstance(ref, TableRef)
    assert (ref.database, ref.name) == ("sales", "orders")
    assert ref.metadata_location.startswith("file://")
    assert ref.metadata_location.endswith(".metadata.json")
    assert not ref.location.startswith("file://")
    assert Path(ref.location).is_dir()
    assert Path(ref.location).is_relative_to(wh.warehouse_dir)
    assert wh.table("sales", "orders") == ref
    assert _rows(wh, "sales", "orders") == 3


def test_create_table_refuses_an_existing_name(wh: Warehouse) -> None:
    wh.create_database("sales")
    wh.create_table("sales", "orders", _orders())
    with pytest.raises(FileExistsError, match="sales.orders already exists"):
        wh.create_table("sales", "orders", _orders())


def test_create_table_needs_the_database(wh: Warehouse) -> None:
    with pytest.raises(LookupError, match="Database nope does not exist"):
        wh.create_table("nope", "orders", _orders())


def test_missing_table_is_a_lookup_error(wh: Warehouse) -> None:
    wh.create_database("sales")
    with pytest.raises(LookupError, match="Table sales.nope does not exist"):
        wh.table("sales", "nope")
    with pytest.raises(LookupError):
        wh.table("nodb", "nope")
    with pytest.raises(LookupError):
        wh.columns("sales", "nope")
    with pytest.raises(LookupError):
        wh.drop_table("sales", "nope")


def test_list_tables_matches_table_and_uses_one_query(wh: Warehouse) -> None:
    wh.create_database("sales")
    wh.create_database("other")
    for name in ("a", "b", "c", "d"):
        wh.create_table("sales", name, _orders())
    wh.create_table("other", "x", _orders())
    statements: list[str] = []
    listener = lambda conn, cursor, stmt, *a: statements.append(stmt)  # noqa: E731
    event.listen(wh.catalog.engine, "before_cursor_execute", listener)
    try:
        tables = wh.list_tables("sales")
    finally:
        event.remove(wh.catalog.engine, "before_cursor_execute", listener)
    assert len(statements) == 1
    assert list(tables) == ["a", "b", "c", "d"]
    for name, ref in tables.items():
        assert ref == wh.table("sales", name)


def test_columns_have_glue_type_names(wh: Warehouse) -> None:
    wh.create_database("sales")
    data = pa.table(
        {
            "b": pa.array([True]),
            "i": pa.array([1], pa.int32()),
            "l": pa.array([1], pa.int64()),
            "f": pa.array([1.0], pa.float32()),
            "d": pa.array([1.0], pa.float64()),
            "dec": pa.array([decimal.Decimal("1.25")], pa.decimal128(10, 2)),
            "s": pa.array(["x"]),
            "bin": pa.array([b"x"]),
            "day": pa.array([dt.date(2024, 1, 1)]),
            "ts": pa.array([dt.datetime(2024, 1, 1)], pa.timestamp("us")),
            "tstz": pa.array([dt.datetime(2024, 1, 1)], pa.timestamp("us", tz="UTC")),
            "arr": pa.array([[1]], pa.list_(pa.int64())),
            "st": pa.array([{"x": 1, "y": "a"}]),
            "m": pa.array([[("k", 1)]], pa.map_(pa.string(), pa.int32())),
        }
    )
    wh.create_table("sales", "types", data)
    assert wh.columns("sales", "types") == [
        ("b", "boolean"),
        ("i", "int"),
        ("l", "bigint"),
        ("f", "float"),
        ("d", "double"),
        ("dec", "decimal(10,2)"),
        ("s", "string"),
        ("bin", "binary"),
        ("day", "date"),
        ("ts", "timestamp"),
        ("tstz", "timestamp"),
        ("arr", "array<bigint>"),
        ("st", "struct<x:bigint,y:string>"),
        ("m", "map<string,int>"),
    ]


def test_create_table_widens_types_iceberg_lacks(wh: Warehouse) -> None:
    wh.create_database("sales")
    data = pa.table(
        {
            "u32": pa.array([4_000_000_000], pa.uint32()),
            "u64": pa.array([2**64 - 1], pa.uint64()),
            "ns": pa.array([1], pa.timestamp("ns")),
            "enum": pa.array(["a"]).dictionary_encode(),
        }
    )
    wh.create_table("sales", "wide", data)
    assert wh.columns("sales", "wide") == [
        ("u32", "bigint"),
        ("u64", "decimal(20,0)"),
        ("ns", "timestamp"),
        ("enum", "string"),
    ]
    row = wh.catalog.load_table(("sales", "wide")).scan().to_arrow().to_pylist()[0]
    assert row["u32"] == 4_000_000_000 and row["u64"] == 2**64 - 1 and row["enum"] == "a"


def test_append_casts_to_the_table_schema(wh: Warehouse) -> None:
    wh.create_database("sales")
    before = wh.create_table("sales", "orders", _orders())
    # Other column order and narrower types: matched by name and cast.
    more = pa.table({"amount": pa.array([2.0], pa.float32()), "id": pa.array([9], pa.int32())})
    after = wh.append("sales", "orders", more)
    assert after.metadata_location != before.metadata_location
    assert after == wh.table("sales", "orders") == wh.list_tables("sales")["orders"]
    assert _rows(wh, "sales", "orders") == 4


@pytest.mark.parametrize(
    "data, message",
    [
        (pa.table({"id": pa.array([1], pa.int64())}), "missing columns amount"),
        (
            pa.table({"id": [1], "amount": [1.0], "extra": [1]}),
            "unknown columns extra",
        ),
        (pa.table({"id": ["not a number"], "amount": [1.0]}), "Data does not fit table sales.orders"),
    ],
)
def test_append_refuses_incompatible_data(wh: Warehouse, data: pa.Table, message: str) -> None:
    wh.create_database("sales")
    wh.create_table("sales", "orders", _orders())
    with pytest.raises(ValueError, match=message):
        wh.append("sales", "orders", data)
    assert _rows(wh, "sales", "orders") == 3


def test_drop_table_removes_entry_and_files(wh: Warehouse) -> None:
    wh.create_database("sales")
    ref = wh.create_table("sales", "orders", _orders())
    keep = wh.create_table("sales", "orders_2", _orders())
    wh.drop_table("sales", "orders")
    assert "orders" not in wh.list_tables("sales")
    assert not Path(ref.location).exists()
    assert Path(keep.location).is_dir()
    wh.create_table("sales", "orders", _orders(1))  # the name is free again
    assert _rows(wh, "sales", "orders") == 1


def test_warehouse_reopens_on_the_same_catalog(tmp_path: Path) -> None:
    first = Warehouse(f"sqlite:///{tmp_path}/catalog.db", tmp_path / "lake")
    first.create_database("sales")
    ref = first.create_table("sales", "orders", _orders())
    first.close()
    second = Warehouse(f"sqlite:///{tmp_path}/catalog.db", tmp_path / "lake")
    assert second.list_tables("sales") == {"orders": ref}
    second.close()
