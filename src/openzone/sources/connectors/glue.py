"""AWS Glue Data Catalog connector (kind GLUE): databases and tables through boto3's `glue` client.

Reads only the catalog (GetDatabases, GetTables), paginated and streamed. When the run's filters name
databases, only those are read (an unknown one fails the run with RESOURCE_NOT_FOUND_EXCEPTION, as a typo
should); otherwise every database of the catalog is. Glue has no schemas: TableInfo.schema is None, and a
schemaName in a filter is ignored. Facts in `extra`: catalogId, tableArn, updateTime (ISO 8601, when Glue
gives it) and, for resource links, targetTable.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime

from botocore.exceptions import BotoCoreError, ClientError

from openzone.sources.connectors import aws
from openzone.sources.connectors.base import (
    TABLE,
    VIEW,
    ColumnInfo,
    ConnectionSpec,
    RelationalFilter,
    TableInfo,
    scopes,
    selected,
)

# SerDe libraries and input formats, by the words that identify them, in the order they are checked.
_FORMAT_HINTS = (
    ("iceberg", "iceberg"), ("hudi", "hudi"), ("delta", "delta"), ("parquet", "parquet"), ("orc", "orc"),
    ("avro", "avro"), ("json", "json"), ("opencsv", "csv"), ("lazysimpleserde", "csv"), ("grok", "grok"),
    ("ion", "ion"), ("xml", "xml"), ("sequencefile", "sequencefile"),
)


def connect(spec: ConnectionSpec) -> GlueConnector:
    return GlueConnector(spec)


class GlueConnector:
    """One Glue Data Catalog (the spec's catalog_id, else the caller's account)."""

    def __init__(self, spec: ConnectionSpec) -> None:
        self.spec = spec
        self.client = aws.client(spec, "glue")
        self.catalog = {"CatalogId": spec.catalog_id} if spec.catalog_id else {}

    def check(self) -> None:
        """List one database: proves the endpoint answers and the credentials may read the catalog."""
        self._call("listing Glue databases", "glue:GetDatabases",
                   lambda: self.client.get_databases(MaxResults=1, **self.catalog))

    def tables(self, filters: Sequence[RelationalFilter]) -> Iterator[TableInfo]:
        filters = without_schemas(filters)
        for database in self._databases(filters):
            pages = self.client.get_paginator("get_tables").paginate(DatabaseName=database, **self.catalog)
            for page in self._pages(pages, f"listing the tables of Glue database {database!r}", "glue:GetTables"):
                for table in page["TableList"]:
                    if selected(filters, database, None, table["Name"]):
                        yield self._table_info(database, table)

    def _databases(self, filters: Sequence[RelationalFilter]) -> list[str]:
        if filters:
            # Glue stores database names in lower case; the filters' names are matched case-insensitively.
            return list(dict.fromkeys(database.lower() for database, _schema in scopes(filters)))
        pages = self.client.get_paginator("get_databases").paginate(**self.catalog)
        return [d["Name"] for page in self._pages(pages, "listing Glue databases", "glue:GetDatabases")
                for d in page["DatabaseList"]]

    def _pages(self, pages, what: str, action: str) -> Iterator[dict]:
        iterator = iter(pages)
        while True:
            page = self._call(what, action, lambda: next(iterator, None))
            if page is None:
                return
            yield page

    def _call(self, what: str, action: str, fn):
        try:
            return fn()
        except (BotoCoreError, ClientError) as error:
            raise aws.unreachable(error, what, action, self.spec) from None

    def _table_info(self, database: str, table: dict) -> TableInfo:
        storage = table.get("StorageDescriptor") or {}
        parameters = table.get("Parameters") or {}
        is_view = table.get("TableType") == "VIRTUAL_VIEW"
        catalog_id = table.get("CatalogId") or self.spec.catalog_id
        extra: dict = {}
        if catalog_id:
            extra["catalogId"] = catalog_id
            extra["tableArn"] = table_arn(aws.region(self.spec), catalog_id, database, table["Name"])
        if isinstance(table.get("UpdateTime"), datetime):
            extra["updateTime"] = table["UpdateTime"].isoformat()
        if table.get("TargetTable"):  # a resource link: the table itself lives in another catalog or database
            extra["targetTable"] = {k: v for k, v in table["TargetTable"].items() if isinstance(v, str)}
        return TableInfo(
            database=database,
            name=table["Name"],
            columns=_columns(storage.get("Columns")),
            kind=VIEW if is_view else TABLE,
            comment=table.get("Description") or None,
            location=storage.get("Location") or None,
            classification=None if is_view else classification(table),
            partition_keys=_columns(table.get("PartitionKeys")),
            view_sql=view_sql(table.get("ViewOriginalText")) if is_view else None,
            extra=extra,
        )


def without_schemas(filters: Sequence[RelationalFilter]) -> list[RelationalFilter]:
    """Glue (and files) have databases but no schemas: a schemaName in a filter is ignored, not a mismatch."""
    return [replace(f, schema=None) for f in filters]


def _columns(columns: list[dict] | None) -> tuple[ColumnInfo, ...]:
    return tuple(ColumnInfo(c["Name"], c.get("Type") or "string", c.get("Comment") or None) for c in columns or ())


def table_arn(region: str, catalog_id: str, database: str, table: str) -> str:
    return f"arn:aws:glue:{region}:{catalog_id}:table/{database}/{table}"


def classification(table: dict) -> str | None:
    """The data format, as the Glue console shows it.

    Parameters.classification when set (crawlers set it); an Iceberg table_type next, because an Iceberg
    table's SerDe can be a placeholder; else the SerDe library or input format class names it.
    """
    parameters = table.get("Parameters") or {}
    if parameters.get("classification"):
        return parameters["classification"].lower()
    if (parameters.get("table_type") or "").lower() == "iceberg":
        return "iceberg"
    storage = table.get("StorageDescriptor") or {}
    serde = ((storage.get("SerdeInfo") or {}).get("SerializationLibrary") or "").lower()
    input_format = (storage.get("InputFormat") or "").lower()
    for text in (serde, input_format):
        for word, name in _FORMAT_HINTS:
            if word in text:
                return name
    if "textinputformat" in input_format:
        return "csv"
    provider = (parameters.get("spark.sql.sources.provider") or "").lower()
    return provider or None


def view_sql(text: str | None) -> str | None:
    """A view's SQL; Athena stores it as `/* Presto View: <base64 JSON> */`, whose originalSql is the SQL."""
    if not text:
        return None
    stripped = text.strip()
    for marker in ("/* Presto View: ", "/* Trino View: "):
        if stripped.startswith(marker) and stripped.endswith("*/"):
            try:
                decoded = json.loads(base64.b64decode(stripped[len(marker):-2].strip()))
                return decoded.get("originalSql") or text
            except (ValueError, AttributeError):
                return text
    return text
