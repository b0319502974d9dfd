"""MySQL and MariaDB: the tables and views of one or more databases, from information_schema.

MySQL has no schemas under a database, so `TableInfo.database` is the MySQL database and `schema` is
None. Which databases are read: those the filters name (case-insensitively; a MySQL user's grants
decide what it may see), else the connection's database, else every database but the system ones.

information_schema joins are slow on MySQL/MariaDB (each side is materialized without indexes: 2,000
tables took 13 s joined against 0.3 s apart), so each database is read with two streamed queries on two
connections, both ordered by the table name's bytes, and merged here: TABLES (with VIEWS joined, which
is cheap, for the view text) and COLUMNS. Memory stays flat however many tables there are.
Primary keys are COLUMNS.COLUMN_KEY = 'PRI' (MySQL shows the first UNIQUE NOT NULL key as PRI when a
table has no primary key, which is also the key InnoDB clusters the rows by).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import closing

import pymysql
import pymysql.cursors

from openzone.sources.connectors.base import (
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

DEFAULT_PORT = 3306
SYSTEM_DATABASES = frozenset({"information_schema", "mysql", "performance_schema", "sys"})
# TABLE_TYPE values worth an asset; MariaDB's SEQUENCE and the SYSTEM VIEWs of information_schema are not.
_KINDS = {"BASE TABLE": TABLE, "SYSTEM VERSIONED": TABLE, "VIEW": VIEW}
# Once connected, a catalog query may take a while before its first row (information_schema opens
# every table definition); only a server silent for this long is taken as gone.
CATALOG_READ_TIMEOUT_SECONDS = 600

_TABLES_QUERY = """
SELECT t.TABLE_NAME, t.TABLE_TYPE, t.TABLE_COMMENT, v.VIEW_DEFINITION
FROM information_schema.TABLES t
LEFT JOIN information_schema.VIEWS v
       ON v.TABLE_SCHEMA = t.TABLE_SCHEMA AND v.TABLE_NAME = t.TABLE_NAME AND v.TABLE_SCHEMA = %s
WHERE t.TABLE_SCHEMA = %s
ORDER BY CAST(t.TABLE_NAME AS BINARY)
"""

_COLUMNS_QUERY = """
SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_COMMENT, COLUMN_KEY
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = %s
ORDER BY CAST(TABLE_NAME AS BINARY), ORDINAL_POSITION
"""


def connect(spec: ConnectionSpec) -> MySQLConnector:
    """A connector for a MySQL or MariaDB server (nothing is opened until it is used)."""
    return MySQLConnector(spec)


class MySQLConnector:
    """Reads tables and views from a MySQL/MariaDB server's information_schema."""

    def __init__(self, spec: ConnectionSpec) -> None:
        if not spec.host:
            raise SourceUnreachable("the connection has no host; set the database host", "VALIDATION_EXCEPTION")
        self.spec = spec
        self.port = spec.port or DEFAULT_PORT

    def check(self) -> None:
        """Connect and authenticate once."""
        with closing(self._connect()) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT 1")

    def tables(self, filters: Sequence[RelationalFilter]) -> Iterator[TableInfo]:
        """Every selected table and view, ordered by database then name, streamed."""
        with closing(self._connect()) as catalog, closing(self._connect()) as columns:
            try:
                for database in self._databases(catalog, filters):
                    yield from _database_tables(catalog, columns, database, filters)
            except pymysql.Error as error:
                raise _unreachable(error, self.spec, self.port) from None

    def _databases(self, conn: pymysql.Connection, filters: Sequence[RelationalFilter]) -> list[str]:
        with conn.cursor() as cursor:
            cursor.execute("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY CAST(SCHEMA_NAME AS BINARY)")
            present = [name for (name,) in cursor.fetchall() if name.lower() not in SYSTEM_DATABASES]
        if filters:
            named = {database.casefold() for database, _schema in scopes(filters)}
            return [name for name in present if name.casefold() in named]
        if self.spec.database:
            return [name for name in present if name == self.spec.database]
        return present

    def _connect(self) -> pymysql.Connection:
        spec = self.spec
        timeout = max(spec.timeout_seconds, 0.1)
        try:
            conn = pymysql.connect(
                host=spec.host,
                port=self.port,
                user=spec.user or "",
                password=spec.password or "",
                database=spec.database or None,
                charset="utf8mb4",
                # The read timeout also bounds the handshake: a port that accepts but never speaks.
                connect_timeout=timeout,
                read_timeout=timeout,
                write_timeout=timeout,
                autocommit=True,
                program_name="openzone",
                # The server gives up on a streamed result whose reader pauses longer than this (60 s by
                # default); the run reading our stream may pause to import a table.
                init_command=f"SET SESSION net_write_timeout = {CATALOG_READ_TIMEOUT_SECONDS}",
            )
        except pymysql.Error as error:
            raise _unreachable(error, spec, self.port) from None
        except (OSError, ValueError, IndexError, KeyError) as error:  # not a MySQL server's handshake
            raise SourceUnreachable(
                f"cannot connect to {spec.host}:{self.port}: the server there does not speak MySQL's protocol "
                f"({type(error).__name__}); check host and port", "VALIDATION_EXCEPTION") from None
        # PyMySQL (pinned) has no public setter for the read timeout after connecting.
        conn._read_timeout = max(timeout, CATALOG_READ_TIMEOUT_SECONDS)
        return conn


