"""The query engine: statement checks, sandboxed runs, CTAS/INSERT into the lake, limits and errors."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from openzone.lake.warehouse import Warehouse
from openzone.query import engine
from openzone.query.engine import (
    CTAS,
    EXPLAIN,
    INSERT,
    SELECT,
    QueryCancelled,
    QueryError,
    QueryFailed,
    QueryRefused,
    QueryTimeout,
    check_statement,
    run_query,
)
from openzone.query.sandbox import SandboxPool, SandboxSpec

# A query that runs for hours in little memory: a nested-loop join of 10^12 pairs.
RUNAWAY = "SELECT count(*) FROM range(1000000) a, range(1000000) b WHERE a.range + b.range = -1"
MEMORY_HOG = (
    "SELECT string_agg(md5(range::VARCHAR), ',' ORDER BY md5(range::VARCHAR)) FROM range(20000000)"
)


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    warehouse = Warehouse(f"sqlite:///{tmp_path}/catalog.db", tmp_path / "lake")
    for db in ("sales", "hr", "proj"):
        warehouse.create_database(db)
    warehouse.create_table("sales", "orders", pa.table({"id": [1, 2, 3], "amount": [1.0, 2.0, 3.0]}))
    warehouse.create_table("sales", "orders_secret", pa.table({"secret": ["s3cr3t"]}))
    warehouse.create_table("hr", "salaries", pa.table({"salary": [100]}))
    warehouse.create_table("proj", "results", pa.table({"id": [1], "label": ["one"]}))
    yield warehouse
    warehouse.close()


def _spec(wh: Warehouse, default: str | None = "sales", memory_limit: str = "1GB") -> SandboxSpec:
    """The view of a project member: sales.orders granted, and the project's own database."""
    return SandboxSpec(
        {"sales": {"orders": wh.table("sales", "orders")}, "proj": wh.list_tables("proj")},
        default_database=default,
        memory_limit=memory_limit,
    )


@pytest.fixture
def run(wh: Warehouse, ext_dir: Path):
    pool = SandboxPool(size=4)

    def run(sql: str, spec: SandboxSpec | None = None, **kwargs):
        kwargs.setdefault("writable_database", "proj")
        kwargs.setdefault("timeout_s", 30)
        return run_query(spec or _spec(wh), sql, ext_dir=ext_dir, warehouse=wh, pool=pool, **kwargs)

    return run


# check_statement


@pytest.fixture(scope="module")
def parser() -> duckdb.DuckDBPyConnection:
    return engine._parser()  # where run_query checks statements


def test_the_parse_only_connection_reads_nothing_and_cannot_be_reconfigured(parser) -> None:
    assert parser is engine._parser()  # one per thread, kept
    with pytest.raises(duckdb.PermissionException):
        parser.execute("SELECT * FROM read_text('/etc/hostname')")
    with pytest.raises(duckdb.Error, match="locked"):
        parser.execute("SET enable_external_access = true")
    assert parser.execute("SELECT current_setting('threads')").fetchone()[0] == 1


def test_a_refused_statement_never_opens_a_sandbox(wh: Warehouse, ext_dir: Path) -> None:
    class NoSandbox(SandboxPool):
        def cursor(self, spec, ext_dir):
            raise AssertionError("a sandbox was opened for a refused statement")

    with pytest.raises(QueryRefused, match="Reading files"):
        run_query(_spec(wh), "SELECT * FROM '/etc/passwd'", ext_dir=ext_dir, warehouse=wh, pool=NoSandbox(size=1))


@pytest.mark.parametrize(
    "sql, kind",
    [
        ("SELECT 1", SELECT),
        ("with a as (select 1 as x) select * from a", SELECT),
        ("VALUES (1), (2)", SELECT),
        ("SELECT 1 UNION ALL SELECT 2 EXCEPT SELECT 3", SELECT),
        ("(SELECT 1) INTERSECT (SELECT 1);", SELECT),
        ("FROM orders", SELECT),
        ("SHOW TABLES", SELECT),
        ("DESCRIBE orders", SELECT),
        ("SUMMARIZE orders", SELECT),
        ("SELECT * FROM range(3), generate_series(1, 2), unnest([1, 2])", SELECT),
        ("SELECT * FROM information_schema.columns", SELECT),
        ("EXPLAIN SELECT * FROM orders", EXPLAIN),
        ("explain analyze select 1", EXPLAIN),
        ("CREATE TABLE t AS SELECT 1", CTAS),
        ('create table "proj".t as with a as (select 1) select * from a', CTAS),
        ("INSERT INTO proj.t SELECT * FROM orders", INSERT),
        ("INSERT INTO t VALUES (1, 'x')", INSERT),
        ("INSERT INTO t (SELECT 1)", INSERT),
    ],
)
def test_allowed_statements(parser: duckdb.DuckDBPyConnection, sql: str, kind: str) -> None:
    assert check_statement(parser, sql).kind == kind


