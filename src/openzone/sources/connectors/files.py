"""Files connector (kind FILES): a local folder or an `s3://bucket/prefix`, catalogued as a Glue crawler would.

Layout (spec.options["layout"]):
- "tables" (default): the root is one database, named spec.options["database"] or else the root folder's
  (or, for `s3://bucket`, the bucket's) name. Each folder directly under the root is a table; each
  Parquet/CSV/JSON file directly under the root is a table of its own, named after the file without its
  extension (or with it, when a folder already has that name).
- "databases": each folder under the root is a database, laid out as above; files directly under the
  root are ignored.
- "table": the root is one table (named after it) of a database named spec.options["database"] or else
  after the root's parent folder (or bucket). Chosen by itself, too, when "tables" finds only Hive
  partition folders (`key=value`) under the root: the path then was one table's folder.
A table folder holds its data files directly or below Hive-style `key=value/` partition folders, whose keys
become the partition keys (every file must sit under the same keys); other subfolders are just read.
Names starting with "." or "_" (`_SUCCESS`, `.crc`, `_temporary/`) and files of other formats are
ignored, as are files whose names DuckDB would take for a glob (`*`, `?`, `[`, `{`).

Schemas come from DuckDB: Parquet footers, CSV through DuckDB's sniffer (header, delimiter, types),
JSON and NDJSON through read_json's auto-detection, unioned by column name over up to
`spec.options["schema_files"]` (default 100) files of the table: the first, the last and evenly between.
Column types are given in Glue/Hive notation (bigint, string, array<...>, struct<...>), as a Glue
crawler would write them, so the same data reads the same through the Glue connector. Partition key
types are inferred from the folder values (bigint, double, date, else string).

A table that cannot be read (a corrupt file, mixed formats, inconsistent partition folders, no data
files) does not fail the run: it is yielded with no columns, `extra["error"]` saying what is wrong and
`extra["errorType"]` the DataSourceErrorType (VALIDATION_EXCEPTION for unreadable data,
ACCESS_DENIED_EXCEPTION / RESOURCE_NOT_FOUND_EXCEPTION when S3 or the file system refuses a file).
A root that is missing, refused or unreachable raises SourceUnreachable.

Safety: spec.path must not contain `..`; with spec.options["allowed_root"] set (the server's folder
for file sources), a local path must lie inside it (relative paths are taken from it); without it, a
local path must be absolute. Symbolic links
that point outside the root are skipped and linked folders are not followed. DuckDB runs in a throwaway
in-memory connection restricted to the root (enable_external_access off, allowed_directories = the
root); file paths reach it as bound parameters and the S3 secret as quoted literals, never printed.

Facts in `extra`: fileCount, totalBytes (of the data files), csv's delimiter and header, and
spec.options["provenance"] (provider, licence, ...) copied into every table.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

import duckdb
from botocore.exceptions import BotoCoreError, ClientError

from openzone.sources.connectors import aws
from openzone.sources.connectors.base import (
    ColumnInfo,
    ConnectionSpec,
    RelationalFilter,
    SourceUnreachable,
    TableInfo,
    selected,
)
from openzone.sources.connectors.glue import without_schemas

FORMATS = {".parquet": "parquet", ".parq": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "csv",
           ".json": "json", ".jsonl": "json", ".ndjson": "json"}
COMPRESSIONS = (".gz", ".gzip", ".zst")
_READERS = {"parquet": "read_parquet", "csv": "read_csv", "json": "read_json"}
_GLOB_CHARACTERS = re.compile(r"[*?\[{]")
DEFAULT_SCHEMA_FILES = 100


def connect(spec: ConnectionSpec) -> FilesConnector:
    return FilesConnector(spec)


@dataclass(frozen=True)
class DataFile:
    relative: str  # '/'-separated path below the root
    size: int


def file_format(name: str) -> str | None:
    """parquet, csv or json from the file name (compressed CSV/JSON included), else None."""
    lowered = name.lower()
    for suffix in COMPRESSIONS:
        if lowered.endswith(suffix):
            lowered = lowered[: -len(suffix)]
            break
    return FORMATS.get(PurePosixPath(lowered).suffix)


def _hidden(name: str) -> bool:
    return name.startswith((".", "_"))


# --- where the files are: a local folder or an S3 prefix -----------------------------------------------


class LocalFolder:
    def __init__(self, spec: ConnectionSpec) -> None:
        raw = spec.path or ""
        if not raw or ".." in PurePosixPath(raw.replace("\\", "/")).parts or "\x00" in raw:
            raise SourceUnreachable(f"the files path {raw!r} must be a folder path without '..'", "VALIDATION_EXCEPTION")
        path = Path(raw)
        allowed = spec.options.get("allowed_root")
        if not allowed and not path.is_absolute():
            raise SourceUnreachable(f"the files path {raw!r} must be an absolute folder path", "VALIDATION_EXCEPTION")
        if allowed:
            allowed_root = Path(allowed).resolve()
            path = (allowed_root / path).resolve()  # an absolute `path` stays itself
            if not path.is_relative_to(allowed_root):
                raise SourceUnreachable(f"the files path {raw!r} is outside the folder openzone may read "
                                        f"({allowed_root})", "ACCESS_DENIED_EXCEPTION")
        self.root = path.resolve()
        self.name = self.root.name
        self.parent_name = self.root.parent.name or self.name

    def check(self) -> None:
        if not self.root.exists():
            raise SourceUnreachable(f"the folder {self.root} does not exist; check the data source's path",
                                    "RESOURCE_NOT_FOUND_EXCEPTION")
        if not self.root.is_dir():
            raise SourceUnreachable(f"{self.root} is not a folder; give the folder that holds the tables",
                                    "VALIDATION_EXCEPTION")
        try:
            with os.scandir(self.root):
                pass
        except PermissionError:
            raise SourceUnreachable(f"openzone may not read the folder {self.root}; check its permissions",
                                    "ACCESS_DENIED_EXCEPTION") from None

    def uri(self, relative: str) -> str:
        return str(self.root / relative) if relative else str(self.root)

    def folder_uri(self, relative: str) -> str:
        return self.uri(relative)

    def children(self, relative: str) -> tuple[list[str], list[DataFile]]:
        """The folders and files directly inside `relative`, sorted by name; links out of the root skipped."""
        folders, files = [], []
        with os.scandir(self.root / relative) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if _hidden(entry.name):
                    continue
                child = f"{relative}/{entry.name}" if relative else entry.name
                if entry.is_symlink():
                    target = Path(entry.path).resolve()
                    if not target.is_relative_to(self.root) or not target.is_file():
                        continue  # outside the root, dangling, or a linked folder (could loop): not followed
                    files.append(DataFile(child, target.stat().st_size))
                elif entry.is_dir():
                    folders.append(child)
                elif entry.is_file():
                    files.append(DataFile(child, entry.stat().st_size))
        return folders, files

    def walk(self, relative: str) -> Iterator[DataFile]:
        folders, files = self.children(relative)
        yield from files
        for folder in folders:
            yield from self.walk(folder)

    def secret_sql(self) -> list[str]:
        return []


class S3Prefix:
    def __init__(self, spec: ConnectionSpec) -> None:
        self.spec = spec
        parsed = urlparse(spec.path or "")
        self.bucket = parsed.netloc
        prefix = parsed.path.lstrip("/")
        if not self.bucket or ".." in prefix.split("/") or "\x00" in prefix:
            raise SourceUnreachable(f"the files path {spec.path!r} must look like s3://bucket/prefix without '..'",
                                    "VALIDATION_EXCEPTION")
        self.prefix = prefix.rstrip("/") + "/" if prefix.strip("/") else ""
        parts = [self.bucket, *self.prefix.rstrip("/").split("/")] if self.prefix else [self.bucket]
        self.name, self.parent_name = parts[-1], parts[-2] if len(parts) > 1 else parts[-1]
        self.client = aws.client(spec, "s3")

    def _list(self, what: str, **kwargs) -> Iterator[dict]:
        pages = iter(self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, **kwargs))
        while True:
            try:
                page = next(pages, None)
            except (BotoCoreError, ClientError) as error:
                raise aws.unreachable(error, what, "s3:ListBucket", self.spec) from None
            if page is None:
                return
            yield page

    def check(self) -> None:
        for _page in self._list(f"listing s3://{self.bucket}/{self.prefix}", Prefix=self.prefix, MaxKeys=1):
            return

    def uri(self, relative: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}{relative}"

    def folder_uri(self, relative: str) -> str:
        return self.uri(relative).rstrip("/") + "/"

    def children(self, relative: str) -> tuple[list[str], list[DataFile]]:
        base = self.prefix + (relative + "/" if relative else "")
        folders, files = [], []
        for page in self._list(f"listing {self.uri(relative)}", Prefix=base, Delimiter="/"):
            for common in page.get("CommonPrefixes", ()):
                name = common["Prefix"][len(base):].rstrip("/")
                if name and not _hidden(name) and name not in (".", ".."):
                    folders.append(f"{relative}/{name}" if relative else name)
            for item in page.get("Contents", ()):
                name = item["Key"][len(base):]
                if name and not _hidden(name) and name not in (".", ".."):
                    files.append(DataFile(f"{relative}/{name}" if relative else name, item["Size"]))
        return sorted(folders), sorted(files, key=lambda f: f.relative)

    def walk(self, relative: str) -> Iterator[DataFile]:
        base = self.prefix + (relative + "/" if relative else "")
        for page in self._list(f"listing {self.uri(relative)}", Prefix=base):
            for item in page.get("Contents", ()):
                parts = item["Key"][len(self.prefix):].split("/")
                # Folder markers ("x/"), odd keys ("a//b", "a/../b") and hidden parts are not data files.
                if all(part and part not in (".", "..") and not _hidden(part) for part in parts):
                    yield DataFile("/".join(parts), item["Size"])

    def secret_sql(self) -> list[str]:
        """DuckDB's S3 secret for the same endpoint and credentials as the listing (values quoted, never shown)."""
        import boto3

        # The spec's keys, else boto3's own chain (environment, profile, instance role), as the listing uses.
        credentials = boto3.Session(aws_access_key_id=self.spec.access_key_id or None,
                                    aws_secret_access_key=self.spec.secret_access_key or None).get_credentials()
        options = {"REGION": aws.region(self.spec)}
        if credentials is not None:
            frozen = credentials.get_frozen_credentials()
            options |= {"KEY_ID": frozen.access_key, "SECRET": frozen.secret_key}
            if frozen.token:
                options["SESSION_TOKEN"] = frozen.token
        if self.spec.endpoint_url:
            endpoint = urlparse(self.spec.endpoint_url)
            options |= {"ENDPOINT": endpoint.netloc, "URL_STYLE": "path"}
            sql_flags = f", USE_SSL {'true' if endpoint.scheme == 'https' else 'false'}"
        else:
            sql_flags = ""
        values = ", ".join(f"{key} {_literal(value)}" for key, value in options.items())
        return [f"CREATE SECRET files_source (TYPE s3, {values}{sql_flags})"]


