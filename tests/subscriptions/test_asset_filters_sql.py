"""Row filters as SQL (what the lake and the PostgreSQL warehouse enforce) and their checks, run on real engines."""

import duckdb
import psycopg
import pytest

from conftest import PG_ADMIN_URL, REQUIRE_POSTGRES
from openzone.errors import ValidationError
from openzone.subscriptions.row_filters import describe, problems, to_sql

COLUMNS = {"id": "int", "name": "string", "amount": "decimal(10,2)", "day": "date", "flag": "boolean",
           "Odd Name": "varchar(10)", "tags": "array<string>"}
ROWS = [(1, "alice", "10.50", "2024-01-01", True, "x"), (2, "bob", "20.00", "2024-02-01", False, "it's"),
        (3, None, "7.25", "2024-03-01", None, None)]


def _e(operator, column, **operand):
    return {"expression": {operator: {"columnName": column, **operand}}}


CASES = [  # (filter, ids kept)
    (_e("equalTo", "name", value="alice"), [1]),
    (_e("notEqualTo", "name", value="alice"), [2]),
    (_e("greaterThan", "amount", value="10.5"), [2]),
    (_e("greaterThanOrEqualTo", "amount", value="10.5"), [1, 2]),
    (_e("lessThan", "day", value="2024-02-01"), [1]),
    (_e("lessThanOrEqualTo", "id", value="2"), [1, 2]),
    (_e("in", "id", values=["1", "3"]), [1, 3]),
    (_e("notIn", "name", values=["alice"]), [2]),
    (_e("isNull", "name"), [3]),
    (_e("isNotNull", "flag"), [1, 2]),
    (_e("like", "name", value="a%"), [1]),
    (_e("notLike", "name", value="a%"), [2]),
    (_e("equalTo", "Odd Name", value="it's"), [2]),
    (_e("equalTo", "flag", value="true"), [1]),
    ({"or": [_e("equalTo", "id", value="3"),
             {"and": [_e("greaterThan", "amount", value="5"), _e("like", "name", value="%o%")]}]}, [2, 3]),
]


def _duckdb_ids(condition: str) -> list[int]:
    con = duckdb.connect()
    con.execute('CREATE TABLE t (id INTEGER, name VARCHAR, amount DECIMAL(10,2), day DATE, flag BOOLEAN, '
                '"Odd Name" VARCHAR)')
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", ROWS)
    return [r[0] for r in con.execute(f"SELECT id FROM t WHERE {condition} ORDER BY id").fetchall()]


@pytest.mark.parametrize(("row_filter", "kept"), CASES)
def test_every_operator_in_duckdb(row_filter, kept):
    assert problems(row_filter, COLUMNS) is None
    assert _duckdb_ids(to_sql(row_filter, "duckdb")) == kept


@pytest.fixture(scope="module")
def pg():
    dsn = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        conn = psycopg.connect(dsn, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is not reachable: {error}")
        pytest.skip(f"PostgreSQL is not reachable: {error}")
    conn.execute('CREATE TEMP TABLE t (id INTEGER, name TEXT, amount NUMERIC(10,2), day DATE, flag BOOLEAN, '
                 '"Odd Name" VARCHAR(10))')
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO t VALUES (%s, %s, %s, %s, %s, %s)", ROWS)
    yield conn
    conn.close()


@pytest.mark.parametrize(("row_filter", "kept"), CASES)
def test_every_operator_in_postgres(pg, row_filter, kept):
    rows = pg.execute(f"SELECT id FROM t WHERE {to_sql(row_filter, 'postgres')} ORDER BY id").fetchall()
    assert [r[0] for r in rows] == kept


def test_values_are_literals_and_names_are_quoted():
    evil = _e("equalTo", 'x"; DROP TABLE t; --', value="'; DROP TABLE t; --")
    assert to_sql(evil, "postgres") == '"x""; DROP TABLE t; --" = \'\'\'; DROP TABLE t; --\''
    assert _duckdb_ids(to_sql(_e("equalTo", "name", value="' OR '1'='1"), "duckdb")) == []


def test_effective_row_filter_text():
    row_filter = {"and": [_e("equalTo", "name", value="alice"), _e("isNotNull", "Odd Name")]}
    assert describe(row_filter) == "(name = 'alice') AND (NOT \"Odd Name\" IS NULL)"


@pytest.mark.parametrize(("row_filter", "message"), [
    (_e("equalTo", "missing", value="1"), "Column missing referenced in the row filter does not exist"),
    (_e("equalTo", "id", value="one"), "Value 'one' is not a valid int for column id"),
    (_e("in", "day", values=["2024-01-01", "yesterday"]), "Value 'yesterday' is not a valid date"),
    (_e("like", "amount", value="1%"), "The like operator needs a string column"),
    (_e("equalTo", "tags", value="a"), "can only be filtered with isNull or isNotNull"),
])
def test_problems_against_the_columns(row_filter, message):
    assert message in problems(row_filter, COLUMNS)


@pytest.mark.parametrize("row_filter", [
    {}, {"and": []}, {"expression": {}}, {"expression": {"between": {"columnName": "id"}}},
    {"expression": {"in": {"columnName": "id", "values": []}}},
    {"and": [_e("isNull", "id")], "or": [_e("isNull", "id")]},
])
def test_malformed_trees_are_refused(row_filter):
    with pytest.raises(ValidationError):
        to_sql(row_filter, "duckdb")


def test_unknown_dialect_is_refused():
    with pytest.raises(ValueError):
        to_sql(_e("isNull", "id"), "mysql")