def test_write_statements_are_split_exactly(parser: duckdb.DuckDBPyConnection) -> None:
    ctas = check_statement(parser, "CREATE /* c */ TABLE Proj . \"t_1\" AS -- why\n SELECT 1 AS x")
    assert (ctas.target_database, ctas.target_table, ctas.sql) == ("proj", "t_1", "SELECT 1 AS x")
    # DuckDB's tokenizer counts bytes: text after non-ASCII characters must still split right.
    accents = check_statement(parser, "CREATE /* café */ TABLE proj.t AS SELECT 'é' AS \"ü\"")
    assert (accents.target_database, accents.target_table) == ("proj", "t")
    assert accents.sql == "SELECT 'é' AS \"ü\""
    insert = check_statement(parser, "insert into results values (2, 'two')")
    assert (insert.target_database, insert.target_table, insert.sql) == (None, "results", "values (2, 'two')")


@pytest.mark.parametrize(
    "sql",
    [
        "COPY orders TO '/tmp/x.csv'",
        "COPY (SELECT 1) TO 'x.parquet' (FORMAT parquet)",
        "COPY orders FROM '/etc/passwd'",
        "ATTACH ':memory:' AS x",
        "DETACH sales",
        "SET threads = 4",
        "RESET threads",
        "USE hr",
        "PRAGMA enable_profiling",
        "PRAGMA version",
        "EXPORT DATABASE '/tmp/x'",
        "IMPORT DATABASE '/tmp/x'",
        "PRAGMA import_database('/tmp/x')",
        "/* c */ pragma show_tables",
        "EXPLAIN PRAGMA import_database('/tmp/x')",
        "SELECT 1; IMPORT DATABASE '/tmp/x'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "CREATE VIEW v AS SELECT 1",
        "CREATE MACRO m() AS 1",
        "CREATE SECRET (TYPE s3, KEY_ID 'x', SECRET 'y')",
        "CREATE SCHEMA s",
        "CREATE OR REPLACE TABLE t AS SELECT 1",
        "CREATE TEMP TABLE t AS SELECT 1",
        "CREATE TABLE IF NOT EXISTS t AS SELECT 1",
        "CREATE TABLE t (a INT)",
        "CREATE TABLE a.b.c AS SELECT 1",
        "CREATE TABLE t AS SELECT 1 WITH NO DATA",
        "DROP TABLE orders",
        "ALTER TABLE orders ADD COLUMN x INT",
        "UPDATE orders SET id = 1",
        "DELETE FROM orders",
        "MERGE INTO orders USING orders o2 ON orders.id = o2.id WHEN MATCHED THEN DELETE",
        "INSERT OR REPLACE INTO t SELECT 1",
        "INSERT INTO t (a) VALUES (1)",
        "INSERT INTO t BY NAME SELECT 1 AS a",
        "INSERT INTO t SELECT 1 RETURNING *",
        "INSERT INTO t DEFAULT VALUES",
        "CALL dbgen(sf = 0.01)",
        "CHECKPOINT",
        "VACUUM",
        "BEGIN",
        "PREPARE p AS SELECT 1",
        "EXECUTE p",
        "EXPLAIN COPY orders TO 'x.csv'",
        "EXPLAIN CREATE TABLE t AS SELECT 1",
        "EXPLAIN (FORMAT json) SELECT 1",
        "SELECT 1; SELECT 2",
        "SELECT 1; DROP TABLE orders",
    ],
)
def test_refused_statements(parser: duckdb.DuckDBPyConnection, sql: str) -> None:
    with pytest.raises(QueryRefused, match="not allowed in the query service"):
        check_statement(parser, sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_csv_auto('x.csv')",
        "SELECT * FROM READ_PARQUET('x.parquet')",
        "SELECT * FROM parquet_scan('x.parquet')",
        "SELECT * FROM parquet_metadata('x.parquet')",
        "SELECT * FROM read_json('x.json')",
        "SELECT * FROM read_ndjson_objects('x.json')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM read_blob('/etc/hostname')",
        "SELECT * FROM iceberg_scan('x/metadata/v1.metadata.json')",
        "SELECT * FROM iceberg_metadata('x')",
        "SELECT * FROM iceberg_snapshots('x')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM sniff_csv('x.csv')",
        "SELECT * FROM query('SELECT 1')",
        "SELECT * FROM query_table('orders')",
        "SELECT * FROM duckdb_settings()",
        "SELECT * FROM main.read_csv('x.csv')",
        "SELECT (SELECT count(*) FROM read_csv('x.csv'))",
        "WITH a AS (SELECT * FROM read_parquet('x.parquet')) SELECT * FROM a",
        "SELECT * FROM orders WHERE id IN (SELECT 1 FROM read_csv('x.csv'))",
        "SELECT * FROM orders, LATERAL (SELECT * FROM read_csv('x.csv'))",
        "SELECT * FROM 'x.csv'",
        'SELECT * FROM "data.parquet"',
        "SELECT * FROM 'file:///etc/passwd'",
        "FROM '/etc/passwd'",
        "DESCRIBE SELECT * FROM read_csv('x.csv')",
        "SUMMARIZE SELECT * FROM 'x.parquet'",
        "EXPLAIN SELECT * FROM read_csv('x.csv')",
        "CREATE TABLE t AS SELECT * FROM read_csv('x.csv')",
        "INSERT INTO t SELECT * FROM read_parquet('x.parquet')",
    ],
)
def test_file_functions_are_refused(parser: duckdb.DuckDBPyConnection, sql: str) -> None:
    with pytest.raises(QueryRefused, match="not allowed in the query service"):
        check_statement(parser, sql)