def _literal(value: str) -> str:
    """A SQL string literal (for DuckDB statements that take no bound parameters)."""
    if "\x00" in value:
        raise SourceUnreachable("a setting of the data source holds a NUL character", "VALIDATION_EXCEPTION")
    return "'" + value.replace("'", "''") + "'"


# --- the connector ------------------------------------------------------------------------------------


class FilesConnector:
    def __init__(self, spec: ConnectionSpec) -> None:
        self.spec = spec
        self.store = S3Prefix(spec) if (spec.path or "").startswith("s3://") else LocalFolder(spec)
        self.layout = spec.options.get("layout") or "tables"
        if self.layout not in ("tables", "databases", "table"):
            raise SourceUnreachable(f"the files layout {self.layout!r} is unknown; use 'tables', 'databases' or 'table'",
                                    "VALIDATION_EXCEPTION")
        self.schema_files = max(2, int(spec.options.get("schema_files") or DEFAULT_SCHEMA_FILES))
        provenance = spec.options.get("provenance")
        self.provenance = dict(provenance) if isinstance(provenance, dict) and provenance else None

    def check(self) -> None:
        """The root exists and may be read (and, on S3, DuckDB's httpfs extension loads)."""
        self.store.check()
        if isinstance(self.store, S3Prefix):
            self._duckdb().close()

    def tables(self, filters: Sequence[RelationalFilter]) -> Iterator[TableInfo]:
        filters = without_schemas(filters)
        self.store.check()
        con = None
        try:
            for database, relative in self._databases():
                if filters and not any(f.selects(database, None) for f in filters):
                    continue  # not even listed
                candidates = [(self.store.name, "")] if relative is None else self._candidates(relative)
                for name, where in candidates:
                    if not selected(filters, database, None, name):
                        continue
                    if con is None:
                        con = self._duckdb()
                    yield self._read_table(con, database, name, where)
        finally:
            if con is not None:
                con.close()

    def _databases(self) -> list[tuple[str, str | None]]:
        """(database name, its folder below the root; None when the root is the one table)."""
        if self.layout == "databases":
            folders, _files = self._children("")
            return [(PurePosixPath(folder).name, folder) for folder in folders]
        named = self.spec.options.get("database")
        if self.layout == "table" or self._partitions_only():
            return [(named or self.store.parent_name, None)]
        return [(named or self.store.name, "")]

    def _partitions_only(self) -> bool:
        folders, _files = self._children("")
        return bool(folders) and all(_is_partition(PurePosixPath(folder).name) for folder in folders)

    def _children(self, relative: str) -> tuple[list[str], list[DataFile]]:
        try:
            return self.store.children(relative)
        except PermissionError:
            raise SourceUnreachable(f"openzone may not read {self.store.uri(relative)}; check its permissions",
                                    "ACCESS_DENIED_EXCEPTION") from None
        except FileNotFoundError:
            raise SourceUnreachable(f"{self.store.uri(relative)} disappeared while it was read; run again",
                                    "RESOURCE_NOT_FOUND_EXCEPTION") from None

    def _candidates(self, relative: str) -> list[tuple[str, str | DataFile]]:
        """(table name, its folder's path below the root or its one file) for every table of a database, by name."""
        folders, files = self._children(relative)
        found: dict[str, str | DataFile] = {PurePosixPath(folder).name: folder for folder in folders}
        for item in files:
            filename = PurePosixPath(item.relative).name
            if file_format(filename) is None or _GLOB_CHARACTERS.search(filename):
                continue
            stem = filename.split(".", 1)[0] or filename
            found[stem if stem not in found else filename] = item
        return sorted(found.items())

    def _duckdb(self) -> duckdb.DuckDBPyConnection:
        """A throwaway in-memory DuckDB that may read only the root (and, for S3, speaks S3 with our secret)."""
        from openzone.lake.extensions import duckdb_config, prepare_extension_dir

        ext_dir = (self.spec.options.get("extension_dir")  # the server's own, when the run passes its Settings
                   or getattr(self.spec.options.get("settings"), "extension_dir", None)
                   or Path(tempfile.gettempdir()) / f"openzone-ext-{os.getuid()}")
        con = duckdb.connect(":memory:", config=duckdb_config(prepare_extension_dir(Path(ext_dir))))
        try:
            if isinstance(self.store, S3Prefix):
                try:
                    con.execute("LOAD httpfs")
                except duckdb.Error:
                    raise SourceUnreachable("DuckDB's httpfs extension is missing; install duckdb-extension-httpfs",
                                            "INTERNAL_SERVER_EXCEPTION") from None
                for statement in self.store.secret_sql():
                    con.execute(statement)
            root = self.store.folder_uri("")
            con.execute(f"SET allowed_directories = [{_literal(root.rstrip('/') + '/')}]")
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
        except BaseException:
            con.close()
            raise
        return con

    def _read_table(self, con, database: str, name: str, where: str | DataFile) -> TableInfo:
        """One table's TableInfo; what makes it unreadable is in extra["error"] (no columns)."""
        is_folder = isinstance(where, str)
        path = where if is_folder else where.relative
        location = self.store.folder_uri(path) if is_folder else self.store.uri(path)
        extra: dict = {"provenance": self.provenance} if self.provenance else {}
        info = {"database": database, "name": name, "location": location}
        try:
            files = [f for f in self.store.walk(path) if f.size > 0] if is_folder else [where]
        except SourceUnreachable as error:
            return _failed(info, extra, str(error), error.error_type)
        except OSError as error:
            kind = "ACCESS_DENIED_EXCEPTION" if isinstance(error, PermissionError) else "RESOURCE_NOT_FOUND_EXCEPTION"
            return _failed(info, extra, f"cannot list {location}: {error.strerror or error}", kind)
        data = [f for f in files if file_format(f.relative) and not _GLOB_CHARACTERS.search(f.relative)]
        extra |= {"fileCount": len(data), "totalBytes": sum(f.size for f in data)}
        formats = sorted({file_format(f.relative) for f in data})
        if not formats:
            return _failed(info, extra, f"no Parquet, CSV or JSON files in {location}")
        if len(formats) > 1:
            return _failed(info, extra, f"{location} mixes {' and '.join(formats)} files; keep one format per table folder")
        classification = formats[0]
        info["classification"] = classification
        try:
            below = len(path) + 1 if path else 0
            partition_keys = _partition_keys([f.relative[below:] for f in data]) if is_folder else ()
        except ValueError as error:
            return _failed(info, extra, str(error))
        sample = [self.store.uri(f.relative) for f in _spread(data, self.schema_files)]
        try:
            relation = con.sql(f"SELECT * FROM {_READERS[classification]}($files, union_by_name = true, "
                               f"hive_partitioning = false)", params={"files": sample})
            keys = {key.name.casefold() for key in partition_keys}
            columns = tuple(ColumnInfo(column, hive_type(kind)) for column, kind in zip(relation.columns,
                                                                                         relation.types, strict=True)
                            if column.casefold() not in keys)
            if classification == "csv":
                delimiter, header = con.execute("SELECT Delimiter, HasHeader FROM sniff_csv(?)", [sample[0]]).fetchone()
                extra |= {"delimiter": delimiter, "header": header}
        except duckdb.Error as error:
            message = _first_line(error)
            return _failed(info, extra, message, _HTTP_ERROR_TYPES.get(_http_status(message), "VALIDATION_EXCEPTION"))
        return TableInfo(**info, columns=columns, partition_keys=partition_keys, extra=extra)


