"""PostgreSQL and Amazon Redshift (which speaks PostgreSQL's protocol): tables and views of one database.

The whole catalog comes from one query over pg_catalog (the basics Redshift's leader node answers too):
every column of every table and view in the selected schemas, with table and column comments and
primary-key membership joined in SQL, ordered by schema, table and column position. The rows are
streamed (libpq's single-row mode, so no server-side cursor, which Redshift discourages) and grouped
into one `TableInfo` per table as they arrive: memory stays flat however many tables there are.

Schemas named by the filters are pushed down as bound parameters; the table-name globs are applied
here with `base.selected`. System schemas (pg_catalog, information_schema, pg_toast and every other
`pg_*`, which PostgreSQL reserves) are never read. Materialized views come out as VIEW (they are defined
by a query, like DataZone's Redshift view assets) with `extra["materialized"]`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import psycopg

from openzone.sources.connectors.base import (
    REDSHIFT,
    TABLE,
    VIEW,
    ColumnInfo,
    ConnectionSpec,
    RelationalFilter,
    SourceUnreachable,
    TableInfo,
    scopes,
    selected,
)

DEFAULT_PORTS = {"POSTGRESQL": 5432, "REDSHIFT": 5439}
# relkind: r table, p partitioned table, f foreign table, v view, m materialized view.
_KINDS = {"r": (TABLE, {}), "p": (TABLE, {"partitioned": True}), "f": (TABLE, {"foreign": True}),
          "v": (VIEW, {}), "m": (VIEW, {"materialized": True})}

# One row per column (or one row with NULL columns for a relation that has none). The view text is sent
# on the first row of a view only, so that a wide view does not repeat its definition per column.
_CATALOG_QUERY = """
SELECT n.nspname, c.relname, c.relkind, td.description,
       CASE WHEN c.relkind IN ('v', 'm') AND COALESCE(a.attnum, 1) = 1 THEN pg_catalog.pg_get_viewdef(c.oid) END,
       a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, cd.description,
       COALESCE(a.attnum = ANY (pk.conkey), false)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_description td
       ON td.objoid = c.oid AND td.classoid = 'pg_catalog.pg_class'::regclass AND td.objsubid = 0
LEFT JOIN pg_catalog.pg_description cd
       ON cd.objoid = c.oid AND cd.classoid = 'pg_catalog.pg_class'::regclass AND cd.objsubid = a.attnum
LEFT JOIN pg_catalog.pg_constraint pk ON pk.conrelid = c.oid AND pk.contype = 'p'
WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm')
  AND n.nspname NOT LIKE 'pg\\_%%' AND n.nspname <> 'information_schema'
  {partitions}{schemas}