def test_empty_and_invalid_sql_fail(parser: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(QueryFailed, match="empty"):
        check_statement(parser, "  -- nothing\n")
    with pytest.raises(QueryFailed, match="syntax error"):
        check_statement(parser, "SELEC 1")


# run_query: reads


def test_select_visible_table(run) -> None:
    result = run("SELECT id, amount FROM orders ORDER BY id")
    assert result.kind == SELECT and result.rows_affected is None
    assert result.columns == [("id", "BIGINT"), ("amount", "DOUBLE")]
    assert result.table.to_pydict() == {"id": [1, 2, 3], "amount": [1.0, 2.0, 3.0]}
    assert run("SELECT count(*) AS n FROM sales.orders").table.to_pylist() == [{"n": 3}]
    assert run("SELECT * FROM proj.results").table.num_rows == 1


def test_columns_carry_duckdb_type_names(run) -> None:
    result = run("SELECT 1.5::DECIMAL(10,2) AS d, {'x': 1} AS s, [1] AS l, now() AS t")
    assert result.columns == [
        ("d", "DECIMAL(10,2)"),
        ("s", "STRUCT(x INTEGER)"),
        ("l", "INTEGER[]"),
        ("t", "TIMESTAMP WITH TIME ZONE"),
    ]


def test_invisible_tables_are_unreadable(run, wh: Warehouse) -> None:
    invisible = ("orders_secret", "sales.orders_secret", "hr.salaries")
    for sql in (f"SELECT * FROM {name}" for name in invisible):
        with pytest.raises(QueryFailed, match="does not exist"):
            run(sql)
    secret = wh.table("sales", "orders_secret")
    for sql in (
        f"SELECT * FROM iceberg_scan('{secret.metadata_location}')",
        f"SELECT * FROM read_parquet('{secret.location}/data/*.parquet')",
        f"SELECT * FROM '{secret.location}/data/x.parquet'",
    ):
        with pytest.raises(QueryRefused):
            run(sql)


def test_refused_statement_changes_nothing(run, wh: Warehouse) -> None:
    target = Path(wh.table("sales", "orders").location, "data", "x.csv")
    with pytest.raises(QueryRefused, match="COPY is not allowed"):
        run(f"COPY (SELECT 1) TO '{target}'")
    assert not target.exists()


def test_catalog_views_show_only_the_spec(run) -> None:
    dbs = run("SELECT database_name FROM duckdb_databases() WHERE NOT internal ORDER BY 1").table
    assert dbs.column(0).to_pylist() == ["proj", "sales"]
    tables = run("SELECT table_catalog || '.' || table_name AS t FROM information_schema.tables ORDER BY 1")
    assert tables.table.column(0).to_pylist() == ["proj.results", "sales.orders"]


def test_explain(run) -> None:
    result = run("EXPLAIN SELECT * FROM orders")
    assert result.kind == EXPLAIN and result.table.num_rows >= 1


# run_query: writes


def test_ctas_creates_an_iceberg_table(run, wh: Warehouse) -> None:
    result = run("CREATE TABLE proj.big_orders AS SELECT id, amount * 2 AS doubled FROM orders WHERE id > 1")
    assert (result.kind, result.rows_affected) == (CTAS, 2)
    assert wh.columns("proj", "big_orders") == [("id", "bigint"), ("doubled", "double")]
    # Visible once the sandbox is re-opened on the new catalog state.
    again = run("SELECT * FROM proj.big_orders ORDER BY id", _spec(wh))
    assert again.table.to_pydict() == {"id": [2, 3], "doubled": [4.0, 6.0]}
    with pytest.raises(QueryFailed, match="proj.big_orders already exists"):
        run("CREATE TABLE proj.big_orders AS SELECT 1 AS x", _spec(wh))


def test_ctas_unqualified_goes_to_the_default_database(run, wh: Warehouse) -> None:
    run("CREATE TABLE mine AS SELECT 42 AS answer", _spec(wh, default="proj"))
    assert "mine" in wh.list_tables("proj")
    with pytest.raises(QueryRefused, match="No database is selected"):
        run("CREATE TABLE mine2 AS SELECT 1 AS x", _spec(wh, default=None))


def test_ctas_refuses_what_iceberg_cannot_hold(run) -> None:
    with pytest.raises(QueryFailed, match="unique"):
        run("CREATE TABLE proj.d AS SELECT 1 AS a, 2 AS a")
    with pytest.raises(QueryFailed, match="Cannot write the result to proj.iv"):
        run("CREATE TABLE proj.iv AS SELECT INTERVAL 1 DAY AS i")
    with pytest.raises(QueryFailed, match="Invalid table name"):
        run('CREATE TABLE proj."Upper" AS SELECT 1 AS x')


def test_insert_extends_the_table(run, wh: Warehouse) -> None:
    before = wh.table("proj", "results").metadata_location
    result = run("INSERT INTO proj.results SELECT id, 'order ' || id FROM orders")
    assert (result.kind, result.rows_affected) == (INSERT, 3)
    assert run("INSERT INTO results VALUES (9, 'nine')", _spec(wh, default="proj")).rows_affected == 1
    assert wh.table("proj", "results").metadata_location != before
    rows = run("SELECT id FROM proj.results ORDER BY id", _spec(wh)).table.column(0).to_pylist()
    assert rows == [1, 1, 2, 3, 9]


def test_insert_errors(run) -> None:
    with pytest.raises(QueryFailed, match="has 2 columns but the query returned 1"):
        run("INSERT INTO proj.results SELECT 1")
    with pytest.raises(QueryFailed, match="Cannot write the result to proj.results"):
        run("INSERT INTO proj.results VALUES ('not a number', 'x')")
    with pytest.raises(QueryFailed, match="proj.nope does not exist"):
        run("INSERT INTO proj.nope VALUES (1)")


def test_writes_to_read_only_databases_are_refused(run, wh: Warehouse) -> None:
    for sql in (
        "CREATE TABLE sales.copy AS SELECT * FROM orders",
        "CREATE TABLE copy AS SELECT * FROM orders",  # default database is sales
        "INSERT INTO sales.orders VALUES (4, 4.0)",
        "INSERT INTO hr.salaries VALUES (1)",
    ):
        with pytest.raises(QueryRefused, match=r"Database (sales|hr) is read-only"):
            run(sql)
    with pytest.raises(QueryRefused, match="Database proj is read-only"):
        run("CREATE TABLE proj.x AS SELECT 1 AS x", writable_database=None)
    assert "copy" not in wh.list_tables("sales")
    assert run("SELECT count(*) AS n FROM orders", _spec(wh)).table.to_pylist() == [{"n": 3}]


# limits


def test_timeout_stops_a_runaway_query(run) -> None:
    run("SELECT 1")  # open the sandbox first: the limit covers execution
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="Query exceeded the time limit of 1 seconds"):
        run(RUNAWAY, timeout_s=1)
    assert time.monotonic() - started < 2.0
    assert run("SELECT count(*) AS n FROM orders").table.to_pylist() == [{"n": 3}]


