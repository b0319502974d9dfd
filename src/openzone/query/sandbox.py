"""DuckDB connections that can see exactly a given set of lake tables, enforced by DuckDB itself."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from openzone.lake.extensions import duckdb_config, signatures_verified
from openzone.lake.warehouse import TableRef, validate_name

_MEMORY_LIMIT_RE = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)


class SandboxOpenError(Exception):
    """A visible table could not be opened (e.g. its metadata file is missing)."""

    def __init__(self, database: str, table: str, error: duckdb.Error) -> None:
        super().__init__(f"Table {database}.{table} could not be opened: {str(error).splitlines()[0]}")
        self.database, self.table, self.error = database, table, error


@dataclass(frozen=True)
class ViewFilter:
    """Part of a table a sandbox shows: these columns (None: all) of the rows where `where` holds (None: all).

    `where` is an SQL condition built by openzone (sqlglot, quoted identifiers, literal values), never user text.
    """

    columns: tuple[str, ...] | None
    where: str | None


@dataclass(frozen=True)
class SandboxSpec:
    """What one sandbox shows: databases of views over tables, and its resource limits."""

    databases: Mapping[str, Mapping[str, TableRef]]  # database name -> view name -> table
    default_database: str | None = None
    memory_limit: str = "1GB"
    threads: int = 2
    # (database, view) -> the part of its table it shows; such tables are copied in, their files stay unreachable
    filters: Mapping[tuple[str, str], ViewFilter] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for db, views in self.databases.items():
            validate_name(db, "database name")
            for view in views:
                validate_name(view, "table name")
        if self.default_database is not None and self.default_database not in self.databases:
            raise ValueError(f"Default database {self.default_database!r} is not in the sandbox")
        if not _MEMORY_LIMIT_RE.fullmatch(self.memory_limit):
            raise ValueError(f"Invalid memory limit {self.memory_limit!r}, e.g. '512MB' or '2GB'")
        if not isinstance(self.threads, int) or self.threads < 1:
            raise ValueError(f"Invalid thread count {self.threads!r}")

    def cache_key(self) -> tuple:
        """Return a hashable key; a new snapshot of any table (new metadata file) makes a new key."""
        dbs = tuple(
            (db, tuple(sorted((view, ref.metadata_location, ref.location) for view, ref in views.items())))
            for db, views in sorted(self.databases.items())
        )
        filters = tuple(sorted(self.filters.items()))
        return (dbs, self.default_database, self.memory_limit, self.threads, filters)

    def session_database(self) -> str | None:
        """Return the database that bare table names resolve in: the default, else the first one."""
        if self.default_database is not None:
            return self.default_database
        return min(self.databases) if self.databases else None

    def allowed_directories(self) -> list[str]:
        """Return the folders of the tables shown whole, each with a trailing slash (filtered ones are copied in)."""
        folders = {
            ref.location.rstrip("/") + "/"
            for db, views in self.databases.items()
            for view, ref in views.items()
            if (db, view) not in self.filters
        }
        return sorted(folders)


def quote_ident(name: str) -> str:
    """Quote an SQL identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Quote an SQL string literal for DuckDB."""
    return "'" + value.replace("'", "''") + "'"


def _create_views(con: duckdb.DuckDBPyConnection, spec: SandboxSpec) -> None:
    """Attach one empty in-memory catalog per database and define its views over iceberg_scan.

    A filtered table is instead copied (its allowed columns and rows only) into the in-memory catalog
    before the sandbox is locked: its folder is then not among the allowed directories, so no SQL of
    the consumer (iceberg_scan, read_parquet, a path as a table name) can reach the unfiltered files.
    """
    if spec.filters:  # the copies live in memory, bounded by the sandbox's limit; nothing spills to disk
        con.execute("SET temp_directory = ''")
        con.execute(f"SET memory_limit = {quote_literal(spec.memory_limit)}")
    for db, views in sorted(spec.databases.items()):
        con.execute(f"ATTACH ':memory:' AS {quote_ident(db)}")
        for view, ref in sorted(views.items()):
            scan = f"iceberg_scan({quote_literal(ref.metadata_location)})"
            shown = spec.filters.get((db, view))
            try:
                if shown is None:
                    # DuckDB binds a view when it is created, so this reads the table's metadata now.
                    con.execute(f"CREATE VIEW {quote_ident(db)}.main.{quote_ident(view)} AS SELECT * FROM {scan}")
                    continue
                columns = ", ".join(map(quote_ident, shown.columns)) if shown.columns is not None else "*"
                where = f" WHERE {shown.where}" if shown.where else ""
                con.execute(f"CREATE TABLE {quote_ident(db)}.main.{quote_ident(view)} AS "
                            f"SELECT {columns} FROM {scan}{where}")
            except duckdb.Error as e:
                raise SandboxOpenError(db, view, e) from e
    if (session_db := spec.session_database()) is not None:
        con.execute(f"USE {quote_ident(session_db)}")
        # With `memory` gone, catalog views list only the spec's databases (plus system/temp).
        con.execute("DETACH memory")


def _lock_down(con: duckdb.DuckDBPyConnection, spec: SandboxSpec) -> None:
    """Restrict file access to the visible tables' folders, set limits, and lock the configuration."""
    dirs = ", ".join(quote_literal(d) for d in spec.allowed_directories())
    for statement in (
        # No temp directory: nothing spills to disk, a query over the limit fails instead.
        # (Must come before enable_external_access=false, which freezes temp_directory.)
        "SET temp_directory = ''",
        f"SET allowed_directories = [{dirs}]",
        "SET enable_external_access = false",
        f"SET memory_limit = {quote_literal(spec.memory_limit)}",
        f"SET threads = {int(spec.threads)}",
        # Python replacement scans would let SQL read the caller's DataFrames by variable name.
        "SET python_enable_replacements = false",
        "SET autoload_known_extensions = false",
        "SET autoinstall_known_extensions = false",
        "SET allow_community_extensions = false",
        "SET allow_persistent_secrets = false",
        # Arrow results carry timestamptz in UTC, which Iceberg requires for CTAS.
        "SET TimeZone = 'UTC'",
        "SET lock_configuration = true",
    ):
        con.execute(statement)


