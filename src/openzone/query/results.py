"""Stored query results (Arrow IPC files) and their rendering as Athena rows and column info."""

import datetime as dt
import decimal
import json
import re
from pathlib import Path

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


def save(results_dir: Path, execution_id: str, table: pa.Table) -> None:
    """Write the result table where GetQueryResults reads it (via a temp file: readers see all or nothing)."""
    path = result_path(results_dir, execution_id)
    temp = path.with_suffix(".tmp")
    with pa.OSFile(str(temp), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    temp.replace(path)


def load_slice(results_dir: Path, execution_id: str, offset: int, length: int) -> pa.Table:
    """Rows [offset, offset+length) of a stored result, memory-mapped rather than read whole."""
    with pa.memory_map(str(result_path(results_dir, execution_id))) as source:
        return ipc.open_file(source).read_all().slice(offset, length)


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


def _column_text(column: pa.ChunkedArray) -> list[str | None]:
    """A column as Athena text; Arrow's own cast where its text is Athena's, Python otherwise."""
    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind) \
            or pa.types.is_date(kind) or pa.types.is_decimal(kind):
        return pc.cast(column, pa.string()).to_pylist()
    if pa.types.is_boolean(kind):
        return pc.if_else(column, "true", "false").to_pylist()
    return [None if v is None else _text(v) for v in column.to_pylist()]


def rows(table: pa.Table) -> list[dict]:
    """Athena Rows: every value as VarCharValue text, NULL as an empty Datum."""
    # Column-wise, not to_pylist(): a result may repeat a column name (SELECT a, a).
    columns = [_column_text(column) for column in table.columns]
    return [{"Data": [{} if v is None else {"VarCharValue": v} for v in values]} for values in zip(*columns)]


def header_row(columns: list[tuple[str, str]]) -> dict:
    return {"Data": [{"VarCharValue": name} for name, _ in columns]}
