"""Iceberg catalogs: openzone's embedded warehouse (a data-lake environment's databases), or any catalog
pyiceberg can load by URI (an Iceberg REST catalog, or an SQL catalog's database).

Tables are read from catalog metadata only. The fingerprint covers the schema, the comment and the table's
folder, not the current snapshot: appending rows is not a new asset revision.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pyiceberg.catalog import Catalog, load_catalog
from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError

from openzone.lake.warehouse import glue_type
from openzone.sources.connectors.base import (
    ColumnInfo,
    ConnectionSpec,
    RelationalFilter,
    SourceUnreachable,
    TableInfo,
    scopes,
    selected,
)


def _local(uri: str) -> str:
    return uri[len("file://"):] if uri.startswith("file://") else uri


class IcebergConnector:
    """Reads the tables of the databases the spec names (or the filters name)."""

    def __init__(self, spec: ConnectionSpec) -> None:
        self.spec = spec
        self._catalog: Catalog | None = None

    def _open(self) -> Catalog:
        if self._catalog is not None:
            return self._catalog
        settings = self.spec.options.get("settings")
        try:
            if self.spec.options.get("uri"):
                properties = {"uri": self.spec.options["uri"]}
                if self.spec.options.get("warehouse"):
                    properties["warehouse"] = self.spec.options["warehouse"]
                self._catalog = load_catalog(self.spec.options.get("catalog_name") or "default", **properties)
            else:
                from openzone.lake.access import get_warehouse

                self._catalog = get_warehouse(settings).catalog
        except Exception as error:  # noqa: BLE001  (every driver has its own errors; the message is what matters)
            raise SourceUnreachable(f"The Iceberg catalog cannot be opened: {error}. Check the connection's "
                                    f"CATALOG_URI and that the catalog is running.",
                                    "RESOURCE_NOT_FOUND_EXCEPTION") from None
        return self._catalog

    def _databases(self, filters: Sequence[RelationalFilter]) -> list[str]:
        named = [database for database, _ in scopes(filters)]
        if self.spec.database:
            allowed = {d.casefold() for d in self.spec.options.get("databases", [self.spec.database])}
            outside = [d for d in named if d.casefold() not in allowed]
            if outside:
                raise SourceUnreachable(f"Database {outside[0]} is not one of this data source's databases "
                                        f"({', '.join(sorted(allowed))}).", "ACCESS_DENIED_EXCEPTION")
            return named or [self.spec.database]
        if named:
            return named
        return [".".join(namespace) for namespace in self._open().list_namespaces()]

    def check(self) -> None:
        catalog = self._open()
        try:
            catalog.list_namespaces()
        except Exception as error:  # noqa: BLE001
            raise SourceUnreachable(f"The Iceberg catalog does not answer: {error}",
                                    "INTERNAL_SERVER_EXCEPTION") from None

    def _selected(self, filters: Sequence[RelationalFilter]) -> Iterator[tuple[str, tuple]]:
        catalog = self._open()
        for database in self._databases(filters):
            try:
                identifiers = sorted(catalog.list_tables(database))
            except NoSuchNamespaceError:
                raise SourceUnreachable(f"Database {database} does not exist in the Iceberg catalog.",
                                        "RESOURCE_NOT_FOUND_EXCEPTION") from None
            yield from ((database, i) for i in identifiers if selected(filters, database, None, i[-1]))

    def count(self, filters: Sequence[RelationalFilter]) -> int:
        """How many tables `tables` will yield (listing only; for the run's progress)."""
        return sum(1 for _ in self._selected(filters))

    def tables(self, filters: Sequence[RelationalFilter]) -> Iterator[TableInfo]:
        catalog = self._open()
        for database, identifier in self._selected(filters):
            try:
                table = catalog.load_table(identifier)
            except NoSuchTableError:  # dropped while we listed
                continue
            yield self._info(database, identifier[-1], table)

    def _info(self, database: str, name: str, table) -> TableInfo:
        schema = table.schema()
        columns = tuple(ColumnInfo(field.name, glue_type(field.field_type), field.doc or None,
                                   nullable=not field.required) for field in schema.fields)
        spec_fields = {field.source_id for field in table.spec().fields}
        partitions = tuple(c for c, field in zip(columns, schema.fields) if field.field_id in spec_fields)
        properties = table.properties or {}
        return TableInfo(database=database, name=name, columns=columns, comment=properties.get("comment"),
                         location=_local(table.location()), classification="iceberg", partition_keys=partitions,
                         extra={"format": "iceberg"})


def connect(spec: ConnectionSpec) -> IcebergConnector:
    """A connector over the embedded warehouse (options: settings, databases) or a catalog URI (options: uri)."""
    return IcebergConnector(spec)
