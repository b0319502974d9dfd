"""What every connector yields, and the relational filter every connector honours.

A connector turns one source system (AWS Glue, openzone's own Iceberg catalog, PostgreSQL/Redshift,
MySQL/MariaDB, a folder of files on disk or S3) into a stream of `TableInfo`: one per table or view, with
its columns. The data-source run (sources/runs) maps each `TableInfo` onto an asset of DataZone's types,
decides created / updated / unchanged / archived from `TableInfo.fingerprint()`, and never asks the
connector anything else. Connectors stream (memory stays flat at 100,000 tables), read only catalog
metadata (never table data, except files, whose schema is in the files), and raise `SourceUnreachable`
with a message a person can act on when the system cannot be reached or refuses the credentials.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

TABLE, VIEW = "TABLE", "VIEW"

# A table the connector found but could not read is still yielded (so the run reports it FAILED and keeps
# its existing asset rather than archiving it): no columns, `extra[ERROR]` the message, `extra[ERROR_TYPE]`
# a DataSourceErrorType value.
ERROR, ERROR_TYPE = "error", "errorType"
# Facts in `extra` that change with the data, not with the table's shape: they are kept on the asset but
# do not make a new revision by themselves (DataZone revises an imported asset when its schema changes).
VOLATILE_FACTS = frozenset({"fileCount", "totalBytes", "updateTime", "rowCount", "sizeBytes"})


class SourceUnreachable(Exception):
    """The source system cannot be reached, or refused us; the message says what to fix (no secrets in it)."""

    def __init__(self, message: str, error_type: str = "INTERNAL_SERVER_EXCEPTION") -> None:
        super().__init__(message)
        # DataZone's DataSourceErrorType: ACCESS_DENIED_EXCEPTION, CONFLICT_EXCEPTION,
        # INTERNAL_SERVER_EXCEPTION, RESOURCE_NOT_FOUND_EXCEPTION, SERVICE_QUOTA_EXCEEDED_EXCEPTION,
        # THROTTLING_EXCEPTION, VALIDATION_EXCEPTION (openzone maps connection failures onto these).
        self.error_type = error_type


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    data_type: str  # the source's own type name, lower case where the source is case-insensitive
    comment: str | None = None
    primary_key: bool = False
    nullable: bool = True


@dataclass(frozen=True)
class TableInfo:
    """One table or view of the source, as its catalog describes it."""

    database: str  # Glue database, PostgreSQL/Redshift/MySQL database, or the files' top folder name
    name: str
    columns: tuple[ColumnInfo, ...]
    schema: str | None = None  # PostgreSQL/Redshift schema; None where the source has no schemas
    kind: Literal["TABLE", "VIEW"] = TABLE
    comment: str | None = None
    location: str | None = None  # s3://... or file path of the data (Glue, files, Iceberg metadata)
    classification: str | None = None  # parquet, csv, json, iceberg, ...
    partition_keys: tuple[ColumnInfo, ...] = ()
    view_sql: str | None = None
    # Source-specific facts worth keeping on the asset (e.g. Glue's catalogId/tableArn, a row estimate).
    extra: dict = field(default_factory=dict)

    @property
    def qualified_name(self) -> str:
        return ".".join(p for p in (self.database, self.schema, self.name) if p)

    @property
    def failed(self) -> bool:
        return ERROR in self.extra

    def fingerprint(self) -> str:
        """A digest of the table's shape and description: equal fingerprints mean no new revision is due."""
        # Every field, spelled out: dataclasses.asdict deep-copies and was most of an unchanged re-run's time.
        payload = [self.database, self.schema, self.name, self.kind, self.comment, self.location, self.classification,
                   self.view_sql, [_column(c) for c in self.columns], [_column(c) for c in self.partition_keys],
                   {k: v for k, v in self.extra.items() if k not in VOLATILE_FACTS}]
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _column(column: ColumnInfo) -> list:
    return [column.name, column.data_type, column.comment, column.primary_key, column.nullable]