_HTTP_ERROR_TYPES = {"403": "ACCESS_DENIED_EXCEPTION", "404": "RESOURCE_NOT_FOUND_EXCEPTION",
                     "429": "THROTTLING_EXCEPTION", "503": "THROTTLING_EXCEPTION"}


def _failed(info: dict, extra: dict, message: str, error_type: str = "VALIDATION_EXCEPTION") -> TableInfo:
    """A table that cannot be read: no columns, and what is wrong in extra (the run reports it as FAILED)."""
    return TableInfo(**info, columns=(), extra=extra | {"error": message, "errorType": error_type})


def _http_status(message: str) -> str | None:
    found = re.search(r"\(HTTP (\d{3})", message)
    return found.group(1) if found else None


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _spread(items: list, count: int) -> list:
    """At most `count` items: the first, the last and evenly between (new columns tend to be in new files)."""
    if len(items) <= count:
        return items
    step = (len(items) - 1) / (count - 1)
    return [items[round(i * step)] for i in range(count)]


# --- partitions and types --------------------------------------------------------------------------------

_HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"


def _is_partition(segment: str) -> bool:
    return "=" in segment and not segment.startswith("=")


def _partition_keys(paths: list[str]) -> tuple[ColumnInfo, ...]:
    """Hive-style keys of the folders below the table folder; every file must use the same keys in order."""
    keys: list[str] | None = None
    values: dict[str, set[str]] = {}
    for path in paths:
        segments = [s.split("=", 1) for s in path.split("/")[:-1] if _is_partition(s)]
        these = [unquote(key) for key, _value in segments]
        if keys is None:
            keys = these
        elif these != keys:
            raise ValueError(f"the files sit under different partition folders ({'/'.join(keys) or 'none'} and "
                             f"{'/'.join(these) or 'none'}); every file of a table needs the same key=value folders")
        for key, value in zip(these, (unquote(v) for _k, v in segments), strict=True):
            values.setdefault(key, set()).add(value)
    return tuple(ColumnInfo(key, _value_type(values[key])) for key in keys or ())


