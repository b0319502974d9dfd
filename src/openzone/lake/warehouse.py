"""The lake warehouse: Iceberg tables in a local folder, catalogued by pyiceberg's SqlCatalog."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pyarrow as pa
from pyiceberg.catalog.sql import IcebergTables, SqlCatalog
from pyiceberg.exceptions import (
    CommitFailedException,
    NamespaceAlreadyExistsError,
    NoSuchNamespaceError,
    NoSuchTableError,
    TableAlreadyExistsError,
)
from pyiceberg.table import Table
from pyiceberg.types import (
    BinaryType,
    BooleanType,
    DateType,
    DecimalType,
    DoubleType,
    FixedType,
    FloatType,
    IcebergType,
    IntegerType,
    ListType,
    LongType,
    MapType,
    StringType,
    StructType,
    TimestampType,
    TimestamptzType,
)
from sqlalchemy import Select, bindparam, select

CATALOG_NAME = "openzone"
# Glue's rule, lowercase only: the name ends up in a folder path and in SQL identifiers.
NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,127}$")
_APPEND_ATTEMPTS = 3

_PRIMITIVE_NAMES: dict[type[IcebergType], str] = {
    BooleanType: "boolean",
    IntegerType: "int",
    LongType: "bigint",
    FloatType: "float",
    DoubleType: "double",
    DateType: "date",
    TimestampType: "timestamp",
    TimestamptzType: "timestamp",
    StringType: "string",
    BinaryType: "binary",
    FixedType: "binary",
}


@dataclass(frozen=True)
class TableRef:
    """A table of the warehouse at one snapshot: its current metadata file and its folder."""

    database: str
    name: str
    metadata_location: str
    location: str


def validate_name(name: str, what: str = "name") -> str:
    """Return `name` if it is a valid Glue-style database or table name, else raise ValueError."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise ValueError(
            f"Invalid {what} {name!r}: use 1-128 lowercase letters, digits and underscores, "
            "not starting with a digit"
        )
    return name


def glue_type(t: IcebergType) -> str:
    """Return the Glue/Athena type name of an Iceberg type (bigint, decimal(p,s), array<...>, ...)."""
    if isinstance(t, DecimalType):
        return f"decimal({t.precision},{t.scale})"
    if isinstance(t, ListType):
        return f"array<{glue_type(t.element_type)}>"
    if isinstance(t, MapType):
        return f"map<{glue_type(t.key_type)},{glue_type(t.value_type)}>"
    if isinstance(t, StructType):
        return "struct<" + ",".join(f"{f.name}:{glue_type(f.field_type)}" for f in t.fields) + ">"
    # time and uuid have no Glue type; Athena shows them as strings.
    return _PRIMITIVE_NAMES.get(type(t), "string")


def _local_path(uri: str) -> str:
    """Strip the file:// scheme of a local URI; other schemes (s3://) are kept as they are."""
    return uri[len("file://") :] if uri.startswith("file://") else uri


def _location_of(metadata_location: str) -> str:
    """Return the table folder of a metadata file at <table>/metadata/<file>.metadata.json."""
    head, _, _ = metadata_location.rpartition("/")
    folder, _, leaf = head.rpartition("/")
    if leaf != "metadata" or not folder:
        raise ValueError(f"Unexpected metadata location layout: {metadata_location}")
    return _local_path(folder)


def _fit(data: pa.Table, target: pa.Schema, table_name: str) -> pa.Table:
    """Cast `data` to a table's Arrow schema, matching columns by name; ValueError if it cannot."""
    problems = []
    if missing := [n for n in target.names if n not in data.column_names]:
        problems.append("missing columns " + ", ".join(missing))
    if extra := [n for n in data.column_names if n not in target.names]:
        problems.append("unknown columns " + ", ".join(extra))
    if problems:
        raise ValueError(f"Data does not fit table {table_name}: " + "; ".join(problems))
    try:
        return data.select(target.names).cast(target)
    except (ValueError, pa.ArrowException) as e:
        raise ValueError(f"Data does not fit table {table_name}: {e}") from None


def _storable(t: pa.DataType) -> pa.DataType:
    """Map an Arrow type to one Iceberg stores without loss: unsigned ints widen, ns becomes us."""
    if pa.types.is_unsigned_integer(t):
        # pyiceberg would map uint32 to a 32-bit int and uint64 to a 64-bit one: both overflow.
        return {8: pa.int32(), 16: pa.int32(), 32: pa.int64()}.get(t.bit_width, pa.decimal128(20, 0))
    if pa.types.is_dictionary(t):  # DuckDB ENUMs
        return _storable(t.value_type)
    if pa.types.is_timestamp(t) and t.unit == "ns":
        return pa.timestamp("us", tz=t.tz)
    if pa.types.is_time(t):
        return pa.time64("us")
    if pa.types.is_map(t):
        return pa.map_(_storable(t.key_type), _storable(t.item_type))
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return pa.list_(_storable(t.value_type))
    if pa.types.is_struct(t):
        return pa.struct([f.with_type(_storable(f.type)) for f in t])
    return t


def _storable_table(data: pa.Table) -> pa.Table:
    """Cast `data` to types Iceberg can store (see _storable); a no-op for most tables."""
    schema = pa.schema([f.with_type(_storable(f.type)) for f in data.schema])
    # Unsafe only to truncate nanoseconds; every other change widens.
    return data if schema.equals(data.schema) else data.cast(schema, safe=False)


