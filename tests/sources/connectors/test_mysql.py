"""The MySQL/MariaDB connector against the real MariaDB on the machine (127.0.0.1:3306, root, no password).

Skipped with the reason when no server answers there, unless OPENZONE_REQUIRE_MYSQL=1 (CI), which makes
that a failure. OPENZONE_TEST_MYSQL=host:port points the tests at another server (root, no password).
"""

import os
import socket
import time
import uuid

import pymysql
import pytest

from openzone.sources.connectors import mysql
from openzone.sources.connectors.base import (
    ConnectionSpec,
    FilterExpression,
    RelationalFilter,
    SourceUnreachable,
)

HOST, _, PORT = os.environ.get("OPENZONE_TEST_MYSQL", "127.0.0.1:3306").partition(":")
PORT = int(PORT or 3306)
REQUIRE_MYSQL = os.environ.get("OPENZONE_REQUIRE_MYSQL") == "1"
PASSWORD = "Wombat-4471-Persimmon"  # distinctive, so that a message carrying it is easy to spot

SHOP = [
    """CREATE TABLE orders (
        id bigint PRIMARY KEY,
        customer varchar(100) NOT NULL COMMENT 'Who ordered',
        amount decimal(10,2),
        status enum('new','paid') NOT NULL DEFAULT 'new',
        created datetime,
        qty int unsigned
    ) COMMENT 'One row per order'""",
    "CREATE TABLE order_lines (order_id bigint, line_no int, sku text, PRIMARY KEY (order_id, line_no))",
    "CREATE TABLE orders_tmp (id int)",
    "CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 1000",
    "CREATE SEQUENCE order_ids",
    "CREATE TABLE `Weird Name` (`select` int)",
]


def admin() -> pymysql.Connection:
    try:
        return pymysql.connect(host=HOST, port=PORT, user="root", password="", autocommit=True, connect_timeout=3)
    except pymysql.Error as error:
        message = f"MariaDB/MySQL is not reachable at {HOST}:{PORT} as root without password: {error}"
        if REQUIRE_MYSQL:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def source():
    """Fresh databases <shop> (SHOP) and <shop>_hr, and a user with a password who may read <shop> only."""
    shop = f"oz_test_{uuid.uuid4().hex[:10]}"
    user = f"oz_{uuid.uuid4().hex[:10]}"
    with admin() as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{shop}`")
        cur.execute(f"CREATE DATABASE `{shop}_hr`")
        cur.execute(f"USE `{shop}`")
        for statement in SHOP:
            cur.execute(statement)
        cur.execute(f"CREATE TABLE `{shop}_hr`.people (id int PRIMARY KEY, name text)")
        cur.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (user, PASSWORD))
        cur.execute(f"GRANT SELECT, SHOW VIEW ON `{shop}`.* TO %s@'%%'", (user,))
    spec = ConnectionSpec("MYSQL", host=HOST, port=PORT, database=shop, user=user, password=PASSWORD,
                          timeout_seconds=3)
    try:
        yield spec
    finally:
        with admin() as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{shop}`")
            cur.execute(f"DROP DATABASE IF EXISTS `{shop}_hr`")
            cur.execute(f"DROP DATABASE IF EXISTS `{shop}_many`")
            cur.execute("DROP USER IF EXISTS %s@'%%'", (user,))


def as_root(spec, **changes) -> ConnectionSpec:
    return with_(spec, user="root", password="", **changes)


def with_(spec, **changes) -> ConnectionSpec:
    return ConnectionSpec(**{**spec.__dict__, **changes})


def by_name(spec, filters=()):
    return {f"{t.database}.{t.name}": t for t in mysql.connect(spec).tables(list(filters))}


def flt(database, schema=None, *expressions):
    return RelationalFilter(database, schema, tuple(FilterExpression(kind, e) for kind, e in expressions))


def test_tables_carry_types_comments_keys_and_nullability(source):
    orders = by_name(source)[f"{source.database}.orders"]
    assert (orders.database, orders.schema, orders.kind) == (source.database, None, "TABLE")
    assert orders.qualified_name == f"{source.database}.orders"
    assert orders.comment == "One row per order"
    columns = {c.name: c for c in orders.columns}
    assert list(columns) == ["id", "customer", "amount", "status", "created", "qty"]
    types = {n: c.data_type for n, c in columns.items()}
    assert types["customer"] == "varchar(100)" and types["amount"] == "decimal(10,2)"
    assert types["status"] == "enum('new','paid')" and types["created"] == "datetime"
    assert types["id"].startswith("bigint") and types["qty"].startswith("int") and "unsigned" in types["qty"]
    assert columns["customer"].comment == "Who ordered" and columns["amount"].comment is None
    assert [n for n, c in columns.items() if c.primary_key] == ["id"]
    assert not columns["id"].nullable and not columns["status"].nullable and columns["amount"].nullable


def test_a_composite_primary_key_marks_every_member(source):
    lines = by_name(source)[f"{source.database}.order_lines"]
    assert [(c.name, c.primary_key) for c in lines.columns] == [
        ("order_id", True), ("line_no", True), ("sku", False)]


def test_views_come_with_their_definition_and_sequences_not_at_all(source):
    tables = by_name(source)
    view = tables[f"{source.database}.big_orders"]
    assert view.kind == "VIEW" and view.comment is None  # MySQL's "VIEW" placeholder is not a comment
    assert [c.name for c in view.columns] == ["id", "amount"]
    assert "> 1000" in view.view_sql and "from" in view.view_sql.lower()
    assert f"{source.database}.order_ids" not in tables