ORDER BY n.nspname, c.relname, a.attnum
"""


def connect(spec: ConnectionSpec) -> PostgresConnector:
    """A connector for one PostgreSQL or Redshift database (nothing is opened until it is used)."""
    return PostgresConnector(spec)


class PostgresConnector:
    """Reads the tables and views of `spec.database` from PostgreSQL's (or Redshift's) catalog."""

    def __init__(self, spec: ConnectionSpec) -> None:
        if not spec.host:
            raise SourceUnreachable("the connection has no host; set the database host", "VALIDATION_EXCEPTION")
        self.spec = spec
        self.port = spec.port or DEFAULT_PORTS.get(spec.kind, 5432)

    def check(self) -> None:
        """Connect and authenticate once."""
        with self._connect() as conn:
            conn.execute("SELECT 1")

    def tables(self, filters: Sequence[RelationalFilter]) -> Iterator[TableInfo]:
        """Every selected table and view, ordered by schema then name, streamed."""
        with self._connect() as conn:
            database = conn.info.dbname
            schemas = _schemas_to_read(filters, database)
            if schemas == []:
                return  # the filters name other databases only: nothing here is selected
            try:
                query, params = _catalog_query(conn, schemas)
                yield from _group(conn.cursor().stream(query, params), database, filters)
            except psycopg.OperationalError as error:
                raise _unreachable(error, self.spec, self.port) from None
            except psycopg.Error as error:
                raise SourceUnreachable(
                    f"reading the catalog of database {database} on {self.spec.host}:{self.port} failed: "
                    f"{_scrub(str(error), self.spec)}",
                    _error_type_of_query(error),
                ) from None

    def _connect(self) -> psycopg.Connection:
        spec = self.spec
        try:
            return psycopg.connect(
                host=spec.host,
                port=self.port,
                dbname=spec.database or None,
                user=spec.user or None,
                password=spec.password or None,
                # libpq counts whole seconds (and at least 2); round up so a short timeout still works.
                connect_timeout=max(1, math.ceil(spec.timeout_seconds)),
                application_name="openzone",
                autocommit=True,
                # libpq's default, "prefer", tries TLS and falls back to plain; Redshift and managed servers
                # are usually reached with "require" or "verify-full" (spec.options["sslmode"]).
                sslmode=spec.options.get("sslmode", "prefer"),
            )
        except psycopg.Error as error:
            raise _unreachable(error, spec, self.port) from None


def _schemas_to_read(filters: Sequence[RelationalFilter], database: str) -> list[str] | None:
    """The schemas the filters select in this database: None for all of them, [] for none."""
    if not filters:
        return None
    wanted = [schema for db, schema in scopes(filters) if db.casefold() == database.casefold()]
    if any(schema is None for schema in wanted):
        return None
    return wanted


def _catalog_query(conn: psycopg.Connection, schemas: list[str] | None) -> tuple[str, list[str]]:
    # Partitions of a partitioned table are its storage, not tables of their own (PostgreSQL 10+;
    # Redshift, which reports version 8.0, has neither partitions nor the column).
    modern = conn.info.server_version >= 100000 and "redshift" not in _version(conn).lower()
    partitions = "AND NOT c.relispartition " if modern else ""
    if schemas is None:
        return _CATALOG_QUERY.format(partitions=partitions, schemas=""), []
    # Identifiers are compared case-insensitively, as base.selected does; the names are bound parameters.
    placeholders = ", ".join(["lower(%s)"] * len(schemas))
    where = f"AND lower(n.nspname) IN ({placeholders})"
    return _CATALOG_QUERY.format(partitions=partitions, schemas=where), list(schemas)


def _version(conn: psycopg.Connection) -> str:
    row = conn.execute("SELECT version()").fetchone()
    return row[0] if row else ""


def _group(rows, database: str, filters: Sequence[RelationalFilter]) -> Iterator[TableInfo]:
    """Fold the catalog rows (ordered by schema, table, column) into one TableInfo per selected table."""
    current = None  # (schema, name, relkind, comment, view_sql) of the table being gathered
    columns: list[ColumnInfo] = []
    skipping = None  # (schema, name) of a table the filters leave out: its rows are passed over
    for schema, name, relkind, comment, view_sql, column, data_type, not_null, column_comment, in_pk in rows:
        if skipping == (schema, name):
            continue
        if current is None or current[0] != schema or current[1] != name:
            if current is not None:
                yield _table(database, current, columns)
            if not selected(filters, database, schema, name):
                skipping, current, columns = (schema, name), None, []
                continue
            skipping, current, columns = None, (schema, name, relkind, comment, view_sql), []
        if column is not None:
            columns.append(ColumnInfo(column, data_type, column_comment, in_pk, not not_null))
    if current is not None:
        yield _table(database, current, columns)


def _table(database: str, current: tuple, columns: list[ColumnInfo]) -> TableInfo:
    schema, name, relkind, comment, view_sql = current
    kind, extra = _KINDS[relkind]
    view_sql = view_sql.strip() if view_sql else None
    return TableInfo(database=database, name=name, columns=tuple(columns), schema=schema, kind=kind,
                     comment=comment, view_sql=view_sql, extra=dict(extra))


# --- errors a person can act on ---------------------------------------------------------------------------


def _unreachable(error: psycopg.Error, spec: ConnectionSpec, port: int) -> SourceUnreachable:
    """Turn libpq's connection failure into what to fix, without the password."""
    text = str(error)
    lowered = text.lower()
    where = f"{spec.host}:{port}"
    user = spec.user or "(default user)"
    if isinstance(error, psycopg.errors.ConnectionTimeout) or "timeout expired" in lowered:
        return SourceUnreachable(
            f"cannot reach {where}: no answer within {spec.timeout_seconds:g} s; check host, port and "
            "that a firewall lets the connection through", "VALIDATION_EXCEPTION")
    if "connection refused" in lowered:
        return SourceUnreachable(f"cannot reach {where}: connection refused; check host and port",
                                 "VALIDATION_EXCEPTION")
    if "resolve host" in lowered or "translate host name" in lowered or "name or service not known" in lowered:
        return SourceUnreachable(f"cannot reach {where}: unknown host {spec.host}; check the host name",
                                 "VALIDATION_EXCEPTION")
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return SourceUnreachable(f"authentication failed for user {user} on {where}; check the user name and "
                                 "password", "ACCESS_DENIED_EXCEPTION")
    if "role" in lowered and "does not exist" in lowered:
        return SourceUnreachable(f"authentication failed for user {user} on {where}: no such user; check the "
                                 "user name", "ACCESS_DENIED_EXCEPTION")
    if "not permitted to log in" in lowered or "pg_hba.conf" in lowered or "permission denied" in lowered:
        return SourceUnreachable(f"user {user} may not connect to database {spec.database} on {where}: "
                                 f"{_server_says(text, spec)}", "ACCESS_DENIED_EXCEPTION")
    if "database" in lowered and "does not exist" in lowered:
        return SourceUnreachable(f"database {spec.database} does not exist on {where}; check the database name",
                                 "RESOURCE_NOT_FOUND_EXCEPTION")
    if "too many connections" in lowered or "remaining connection slots" in lowered:
        return SourceUnreachable(f"{where} accepts no more connections; try again later or raise its "
                                 "connection limit", "SERVICE_QUOTA_EXCEEDED_EXCEPTION")
    return SourceUnreachable(f"cannot connect to {where}: {_server_says(text, spec)}", "VALIDATION_EXCEPTION")


def _error_type_of_query(error: psycopg.Error) -> str:
    if isinstance(error, psycopg.errors.InsufficientPrivilege):
        return "ACCESS_DENIED_EXCEPTION"
    return "INTERNAL_SERVER_EXCEPTION"


def _server_says(text: str, spec: ConnectionSpec) -> str:
    """libpq's own words, first line, without its 'connection to server at ... failed:' preamble."""
    line = text.strip().splitlines()[0] if text.strip() else "unknown error"
    if "failed: " in line:
        line = line.rsplit("failed: ", 1)[1]
    return _scrub(line.replace("FATAL:  ", "").strip(), spec)


def _scrub(text: str, spec: ConnectionSpec) -> str:
    # No known libpq message echoes the password, but a message must never carry it whatever the driver does.
    if spec.password:
        text = text.replace(spec.password, "***")
    return text