class Warehouse:
    """Iceberg databases (namespaces) and tables under one warehouse folder."""

    def __init__(self, catalog_uri: str, warehouse_dir: Path) -> None:
        self.warehouse_dir = Path(warehouse_dir).resolve()
        self.warehouse_dir.mkdir(parents=True, exist_ok=True)
        self.catalog = SqlCatalog(
            CATALOG_NAME, uri=catalog_uri, warehouse=self.warehouse_dir.as_uri()
        )

    # databases

    def create_database(self, name: str) -> None:
        """Create a database; does nothing if it exists."""
        try:
            self.catalog.create_namespace(validate_name(name, "database name"))
        except NamespaceAlreadyExistsError:
            pass

    def database_exists(self, name: str) -> bool:
        """Tell whether the database exists."""
        return self.catalog.namespace_exists(validate_name(name, "database name"))

    def drop_database(self, name: str) -> None:
        """Drop a database with all its tables and their files; does nothing if it is missing."""
        if not self.database_exists(name):
            return
        for table in self.list_tables(name):
            self.drop_table(name, table)
        try:
            self.catalog.drop_namespace(name)
        except NoSuchNamespaceError:
            pass

    # tables

    def list_tables(self, db: str) -> dict[str, TableRef]:
        """Return the tables of a database at their current snapshots, in one catalog query."""
        return self.list_tables_of([db])[db]

    @cached_property
    def _tables_of(self) -> Select:
        # Built once (every query's sandbox spec runs it); the databases are an expanding parameter.
        stmt = select(IcebergTables.table_namespace, IcebergTables.table_name, IcebergTables.metadata_location).where(
            IcebergTables.catalog_name == CATALOG_NAME,
            IcebergTables.table_namespace.in_(bindparam("dbs", expanding=True)),
            IcebergTables.metadata_location.is_not(None),
        )
        # Rows written as views by other engines (schema v1) are not tables.
        type_filter = getattr(self.catalog, "_iceberg_type_filter", lambda: None)()
        return stmt if type_filter is None else stmt.where(type_filter)

    def list_tables_of(self, dbs: list[str]) -> dict[str, dict[str, TableRef]]:
        """The tables of each of these databases at their current snapshots, in one catalog query."""
        for db in dbs:
            validate_name(db, "database name")
        with self.catalog.engine.connect() as connection:
            rows = connection.execute(self._tables_of, {"dbs": sorted(set(dbs))}).all()
        out: dict[str, dict[str, TableRef]] = {db: {} for db in dbs}
        for db, name, meta in sorted(rows):
            out[db][name] = TableRef(db, name, meta, _location_of(meta))
        return out

    def table(self, db: str, name: str) -> TableRef:
        """Return one table at its current snapshot; LookupError if it does not exist."""
        tbl = self._load(db, name)
        return self._ref(db, name, tbl)

    def columns(self, db: str, name: str) -> list[tuple[str, str]]:
        """Return (column name, Glue type name) pairs of a table, in schema order."""
        schema = self._load(db, name).schema()
        return [(f.name, glue_type(f.field_type)) for f in schema.fields]

    def create_table(self, db: str, name: str, data: pa.Table) -> TableRef:
        """Create a table with the schema and rows of `data`; FileExistsError if the name is taken."""
        validate_name(db, "database name")
        validate_name(name, "table name")
        if not self.catalog.namespace_exists(db):
            raise LookupError(f"Database {db} does not exist")
        data = _storable_table(data)
        try:
            tbl = self.catalog.create_table((db, name), schema=data.schema)
        except TableAlreadyExistsError:
            raise FileExistsError(f"Table {db}.{name} already exists") from None
        try:
            if data.num_rows:
                tbl.append(data)
        except Exception:
            # A table that could not take its first rows is not left half-created.
            self.drop_table(db, name)
            raise
        return self.table(db, name)

    def append(self, db: str, name: str, data: pa.Table) -> TableRef:
        """Append `data` to a table, cast to the table's schema; ValueError if incompatible."""
        tbl = self._load(db, name)
        if not data.num_rows:
            return self._ref(db, name, tbl)
        for attempt in range(_APPEND_ATTEMPTS):
            cast = _fit(data, tbl.schema().as_arrow(), f"{db}.{name}")
            try:
                tbl.append(cast)
                break
            except CommitFailedException:
                # Another writer committed first: re-read the table and try again.
                if attempt == _APPEND_ATTEMPTS - 1:
                    raise
                tbl = self._load(db, name)
        return self._ref(db, name, tbl)

    def drop_table(self, db: str, name: str) -> None:
        """Drop a table and delete its files; LookupError if it does not exist."""
        ref = self.table(db, name)
        self.catalog.drop_table((db, name))
        folder = Path(ref.location).resolve()
        # Delete files only inside our own warehouse folder, never a registered foreign location.
        if folder.is_relative_to(self.warehouse_dir) and folder != self.warehouse_dir:
            shutil.rmtree(folder, ignore_errors=True)

    # helpers

    def _load(self, db: str, name: str) -> Table:
        validate_name(db, "database name")
        validate_name(name, "table name")
        try:
            return self.catalog.load_table((db, name))
        except (NoSuchTableError, NoSuchNamespaceError):
            raise LookupError(f"Table {db}.{name} does not exist") from None

    @staticmethod
    def _ref(db: str, name: str, tbl: Table) -> TableRef:
        return TableRef(db, name, tbl.metadata_location, _local_path(tbl.location()))

    def close(self) -> None:
        """Release the catalog's database connections."""
        self.catalog.engine.dispose()


__all__ = ["TableRef", "Warehouse", "glue_type", "validate_name"]