def _value_type(values: set[str]) -> str:
    present = [v for v in values if v != _HIVE_NULL]
    if not present:
        return "string"
    if all(re.fullmatch(r"-?\d{1,18}", v) for v in present):
        return "bigint"
    if all(_is_date(v) for v in present):
        return "date"
    if all(re.fullmatch(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", v) for v in present):
        return "double"
    return "string"


def _is_date(value: str) -> bool:
    try:
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) and bool(date.fromisoformat(value))
    except ValueError:
        return False


_SIMPLE = {
    "boolean": "boolean", "tinyint": "tinyint", "smallint": "smallint", "integer": "int", "bigint": "bigint",
    "hugeint": "decimal(38,0)", "uhugeint": "decimal(38,0)", "utinyint": "smallint", "usmallint": "int",
    "uinteger": "bigint", "ubigint": "decimal(20,0)", "float": "float", "double": "double", "date": "date",
    "blob": "binary", "timestamp": "timestamp", "timestamp_s": "timestamp", "timestamp_ms": "timestamp",
    "timestamp_ns": "timestamp", "timestamp with time zone": "timestamp",
}


def hive_type(kind: duckdb.typing.DuckDBPyType) -> str:
    """DuckDB's type in the Glue/Hive notation a Glue crawler writes (e.g. array<struct<a:bigint>>)."""
    if kind.id in _SIMPLE:
        return _SIMPLE[kind.id]
    children = dict(kind.children) if kind.id in ("decimal", "list", "array", "map") else {}
    if kind.id == "decimal":
        return f"decimal({children['precision']},{children['scale']})"
    if kind.id in ("list", "array"):
        return f"array<{hive_type(children['child'])}>"
    if kind.id == "map":
        return f"map<{hive_type(children['key'])},{hive_type(children['value'])}>"
    if kind.id == "struct":
        return "struct<" + ",".join(f"{name}:{hive_type(child)}" for name, child in kind.children) + ">"
    return "string"  # varchar, json, uuid, enum, time, interval, bit, union: text in Glue's terms