def test_memory_limit(run, wh: Warehouse) -> None:
    spec = _spec(wh, memory_limit="64MB")
    with pytest.raises(QueryFailed, match="Query exceeded the memory limit of 64MB"):
        run(MEMORY_HOG, spec)
    assert run("SELECT count(*) AS n FROM orders", spec).table.to_pylist() == [{"n": 3}]


def test_cancel(run) -> None:
    cancel = threading.Event()
    with pytest.raises(QueryCancelled):
        cancel.set()
        run("SELECT 1", cancel=cancel)
    cancel.clear()
    run("SELECT 1")
    threading.Timer(0.5, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(QueryCancelled, match="cancelled"):
        run(RUNAWAY, cancel=cancel)
    assert time.monotonic() - started < 2.0
    assert run("SELECT 1 AS one").table.to_pylist() == [{"one": 1}]


def test_concurrent_queries_on_one_sandbox(run) -> None:
    results: list[object] = []

    def one(i: int) -> None:
        try:
            results.append(run(f"SELECT count(*) + {i} AS n FROM orders").table.to_pylist()[0]["n"])
        except QueryError as e:  # pragma: no cover - reported below
            results.append(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [3, 4, 5, 6, 7, 8]


# no paths in messages


def _assert_no_paths(error: QueryError, wh: Warehouse, ext_dir: Path) -> None:
    message = str(error)
    for root in (wh.warehouse_dir, wh.warehouse_dir.resolve(), ext_dir, ext_dir.resolve()):
        assert str(root) not in message
    assert "file://" not in message


def test_errors_do_not_leak_paths(run, wh: Warehouse, ext_dir: Path) -> None:
    orders = wh.table("sales", "orders")
    errors = []
    for sql in (
        f"SELEC * FROM '{orders.location}/data'",
        f"SELECT * FROM read_parquet('{orders.location}/data/*.parquet')",
        f"SELECT '{orders.metadata_location}'::INTEGER",
        "CREATE TABLE proj.iv AS SELECT INTERVAL 1 DAY AS i",
    ):
        with pytest.raises(QueryError) as info:
            run(sql)
        errors.append(info.value)
    # A data file gone missing: DuckDB's IO error names the file.
    for data_file in Path(orders.location, "data").glob("*.parquet"):
        data_file.unlink()
    with pytest.raises(QueryFailed) as info:
        run("SELECT * FROM orders")
    errors.append(info.value)
    # A metadata file gone missing: opening a new sandbox fails.
    fresh = _spec(wh, memory_limit="512MB")
    Path(orders.metadata_location.removeprefix("file://")).unlink()
    with pytest.raises(QueryFailed) as info:
        run("SELECT 1", fresh)
    errors.append(info.value)
    for error in errors:
        _assert_no_paths(error, wh, ext_dir)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT view_definition FROM information_schema.views",
        "SELECT definition FROM pg_catalog.pg_views",
        "SELECT sql FROM sqlite_master",
        "SELECT * FROM sqlite_schema",
        "SELECT setting FROM pg_settings",
        "SELECT current_setting('allowed_directories')",
        "SELECT reverse(current_setting('extension_directory'))",
        "SELECT getvariable('x')",
    ],
)
def test_server_paths_cannot_be_read_through_catalog_or_settings(run, sql: str) -> None:
    with pytest.raises(QueryRefused, match="not available|server settings"):
        run(sql)


def test_listing_tables_and_columns_still_works(run) -> None:
    tables = run("SELECT table_name FROM information_schema.tables ORDER BY 1").table.column(0).to_pylist()
    assert tables and all("/" not in name for name in tables)
    assert run("SELECT count(*) FROM information_schema.columns").table.column(0)[0].as_py() > 0
