"""Stored query results (Arrow IPC files), a cache of recent ones, and their rendering as Athena rows."""

import datetime as dt
import decimal
import json
import re
import threading
from collections import OrderedDict
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

# DuckDB type name -> Athena (Trino) type name.
_ATHENA_TYPES = {
    "BIGINT": "bigint", "INTEGER": "integer", "SMALLINT": "smallint", "TINYINT": "tinyint",
    "HUGEINT": "decimal", "UBIGINT": "decimal", "UINTEGER": "bigint", "USMALLINT": "integer", "UTINYINT": "smallint",
    "DOUBLE": "double", "FLOAT": "float", "VARCHAR": "varchar", "BOOLEAN": "boolean", "DATE": "date",
    "TIMESTAMP": "timestamp", "TIMESTAMP WITH TIME ZONE": "timestamp with time zone", "TIME": "time",
    "BLOB": "varbinary", "UUID": "varchar", "INTERVAL": "varchar", "JSON": "json",
}


def result_path(results_dir: Path, execution_id: str) -> Path:
    return results_dir / f"{execution_id}.arrow"


class ResultCache:
    """Recently finished results by execution, most recently used first, at most `max_bytes` of Arrow data.

    GetQueryResults reads a result page by page; without it every page reopens and re-reads the file.
    The files stay the truth (another process, or a result evicted here, reads them).
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._tables: OrderedDict[tuple[str, str], pa.Table] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, results_dir: Path, execution_id: str) -> pa.Table | None:
        with self._lock:
            table = self._tables.get((str(results_dir), execution_id))
            if table is not None:
                self._tables.move_to_end((str(results_dir), execution_id))
            return table

    def put(self, results_dir: Path, execution_id: str, table: pa.Table) -> None:
        if table.nbytes > self.max_bytes:
            return
        key = (str(results_dir), execution_id)
        with self._lock:
            old = self._tables.pop(key, None)
            self._bytes += table.nbytes - (old.nbytes if old is not None else 0)
            self._tables[key] = table
            while self._bytes > self.max_bytes:
                _, evicted = self._tables.popitem(last=False)
                self._bytes -= evicted.nbytes

    @property
    def nbytes(self) -> int:
        return self._bytes


def write_file(path: Path, table: pa.Table) -> None:
    """Write a table as an Arrow IPC file (via a temp file: readers see all or nothing)."""
    temp = path.with_suffix(".tmp")
    with pa.OSFile(str(temp), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    temp.replace(path)


def read_file(path: Path) -> pa.Table:
    """An Arrow IPC file's table, memory-mapped (no copy)."""
    with pa.memory_map(str(path)) as source:
        return ipc.open_file(source).read_all()


def save(results_dir: Path, execution_id: str, table: pa.Table, cache: ResultCache | None = None) -> None:
    """Write the result table where GetQueryResults reads it."""
    write_file(result_path(results_dir, execution_id), table)
    if cache is not None:
        cache.put(results_dir, execution_id, table)


def load_slice(results_dir: Path, execution_id: str, offset: int, length: int,
               cache: ResultCache | None = None) -> pa.Table:
    """Rows [offset, offset+length) of a stored result: from the cache, else memory-mapped from its file."""
    table = cache.get(results_dir, execution_id) if cache is not None else None
    if table is None:
        table = read_file(result_path(results_dir, execution_id))
        if cache is not None:
            cache.put(results_dir, execution_id, table)
    return table.slice(offset, length)


def column_info(columns: list[tuple[str, str]]) -> list[dict]:
    """Athena's ResultSetMetadata.ColumnInfo for DuckDB (name, type) pairs."""
    info = []
    for name, duck_type in columns:
        precision, scale = 0, 0
        decimal_match = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", duck_type)
        if decimal_match:
            athena_type, precision, scale = "decimal", int(decimal_match[1]), int(decimal_match[2])
        elif duck_type.endswith("[]"):
            athena_type = "array"
        elif duck_type.startswith("STRUCT"):
            athena_type = "row"
        elif duck_type.startswith("MAP"):
            athena_type = "map"
        else:
            athena_type = _ATHENA_TYPES.get(duck_type, "varchar")
        info.append({"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": name, "Label": name,
                     "Type": athena_type, "Precision": precision, "Scale": scale, "Nullable": "UNKNOWN",
                     "CaseSensitive": athena_type == "varchar"})
    return info


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="milliseconds")
    if isinstance(value, (dt.date, dt.time, decimal.Decimal)):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (list, dict)):
        return json.dumps(value, default=str)
    return str(value)


def _column_text(column: pa.ChunkedArray) -> tuple[pa.ChunkedArray, bool]:
    """A column as Athena text, and whether that text may need JSON escaping.

    Arrow's own cast where its text is Athena's (numbers, dates and booleans never need escaping),
    Python otherwise.
    """
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return pc.cast(column, pa.string()), True
    if pa.types.is_integer(kind) or pa.types.is_date(kind) or pa.types.is_decimal(kind):
        return pc.cast(column, pa.string()), False
    if pa.types.is_boolean(kind):
        return pc.if_else(column, "true", "false"), False
    return pa.chunked_array([[None if v is None else _text(v) for v in column.to_pylist()]], pa.string()), True


def _json_string_body(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """Each text as the inside of a JSON string literal."""
    if not pc.any(pc.match_substring_regex(text, r'[\x00-\x1f"\\]')).as_py():
        return text  # the usual case: nothing to escape
    if pc.any(pc.match_substring_regex(text, r"[\x00-\x1f]")).as_py():  # rare: let orjson escape those
        return pa.chunked_array([[None if v is None else orjson.dumps(v).decode()[1:-1]
                                  for v in text.to_pylist()]], pa.string())
    return pc.replace_substring(pc.replace_substring(text, "\\", "\\\\"), '"', '\\"')


# Below this many rows a dict per value is cheaper than a dozen Arrow kernel calls.
_KERNEL_MIN_ROWS = 64


def rows(table: pa.Table) -> list[dict | orjson.Fragment]:
    """Athena Rows ready for orjson: every value as VarCharValue text, NULL as an empty Datum.

    Large pages are built as JSON text by Arrow's string kernels, column-wise: a dict per value was
    most of a 1000-row page's time.
    """
    if table.num_rows < _KERNEL_MIN_ROWS:
        # Column-wise, not to_pylist(): a result may repeat a column name (SELECT a, a).
        columns = [_column_text(column)[0].to_pylist() for column in table.columns]
        return [{"Data": [{} if v is None else {"VarCharValue": v} for v in values]} for values in zip(*columns)]
    parts: list = ['{"Data":[']  # joined element-wise; strings are repeated on every row
    for i, column in enumerate(table.columns):
        text, escape = _column_text(column)
        if escape:
            text = _json_string_body(text)
        separator = "," if i else ""
        if text.null_count:  # a NULL is an empty Datum
            cell = pc.fill_null(pc.binary_join_element_wise('{"VarCharValue":"', text, '"}', ""), "{}")
            parts[-1] += separator
            parts += [cell, ""]
        else:
            parts[-1] += separator + '{"VarCharValue":"'
            parts += [text, '"}']
    parts[-1] += "]}"
    joined = pc.binary_join_element_wise(*parts, "")
    return [orjson.Fragment(row) for row in joined.to_pylist()]


def header_row(columns: list[tuple[str, str]]) -> dict:
    return {"Data": [{"VarCharValue": name} for name, _ in columns]}
