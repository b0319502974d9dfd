"""The PostgreSQL/Redshift connector against the real PostgreSQL: what a catalog of tables and views yields."""

import socket
import time
from urllib.parse import urlsplit

import psycopg
import pytest

from conftest import drop_postgres_database, postgres_database
from openzone.sources.connectors import postgres
from openzone.sources.connectors.base import (
    ConnectionSpec,
    FilterExpression,
    RelationalFilter,
    SourceUnreachable,
)

PASSWORD = "Quokka-7319-Tangerine"  # distinctive, so that a message carrying it is easy to spot

CATALOG = """
CREATE SCHEMA sales;
CREATE TABLE sales.orders (
    id bigint PRIMARY KEY,
    customer text NOT NULL,
    amount numeric(10,2),
    created timestamp with time zone,
    tags text[],
    "Mixed Case" varchar(20)
);
COMMENT ON TABLE sales.orders IS 'One row per order';
COMMENT ON COLUMN sales.orders.amount IS 'Total in euros';
CREATE TABLE sales.order_lines (order_id bigint, line_no int, sku text, PRIMARY KEY (order_id, line_no));
CREATE TABLE sales.orders_tmp (id int);
CREATE VIEW sales.big_orders AS SELECT id, amount FROM sales.orders WHERE amount > 1000;
COMMENT ON VIEW sales.big_orders IS 'Orders over 1000';
CREATE MATERIALIZED VIEW sales.order_totals AS SELECT customer, sum(amount) AS total FROM sales.orders GROUP BY 1;
CREATE TABLE sales.events (at date NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE sales.events_2024 PARTITION OF sales.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE sales.reshaped (keep int, dropped int, kept_too text);
ALTER TABLE sales.reshaped DROP COLUMN dropped;
CREATE SEQUENCE sales.order_ids;
CREATE INDEX orders_customer ON sales.orders (customer);
CREATE TYPE sales.mood AS (happy boolean);
CREATE SCHEMA audit;
CREATE TABLE audit.log (id serial PRIMARY KEY, message text);
CREATE SCHEMA "Staging";
CREATE TABLE "Staging".raw_orders (payload jsonb);
CREATE TABLE public.no_columns ();
CREATE ROLE {nologin} NOLOGIN;
"""


@pytest.fixture(scope="module")
def source():
    """A fresh PostgreSQL database holding CATALOG; yields a ConnectionSpec for it."""
    url = postgres_database()
    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
    database = parts.path.lstrip("/")
    nologin = f"{database}_nologin"
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(CATALOG.format(nologin=nologin))
    spec = ConnectionSpec("POSTGRESQL", host=parts.hostname, port=parts.port or 5432, database=database,
                          user=parts.username or "postgres", password=PASSWORD, timeout_seconds=3)
    yield spec
    drop_postgres_database(url)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0] + "/postgres",
                         autocommit=True) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {nologin}")


def by_name(spec, filters=()):
    return {f"{t.schema}.{t.name}": t for t in postgres.connect(spec).tables(list(filters))}


def flt(database, schema=None, *expressions):
    return RelationalFilter(database, schema, tuple(FilterExpression(kind, e) for kind, e in expressions))


def test_tables_carry_types_comments_keys_and_nullability(source):
    orders = by_name(source)["sales.orders"]
    assert (orders.database, orders.schema, orders.kind) == (source.database, "sales", "TABLE")
    assert orders.qualified_name == f"{source.database}.sales.orders"
    assert orders.comment == "One row per order"
    columns = {c.name: c for c in orders.columns}
    assert [c.name for c in orders.columns] == ["id", "customer", "amount", "created", "tags", "Mixed Case"]
    assert {n: c.data_type for n, c in columns.items()} == {
        "id": "bigint", "customer": "text", "amount": "numeric(10,2)", "created": "timestamp with time zone",
        "tags": "text[]", "Mixed Case": "character varying(20)"}
    assert columns["amount"].comment == "Total in euros" and columns["customer"].comment is None
    assert [n for n, c in columns.items() if c.primary_key] == ["id"]
    assert not columns["id"].nullable and not columns["customer"].nullable and columns["amount"].nullable
    assert orders.view_sql is None and orders.extra == {}