def open_sandbox(spec: SandboxSpec, ext_dir: Path) -> duckdb.DuckDBPyConnection:
    """Open a new in-memory DuckDB that sees exactly the spec's tables, with its configuration locked."""
    config = duckdb_config(ext_dir)
    if signatures_verified(ext_dir):
        # Checking an extension's signature costs ~0.4 s per LOAD; these files were checked once in
        # this process (verify_signatures), and nothing inside a locked sandbox can LOAD anything else.
        config["allow_unsigned_extensions"] = "true"
    con = duckdb.connect(":memory:", config=config)
    try:
        con.execute("LOAD iceberg")
        _create_views(con, spec)
        _lock_down(con, spec)
    except BaseException:
        con.close()
        raise
    return con


def new_cursor(con: duckdb.DuckDBPyConnection, spec: SandboxSpec) -> duckdb.DuckDBPyConnection:
    """Return a new connection to a sandbox's database, with the spec's session database in use."""
    cur = con.cursor()
    # A cursor starts without a current catalog (`memory` was detached): set it per cursor.
    if (session_db := spec.session_database()) is not None:
        cur.execute(f"USE {quote_ident(session_db)}")
    return cur


class SandboxPool:
    """A thread-safe LRU of open sandboxes; each query gets its own cursor on a shared database."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._open: OrderedDict[tuple, duckdb.DuckDBPyConnection] = OrderedDict()
        self._opening: dict[tuple, threading.Lock] = {}

    def _cached(self, key: tuple, spec: SandboxSpec) -> duckdb.DuckDBPyConnection | None:
        with self._lock:
            con = self._open.get(key)
            if con is None:
                return None
            self._open.move_to_end(key)
            return new_cursor(con, spec)

    def cursor(self, spec: SandboxSpec, ext_dir: Path) -> duckdb.DuckDBPyConnection:
        """Return a fresh cursor on the sandbox for `spec`, opening it if it is not cached."""
        key = (str(ext_dir), spec.cache_key())
        if (cur := self._cached(key, spec)) is not None:
            return cur
        with self._lock:
            gate = self._opening.setdefault(key, threading.Lock())
        # One thread per key opens (a few hundred ms, LOAD iceberg); the others wait for it.
        with gate:
            if (cur := self._cached(key, spec)) is not None:
                return cur
            try:
                opened = open_sandbox(spec, ext_dir)
            except BaseException:
                with self._lock:
                    self._opening.pop(key, None)
                raise
            with self._lock:
                self._opening.pop(key, None)
                self._open[key] = opened
                # Evicted connections are only dropped, not closed: closing one would close the
                # cursors of queries still running on it; DuckDB frees it with its last cursor.
                while len(self._open) > self.size:
                    self._open.popitem(last=False)
                return new_cursor(opened, spec)

    def clear(self) -> None:
        """Forget all cached sandboxes."""
        with self._lock:
            self._open.clear()


DEFAULT_POOL = SandboxPool()