def test_the_connections_database_only_in_a_stable_order(source):
    first = list(mysql.connect(source).tables([]))
    assert [t.name for t in first] == ["Weird Name", "big_orders", "order_lines", "orders", "orders_tmp"]
    assert {t.database for t in first} == {source.database}
    second = list(mysql.connect(source).tables([]))
    assert [t.fingerprint() for t in first] == [t.fingerprint() for t in second]


def test_include_and_exclude_globs_select_tables(source):
    chosen = by_name(source, [flt(source.database, None, ("INCLUDE", "order*"), ("EXCLUDE", "*_tmp"))])
    assert sorted(chosen) == [f"{source.database}.order_lines", f"{source.database}.orders"]


def test_filters_name_the_databases_to_read_case_insensitively(source):
    root = as_root(source, database=None)
    hr = f"{source.database}_hr"
    assert sorted(by_name(root, [flt(hr.upper())])) == [f"{hr}.people"]
    both = by_name(root, [flt(hr), flt(source.database, None, ("INCLUDE", "orders"))])
    assert sorted(both) == sorted([f"{hr}.people", f"{source.database}.orders"])
    assert by_name(root, [flt("no_such_database_anywhere")]) == {}


def test_a_user_sees_only_the_databases_it_was_granted(source):
    assert by_name(source, [flt(f"{source.database}_hr")]) == {}


def test_without_a_database_or_filters_every_user_database_is_read(source):
    tables = by_name(as_root(source, database=None))
    assert f"{source.database}_hr.people" in tables and f"{source.database}.orders" in tables
    assert not any(name.split(".")[0] in ("mysql", "information_schema", "performance_schema", "sys")
                   for name in tables)


def test_database_names_and_globs_are_never_sql(source):
    assert by_name(as_root(source, database=None), [flt("x' OR '1'='1")]) == {}
    assert by_name(source, [flt(source.database, None, ("INCLUDE", "' OR 1=1 --"))]) == {}


def test_many_tables_stream_in_order_with_all_their_columns(source):
    many = f"{source.database}_many"
    with admin() as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{many}`")
        columns = ", ".join(f"c{j} int" for j in range(1, 21))
        for i in range(300):
            cur.execute(f"CREATE TABLE `{many}`.m_{i:04d} ({columns})")
    stream = mysql.connect(as_root(source, database=many)).tables([])
    first = next(stream)  # a generator: the first table arrives before the rest are read
    assert first.name == "m_0000" and len(first.columns) == 20
    rest = list(stream)
    assert [t.name for t in rest] == [f"m_{i:04d}" for i in range(1, 300)]
    assert all([c.name for c in t.columns] == [f"c{j}" for j in range(1, 21)] for t in rest)
    abandoned = mysql.connect(as_root(source, database=many)).tables([])
    assert next(abandoned).name == "m_0000"
    abandoned.close()  # a run that stops early leaves no connection behind
    with admin() as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = %s", (many,))
        assert cur.fetchone()[0] == 0


# --- errors ------------------------------------------------------------------------------------------------


def unreachable(spec) -> SourceUnreachable:
    with pytest.raises(SourceUnreachable) as caught:
        mysql.connect(spec).check()
    error = caught.value
    assert PASSWORD not in str(error) and PASSWORD not in repr(error)
    return error


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_check_succeeds_with_the_right_password(source):
    mysql.connect(source).check()


def test_a_wrong_password_is_access_denied_and_not_repeated(source):
    error = unreachable(with_(source, password=PASSWORD + "-wrong"))
    assert str(error) == (f"authentication failed for user {source.user} on {HOST}:{PORT}; "
                          "check the user name and password")
    assert error.error_type == "ACCESS_DENIED_EXCEPTION"
    assert PASSWORD + "-wrong" not in str(error)


def test_a_database_the_user_may_not_use_is_access_denied(source):
    error = unreachable(with_(source, database=f"{source.database}_hr"))
    assert "may not read database" in str(error) and error.error_type == "ACCESS_DENIED_EXCEPTION"


def test_a_missing_database_is_resource_not_found(source):
    error = unreachable(as_root(source, database="no_such_database_here"))
    assert "database no_such_database_here does not exist" in str(error)
    assert error.error_type == "RESOURCE_NOT_FOUND_EXCEPTION"


def test_a_closed_port_says_connection_refused(source):
    port = free_port()
    error = unreachable(with_(source, host="127.0.0.1", port=port))
    assert str(error) == f"cannot reach 127.0.0.1:{port}: connection refused; check host and port"
    assert error.error_type == "VALIDATION_EXCEPTION"


def test_an_unknown_host_says_so(source):
    error = unreachable(with_(source, host="no-such-host.invalid"))
    assert "unknown host no-such-host.invalid" in str(error) and error.error_type == "VALIDATION_EXCEPTION"


def test_a_server_that_never_answers_times_out_within_the_timeout(source):
    with socket.socket() as silent:  # accepts TCP connections (backlog) but never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        started = time.monotonic()
        error = unreachable(with_(source, host="127.0.0.1", port=silent.getsockname()[1], timeout_seconds=1))
        assert time.monotonic() - started < 4
    assert "no answer within 1 s" in str(error) and error.error_type == "VALIDATION_EXCEPTION"


def test_tables_raises_the_same_way_as_check(source):
    with pytest.raises(SourceUnreachable, match="authentication failed"):
        list(mysql.connect(with_(source, password="nope")).tables([]))