def test_a_composite_primary_key_marks_every_member(source):
    lines = by_name(source)["sales.order_lines"]
    assert [(c.name, c.primary_key) for c in lines.columns] == [
        ("order_id", True), ("line_no", True), ("sku", False)]


def test_views_and_materialized_views_are_views_with_their_definition(source):
    tables = by_name(source)
    view = tables["sales.big_orders"]
    assert view.kind == "VIEW" and view.comment == "Orders over 1000"
    assert [(c.name, c.data_type) for c in view.columns] == [("id", "bigint"), ("amount", "numeric(10,2)")]
    assert "amount > 1000" in view.view_sql.replace("(", "").replace(")", "").replace("::numeric", "")
    totals = tables["sales.order_totals"]
    assert totals.kind == "VIEW" and totals.extra == {"materialized": True}
    assert "sum(" in totals.view_sql and [c.name for c in totals.columns] == ["customer", "total"]


def test_partitioned_tables_come_once_and_their_partitions_not_at_all(source):
    tables = by_name(source)
    assert tables["sales.events"].kind == "TABLE" and tables["sales.events"].extra == {"partitioned": True}
    assert "sales.events_2024" not in tables


def test_dropped_columns_vanish_and_a_table_without_columns_still_counts(source):
    tables = by_name(source)
    assert [c.name for c in tables["sales.reshaped"].columns] == ["keep", "kept_too"]
    assert tables["public.no_columns"].columns == ()


def test_only_tables_and_views_of_user_schemas_and_in_a_stable_order(source):
    first = list(postgres.connect(source).tables([]))
    names = [f"{t.schema}.{t.name}" for t in first]
    assert sorted(names) == sorted([
        "Staging.raw_orders", "audit.log", "public.no_columns", "sales.big_orders", "sales.events",
        "sales.order_lines", "sales.order_totals", "sales.orders", "sales.orders_tmp", "sales.reshaped"])
    # No sequences, indexes, composite types, partitions or system catalogs.
    assert names == sorted(names, key=lambda n: tuple(n.encode() for n in n.split(".", 1)))
    second = list(postgres.connect(source).tables([]))
    assert [t.fingerprint() for t in first] == [t.fingerprint() for t in second]


def test_include_and_exclude_globs_select_tables(source):
    chosen = by_name(source, [flt(source.database, "sales", ("INCLUDE", "order*"), ("EXCLUDE", "*_tmp"))])
    assert sorted(chosen) == ["sales.order_lines", "sales.order_totals", "sales.orders"]


def test_schema_filters_read_only_the_named_schemas_case_insensitively(source):
    assert sorted(by_name(source, [flt(source.database, "audit")])) == ["audit.log"]
    assert sorted(by_name(source, [flt(source.database.upper(), "STAGING")])) == ["Staging.raw_orders"]
    both = by_name(source, [flt(source.database, "audit"), flt(source.database, "Staging", ("EXCLUDE", "*"))])
    assert sorted(both) == ["audit.log"]


def test_a_filter_without_schema_reads_every_schema_and_one_for_another_database_reads_nothing(source):
    assert len(by_name(source, [flt(source.database, None, ("INCLUDE", "*orders*"))])) == 4
    assert by_name(source, [flt("some_other_database", "sales")]) == {}


def test_schema_names_and_globs_are_never_sql(source):
    hostile = "sales') OR true OR ('x"
    assert by_name(source, [flt(source.database, hostile)]) == {}
    assert by_name(source, [flt(source.database, "sales", ("INCLUDE", "' OR 1=1 --"))]) == {}


def test_redshift_kind_reads_the_same_catalog(source):
    spec = ConnectionSpec("REDSHIFT", host=source.host, port=source.port, database=source.database,
                          user=source.user, password=PASSWORD)
    assert by_name(spec, [flt(source.database, "audit")])["audit.log"].columns[0].primary_key
    # Without a port, each kind gets its server's usual one.
    assert postgres.connect(with_(spec, port=None)).port == 5439
    assert postgres.connect(with_(source, port=None)).port == 5432