def _database_tables(catalog: pymysql.Connection, columns_conn: pymysql.Connection, database: str,
                     filters: Sequence[RelationalFilter]) -> Iterator[TableInfo]:
    """Merge the database's TABLES and COLUMNS streams (both ordered by name bytes) into TableInfos."""
    with catalog.cursor(pymysql.cursors.SSCursor) as tables, \
            columns_conn.cursor(pymysql.cursors.SSCursor) as columns:
        tables.execute(_TABLES_QUERY, (database, database))
        columns.execute(_COLUMNS_QUERY, (database,))
        pending = columns.fetchone()
        for name, table_type, comment, view_sql in tables:
            key = name.encode()
            # Columns of a table dropped between the two queries sort before this one: pass them over.
            while pending is not None and pending[0].encode() < key:
                pending = columns.fetchone()
            table_columns = []
            while pending is not None and pending[0] == name:
                _, column, data_type, nullable, column_comment, column_key = pending
                table_columns.append(ColumnInfo(column, data_type, column_comment or None, column_key == "PRI",
                                                nullable == "YES"))
                pending = columns.fetchone()
            kind = _KINDS.get(table_type)
            if kind is None or not selected(filters, database, None, name):
                continue
            yield TableInfo(
                database=database,
                name=name,
                columns=tuple(table_columns),
                kind=kind,
                # MySQL reports a view's comment as the word VIEW; views have no comments of their own.
                comment=(comment or None) if kind == TABLE else None,
                view_sql=(view_sql or None) if kind == VIEW else None,  # empty without the SHOW VIEW grant
            )
        # Drain what is left so the connection can take the next database's query.
        while pending is not None:
            pending = columns.fetchone()


# --- errors a person can act on ---------------------------------------------------------------------------

_REFUSED, _UNKNOWN_HOST = "connection refused", ("name or service not known", "name resolution", "nodename nor")


def _unreachable(error: pymysql.Error, spec: ConnectionSpec, port: int) -> SourceUnreachable:
    """Turn the server's or the network's refusal into what to fix, without the password."""
    code = error.args[0] if error.args and isinstance(error.args[0], int) else None
    text = str(error.args[1]) if len(error.args) > 1 else str(error)
    lowered = text.lower()
    where = f"{spec.host}:{port}"
    user = spec.user or "(anonymous)"
    if code == 1045:
        return SourceUnreachable(f"authentication failed for user {user} on {where}; check the user name and "
                                 "password", "ACCESS_DENIED_EXCEPTION")
    if code in (1044, 1142, 1143):
        return SourceUnreachable(f"user {user} may not read database {spec.database} on {where}; grant it "
                                 "access or pick another database", "ACCESS_DENIED_EXCEPTION")
    if code == 1049:
        return SourceUnreachable(f"database {spec.database} does not exist on {where}; check the database name",
                                 "RESOURCE_NOT_FOUND_EXCEPTION")
    if code in (1040, 1203, 1226):
        return SourceUnreachable(f"{where} accepts no more connections for {user}; try again later or raise "
                                 "its connection limit", "SERVICE_QUOTA_EXCEEDED_EXCEPTION")
    if code == 1129:
        return SourceUnreachable(f"{where} blocks this host after too many failed connections; unblock it "
                                 "(FLUSH HOSTS)", "ACCESS_DENIED_EXCEPTION")
    if _REFUSED in lowered:
        return SourceUnreachable(f"cannot reach {where}: connection refused; check host and port",
                                 "VALIDATION_EXCEPTION")
    if any(marker in lowered for marker in _UNKNOWN_HOST):
        return SourceUnreachable(f"cannot reach {where}: unknown host {spec.host}; check the host name",
                                 "VALIDATION_EXCEPTION")
    if "timed out" in lowered:
        return SourceUnreachable(
            f"cannot reach {where}: no answer within {spec.timeout_seconds:g} s; check host, port and that a "
            "firewall lets the connection through", "VALIDATION_EXCEPTION")
    if code is not None and code >= 2000:  # client-side: the network or the protocol
        return SourceUnreachable(f"cannot connect to {where}: {_scrub(text, spec)}", "VALIDATION_EXCEPTION")
    return SourceUnreachable(f"reading the catalog on {where} failed: {_scrub(text, spec)}",
                             "INTERNAL_SERVER_EXCEPTION")


def _scrub(text: str, spec: ConnectionSpec) -> str:
    # MySQL's messages say "using password: YES", never the password; keep it that way whatever happens.
    if spec.password:
        text = text.replace(spec.password, "***")
    return text
