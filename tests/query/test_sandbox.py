"""The DuckDB sandbox: what a connection can see and do, enforced by DuckDB's own configuration."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from openzone.lake.extensions import prepare_extension_dir, signatures_verified, verify_signatures
from openzone.lake.warehouse import Warehouse
from openzone.query.sandbox import SandboxOpenError, SandboxPool, SandboxSpec, new_cursor, open_sandbox


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    warehouse = Warehouse(f"sqlite:///{tmp_path}/catalog.db", tmp_path / "lake")
    warehouse.create_database("sales")
    warehouse.create_database("hr")
    warehouse.create_table("sales", "orders", pa.table({"id": [1, 2, 3], "amount": [1.0, 2.0, 3.0]}))
    # A prefix sibling of orders' folder: sales/orders_secret.
    warehouse.create_table("sales", "orders_secret", pa.table({"secret": ["s3cr3t"]}))
    warehouse.create_table("hr", "salaries", pa.table({"salary": [100]}))
    yield warehouse
    warehouse.close()


@pytest.fixture
def spec(wh: Warehouse) -> SandboxSpec:
    return SandboxSpec({"sales": {"orders": wh.table("sales", "orders")}}, default_database="sales")


@pytest.fixture
def con(spec: SandboxSpec, ext_dir: Path) -> duckdb.DuckDBPyConnection:
    connection = open_sandbox(spec, ext_dir)
    yield connection
    connection.close()


def _data_file(wh: Warehouse, db: str, name: str) -> str:
    return next(str(p) for p in Path(wh.table(db, name).location, "data").glob("*.parquet"))


def test_visible_table_reads_by_qualified_and_bare_name(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("SELECT sum(amount) FROM sales.orders").fetchone() == (6.0,)
    assert con.execute("SELECT count(*) FROM orders").fetchone() == (3,)
    assert con.execute("SELECT count(*) FROM sales.main.orders").fetchone() == (3,)


def test_invisible_table_is_not_in_the_catalog(con: duckdb.DuckDBPyConnection) -> None:
    invisible = ("orders_secret", "sales.orders_secret", "hr.salaries")
    for sql in (f"SELECT * FROM {name}" for name in invisible):
        with pytest.raises(duckdb.CatalogException):
            con.execute(sql)


def test_invisible_table_files_are_refused(con: duckdb.DuckDBPyConnection, wh: Warehouse) -> None:
    secret = wh.table("sales", "orders_secret")
    salaries = wh.table("hr", "salaries")
    for sql in (
        f"SELECT * FROM iceberg_scan('{secret.metadata_location}')",
        f"SELECT * FROM iceberg_scan('{salaries.metadata_location}')",
        f"SELECT * FROM read_parquet('{_data_file(wh, 'sales', 'orders_secret')}')",
        f"SELECT * FROM read_parquet('{secret.location}/data/*.parquet')",
        f"SELECT * FROM '{_data_file(wh, 'hr', 'salaries')}'",
    ):
        with pytest.raises(duckdb.PermissionException):
            con.execute(sql)


def test_prefix_sibling_and_traversal_are_refused(con: duckdb.DuckDBPyConnection, wh: Warehouse) -> None:
    orders = wh.table("sales", "orders").location
    # The visible folder itself is readable (the engine, not the sandbox, refuses read_parquet) ...
    assert con.execute(f"SELECT count(*) FROM read_parquet('{orders}/data/*.parquet')").fetchone() == (3,)
    # ... but not a folder whose name merely starts with it, nor a way around through `..`.
    for path in (f"{orders}_secret/data/*.parquet", f"{orders}/../orders_secret/data/*.parquet"):
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"SELECT * FROM read_parquet('{path}')")
    assert con.execute("SELECT current_setting('allowed_directories')").fetchone()[0] == [orders + "/"]


def test_catalog_views_show_only_the_spec(ext_dir: Path, wh: Warehouse) -> None:
    spec = SandboxSpec(
        {"sales": {"orders": wh.table("sales", "orders")}, "hr": {"pay": wh.table("hr", "salaries")}},
        default_database="hr",
    )
    with open_sandbox(spec, ext_dir) as con:
        dbs = con.execute("SELECT database_name FROM duckdb_databases() WHERE NOT internal").fetchall()
        assert sorted(dbs) == [("hr",), ("sales",)]
        tables = con.execute(
            "SELECT table_catalog, table_name FROM information_schema.tables ORDER BY ALL"
        ).fetchall()
        assert tables == [("hr", "pay"), ("sales", "orders")]
        assert con.execute("SELECT * FROM pay").fetchall() == [(100,)]


def test_other_access_is_refused(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    for sql in (
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM glob('/etc/*')",
        f"ATTACH '{tmp_path}/x.duckdb' AS x",
        f"COPY (SELECT 1) TO '{tmp_path}/out.csv'",
        "LOAD tpch",
    ):
        with pytest.raises(duckdb.PermissionException):
            con.execute(sql)
    assert not (tmp_path / "out.csv").exists()


def test_configuration_is_locked(con: duckdb.DuckDBPyConnection) -> None:
    for sql in (
        "SET enable_external_access = true",
        "SET allowed_directories = ['/']",
        "SET memory_limit = '100GB'",
        "SET threads = 64",
        "RESET lock_configuration",
        "SET lock_configuration = false",
    ):
        with pytest.raises(duckdb.InvalidInputException):
            con.execute(sql)
    settings = dict(con.execute("SELECT name, value FROM duckdb_settings()").fetchall())
    assert settings["temp_directory"] == ""  # no spilling to disk, anywhere
    assert settings["enable_external_access"] == "false"
    assert settings["python_enable_replacements"] == "false"
    assert settings["threads"] == "2"


def test_sandbox_alone_allows_copy_into_a_visible_folder(
    con: duckdb.DuckDBPyConnection, wh: Warehouse
) -> None:
    # DuckDB allows writes wherever it allows reads: the engine must refuse COPY by statement type.
    target = Path(wh.table("sales", "orders").location, "data", "x.csv")
    con.execute(f"COPY (SELECT 1) TO '{target}'")
    assert target.exists()


def test_python_objects_are_not_scanned(con: duckdb.DuckDBPyConnection) -> None:
    leak = pa.table({"secret": [1]})  # noqa: F841 - a replacement scan would find it by name
    with pytest.raises(duckdb.CatalogException):
        con.execute("SELECT * FROM leak")


def test_spec_validation(wh: Warehouse) -> None:
    ref = wh.table("sales", "orders")
    with pytest.raises(ValueError):
        SandboxSpec({"Sales": {"orders": ref}})
    with pytest.raises(ValueError):
        SandboxSpec({"sales": {'x"; DROP': ref}})
    with pytest.raises(ValueError):
        SandboxSpec({"sales": {"orders": ref}}, default_database="hr")
    with pytest.raises(ValueError):
        SandboxSpec({"sales": {"orders": ref}}, memory_limit="1GB'; SET x=1; --")
    with pytest.raises(ValueError):
        SandboxSpec({"sales": {"orders": ref}}, threads=0)


def test_without_default_the_first_database_is_current(ext_dir: Path, wh: Warehouse) -> None:
    spec = SandboxSpec({"sales": {"orders": wh.table("sales", "orders")}, "hr": {}})
    with open_sandbox(spec, ext_dir) as con:
        assert con.execute("SELECT current_database()").fetchone() == ("hr",)
        assert con.execute("SELECT count(*) FROM sales.orders").fetchone() == (3,)


def test_empty_spec_still_runs_queries(ext_dir: Path) -> None:
    with open_sandbox(SandboxSpec({}), ext_dir) as con:
        assert con.execute("SELECT sum(range) FROM range(4)").fetchone() == (6,)
        with pytest.raises(duckdb.PermissionException):
            con.execute("SELECT * FROM read_csv('/etc/passwd')")


def test_a_table_that_cannot_be_read_is_named(ext_dir: Path, wh: Warehouse, spec: SandboxSpec) -> None:
    Path(wh.table("sales", "orders").metadata_location.removeprefix("file://")).unlink()
    with pytest.raises(SandboxOpenError, match="Table sales.orders could not be opened"):
        open_sandbox(spec, ext_dir)


def test_cursors_share_the_sandbox_and_its_lock(con: duckdb.DuckDBPyConnection, spec: SandboxSpec) -> None:
    cur = new_cursor(con, spec)
    assert cur.execute("SELECT count(*) FROM orders").fetchone() == (3,)
    with pytest.raises(duckdb.InvalidInputException):
        cur.execute("SET enable_external_access = true")


def test_pool_caches_by_spec_and_snapshot(ext_dir: Path, wh: Warehouse, spec: SandboxSpec) -> None:
    pool = SandboxPool(size=2)
    with pool.cursor(spec, ext_dir) as cur:
        assert cur.execute("SELECT count(*) FROM orders").fetchone() == (3,)
    with pool.cursor(spec, ext_dir) as cur:
        assert cur.execute("SELECT count(*) FROM orders").fetchone() == (3,)
    assert len(pool._open) == 1
    # A new snapshot is a new metadata file, hence a new sandbox that sees the new rows.
    wh.append("sales", "orders", pa.table({"id": [4], "amount": [4.0]}))
    newer = SandboxSpec({"sales": {"orders": wh.table("sales", "orders")}}, default_database="sales")
    with pool.cursor(newer, ext_dir) as cur:
        assert cur.execute("SELECT count(*) FROM orders").fetchone() == (4,)
    assert len(pool._open) == 2


def test_pool_evicts_without_breaking_running_cursors(
    ext_dir: Path, wh: Warehouse, spec: SandboxSpec
) -> None:
    pool = SandboxPool(size=1)
    held = pool.cursor(spec, ext_dir)
    other = SandboxSpec({"hr": {"salaries": wh.table("hr", "salaries")}}, default_database="hr")
    with pool.cursor(other, ext_dir) as cur:
        assert cur.execute("SELECT * FROM salaries").fetchall() == [(100,)]
    assert len(pool._open) == 1
    assert held.execute("SELECT count(*) FROM orders").fetchone() == (3,)  # evicted, still alive
    held.close()


def test_pool_is_thread_safe(ext_dir: Path, spec: SandboxSpec) -> None:
    pool = SandboxPool(size=2)
    results: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                with pool.cursor(spec, ext_dir) as cur:
                    results.append(cur.execute("SELECT count(*) FROM orders").fetchone()[0])
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == [3] * 20
    assert len(pool._open) == 1


def test_verified_extensions_skip_the_check_but_nothing_else_can_load(
    tmp_path: Path, wh: Warehouse, spec: SandboxSpec
) -> None:
    ext_dir = verify_signatures(prepare_extension_dir(tmp_path / "verified"))
    assert signatures_verified(ext_dir) and not signatures_verified(tmp_path / "other")
    con = open_sandbox(spec, ext_dir)
    assert con.execute("SELECT current_setting('allow_unsigned_extensions')").fetchone()[0] is True
    assert con.execute("SELECT count(*) FROM sales.orders").fetchone()[0] > 0
    for statement in ("LOAD tpch", f"LOAD '{ext_dir}/does-not-matter.duckdb_extension'"):
        with pytest.raises(duckdb.Error, match="disabled"):
            con.execute(statement)