def test_many_tables_stream_in_order_with_all_their_columns(source):
    dsn = f"postgresql://{source.user}@{source.host}:{source.port}/{source.database}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA many")
        for first in range(0, 1500, 300):  # batches keep the lock table small
            conn.execute(f"""DO $$ BEGIN FOR i IN {first}..{first + 299} LOOP
                EXECUTE format('CREATE TABLE many.%I (%s)', 'm_' || lpad(i::text, 4, '0'),
                    (SELECT string_agg(format('c%s int', j), ', ') FROM generate_series(1, 20) j));
                END LOOP; END $$""")
    stream = postgres.connect(source).tables([flt(source.database, "many")])
    first = next(stream)  # a generator: the first table arrives before the rest are read
    assert first.name == "m_0000" and len(first.columns) == 20
    rest = list(stream)
    assert len(rest) == 1499 and [t.name for t in rest] == [f"m_{i:04d}" for i in range(1, 1500)]
    assert all([c.name for c in t.columns] == [f"c{j}" for j in range(1, 21)] for t in rest)
    abandoned = postgres.connect(source).tables([flt(source.database, "many")])
    assert next(abandoned).name == "m_0000"
    abandoned.close()  # a run that stops early leaves no connection behind
    with psycopg.connect(dsn, autocommit=True) as conn:
        left = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = "
                            "'openzone'", (source.database,)).fetchone()[0]
    assert left == 0


# --- errors ------------------------------------------------------------------------------------------------


def unreachable(spec) -> SourceUnreachable:
    with pytest.raises(SourceUnreachable) as caught:
        postgres.connect(spec).check()
    error = caught.value
    assert PASSWORD not in str(error) and PASSWORD not in repr(error)
    return error


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def with_(spec, **changes) -> ConnectionSpec:
    return ConnectionSpec(**{**spec.__dict__, **changes})


def test_check_succeeds_on_a_good_connection(source):
    postgres.connect(source).check()


def test_a_closed_port_says_connection_refused(source):
    port = free_port()
    error = unreachable(with_(source, port=port))
    assert str(error) == f"cannot reach 127.0.0.1:{port}: connection refused; check host and port"
    assert error.error_type == "VALIDATION_EXCEPTION"


def test_an_unknown_host_says_so(source):
    error = unreachable(with_(source, host="no-such-host.invalid"))
    assert "unknown host no-such-host.invalid" in str(error) and error.error_type == "VALIDATION_EXCEPTION"


def test_a_missing_database_is_resource_not_found(source):
    error = unreachable(with_(source, database="no_such_database_here"))
    assert "database no_such_database_here does not exist" in str(error)
    assert error.error_type == "RESOURCE_NOT_FOUND_EXCEPTION"


def test_an_unknown_user_is_access_denied(source):
    error = unreachable(with_(source, user="nobody_by_that_name"))
    assert "authentication failed for user nobody_by_that_name" in str(error)
    assert error.error_type == "ACCESS_DENIED_EXCEPTION"


def test_a_role_that_may_not_log_in_is_access_denied(source):
    error = unreachable(with_(source, user=f"{source.database}_nologin"))
    assert "not permitted to log in" in str(error) and error.error_type == "ACCESS_DENIED_EXCEPTION"


def test_a_server_that_never_answers_times_out_within_the_timeout(source):
    with socket.socket() as silent:  # accepts TCP connections (backlog) but never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        started = time.monotonic()
        error = unreachable(with_(source, port=silent.getsockname()[1], timeout_seconds=2))
        assert time.monotonic() - started < 6
    assert "no answer within 2 s" in str(error) and error.error_type == "VALIDATION_EXCEPTION"


def test_the_ssl_mode_option_reaches_libpq(source):
    with psycopg.connect(host=source.host, port=source.port, dbname=source.database, user=source.user) as conn:
        server_has_tls = conn.execute("SHOW ssl").fetchone()[0] == "on"
    requiring_tls = with_(source, options={"sslmode": "require"})
    if server_has_tls:
        postgres.connect(requiring_tls).check()
    else:  # the machine's PostgreSQL has no TLS: requiring it must fail, and say why
        error = unreachable(requiring_tls)
        assert "does not support SSL" in str(error) and error.error_type == "VALIDATION_EXCEPTION"


def test_tables_raises_the_same_way_as_check(source):
    with pytest.raises(SourceUnreachable, match="connection refused"):
        list(postgres.connect(with_(source, port=free_port())).tables([]))


def test_the_password_is_not_in_the_specs_repr(source):
    assert PASSWORD not in repr(source)