# --- relational filters (DataZone's RelationalFilterConfiguration) ----------------------------------------


@dataclass(frozen=True)
class FilterExpression:
    type: Literal["INCLUDE", "EXCLUDE"]
    expression: str  # a glob on the table name, e.g. "sales_*" ("*" is any run of characters)


@dataclass(frozen=True)
class RelationalFilter:
    """Which tables of one database (and schema) to import; no expressions means every table."""

    database: str
    schema: str | None = None
    expressions: tuple[FilterExpression, ...] = ()

    def selects(self, database: str, schema: str | None) -> bool:
        return _same(self.database, database) and (self.schema is None or _same(self.schema, schema or ""))

    def includes(self, table: str) -> bool:
        """Included by some INCLUDE (or there are none) and excluded by no EXCLUDE."""
        includes = [e.expression for e in self.expressions if e.type == "INCLUDE"]
        excludes = [e.expression for e in self.expressions if e.type == "EXCLUDE"]
        if includes and not any(_glob(pattern, table) for pattern in includes):
            return False
        return not any(_glob(pattern, table) for pattern in excludes)


def _same(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def _glob(pattern: str, name: str) -> bool:
    # Case-insensitive, as Glue and Redshift identifiers are; fnmatch's [] classes are allowed too.
    return fnmatch.fnmatchcase(name.casefold(), pattern.casefold())


def selected(filters: Sequence[RelationalFilter], database: str, schema: str | None, table: str) -> bool:
    """Whether the run imports this table: some filter selects its database/schema and includes it.

    With no filters at all, everything is imported (a source is usually one database).
    """
    if not filters:
        return True
    return any(f.selects(database, schema) and f.includes(table) for f in filters)


def scopes(filters: Sequence[RelationalFilter]) -> list[tuple[str, str | None]]:
    """The (database, schema) pairs the filters name, for connectors that can read only those."""
    return list(dict.fromkeys((f.database, f.schema) for f in filters))


# --- how a connector is reached ---------------------------------------------------------------------------

GLUE, ICEBERG, POSTGRESQL, REDSHIFT, MYSQL, FILES = "GLUE", "ICEBERG", "POSTGRESQL", "REDSHIFT", "MYSQL", "FILES"


@dataclass(frozen=True)
class ConnectionSpec:
    """Everything a connector needs to reach its system, secrets resolved (never logged: repr hides them).

    The run builds it from the data source, its connection and its secret; connectors only read it.
    """

    kind: str  # one of GLUE, ICEBERG, POSTGRESQL, REDSHIFT, MYSQL, FILES
    host: str | None = None
    port: int | None = None
    database: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    region: str | None = None
    endpoint_url: str | None = None  # AWS Glue / S3 endpoint (a moto server in tests)
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    catalog_id: str | None = None  # Glue catalog (AWS account) id
    path: str | None = None  # FILES: a local folder or an s3://bucket/prefix
    options: dict = field(default_factory=dict)  # connector-specific settings (e.g. ICEBERG: the Settings)
    timeout_seconds: float = 10.0


# --- the connector protocol ------------------------------------------------------------------------------


class Connector(Protocol):
    """Reads one source system's catalog."""

    def tables(self, filters: Sequence[RelationalFilter]) -> Iterator[TableInfo]:
        """Every selected table and view (see `selected`), streamed, in a stable order."""
        ...

    def check(self) -> None:
        """Connect and authenticate once; raise SourceUnreachable with an actionable message if that fails."""
        ...


# Each connector module (connectors/<name>.py) exposes `connect(spec: ConnectionSpec) -> Connector`;
# connectors/__init__.py maps ConnectionSpec.kind to the module.


def only_selected(filters: Sequence[RelationalFilter], tables: Iterable[TableInfo]) -> Iterator[TableInfo]:
    """Apply the filters to a stream of tables (for connectors that cannot push them down)."""
    return (t for t in tables if selected(filters, t.database, t.schema, t.name))
