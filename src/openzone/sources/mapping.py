"""From a connector's TableInfo to DataZone's asset: its type, its forms and a stable externalIdentifier.

Glue-catalogued sources (AWS Glue, the embedded Iceberg catalog, files, MySQL) give GlueTableAssetType /
GlueViewAssetType with a GlueTableForm / GlueViewForm; PostgreSQL and Redshift give RedshiftTableAssetType /
RedshiftViewAssetType with a RedshiftTableForm / RedshiftViewForm. Every imported revision also carries the
read-only DataSourceReferenceForm and, for third-party files, the read-only DataProvenanceForm.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace

from openzone.sources.connectors.base import POSTGRESQL, REDSHIFT, VIEW, TableInfo

PREFIX = "amazon.datazone."
SYSTEM_REVISION = "1"
REFERENCE_FORM = "DataSourceReferenceForm"
PROVENANCE_FORM = "DataProvenanceForm"
# Forms a run writes on every revision it makes; all other forms of the previous revision are carried over.
SOURCE_FORMS = frozenset({"GlueTableForm", "GlueViewForm", "RedshiftTableForm", "RedshiftViewForm",
                          REFERENCE_FORM, PROVENANCE_FORM})


@dataclass(frozen=True)
class SourceContext:
    """What every asset of one run shares: where the source is, and the data source's own settings."""

    kind: str
    data_source_id: str
    account_id: str
    region: str
    # Prefix of externalIdentifier for sources without table ARNs (scheme://host:port); None: Glue table ARNs.
    locator: str | None = None
    redshift_storage: dict | None = None


def is_redshift(kind: str) -> bool:
    return kind in (POSTGRESQL, REDSHIFT)


def asset_type(kind: str, table: TableInfo) -> str:
    family = "Redshift" if is_redshift(kind) else "Glue"
    return f"{PREFIX}{family}{'View' if table.kind == VIEW else 'Table'}AssetType"


def external_identifier(context: SourceContext, table: TableInfo) -> str:
    """A stable id of the table in its source: the Glue table ARN, or the source's address and qualified name."""
    if context.locator is None:
        return f"arn:aws:glue:{context.region}:{context.account_id}:table/{table.database}/{table.name}"
    return context.locator + "/" + "/".join(p for p in (table.database, table.schema, table.name) if p)


def columns_digest(table: TableInfo) -> str:
    """A digest of the columns alone: when it changes, the run reports 'Asset Schema Changed'."""
    payload = json.dumps([[c.name, c.data_type] for c in table.columns])
    return hashlib.sha256(payload.encode()).hexdigest()


def _columns(table: TableInfo) -> list[dict]:
    # Partition keys are columns to whoever queries the table (Hive-style folders): shown after the others.
    names = {c.name for c in table.columns}
    return [{"columnName": c.name, "dataType": c.data_type, **({"columnDescription": c.comment} if c.comment else {})}
            for c in (*table.columns, *(p for p in table.partition_keys if p.name not in names))]


# The facts of TableInfo.extra that an asset shows; the others (file counts, sizes, update times) change with
# the data, not with the table, and must not make new revisions.
SHOWN_EXTRA = ("provenance", "catalogId", "tableArn")


def fingerprint(table: TableInfo) -> str:
    """The table's fingerprint over what its asset shows."""
    shown = {key: table.extra[key] for key in SHOWN_EXTRA if key in table.extra}
    return (table if shown == table.extra else replace(table, extra=shown)).fingerprint()


def _form(name: str, content: dict) -> dict:
    return {"formName": name, "typeName": f"{PREFIX}{name}Type", "typeRevision": SYSTEM_REVISION,
            "content": json.dumps({k: v for k, v in content.items() if v is not None})}


def source_form(context: SourceContext, table: TableInfo) -> dict:
    """The Glue or Redshift form describing the table."""
    view = table.kind == VIEW
    if is_redshift(context.kind):
        return _form("RedshiftViewForm" if view else "RedshiftTableForm", {
            "databaseName": table.database, "schemaName": table.schema or "public", "tableName": table.name,
            "tableDescription": table.comment, "accountId": context.account_id, "region": context.region,
            "redshiftStorage": context.redshift_storage, "columns": _columns(table),
            **({"query": table.view_sql} if view else {})})
    catalog_id = str(table.extra.get("catalogId") or context.account_id)
    arn = table.extra.get("tableArn") or (
        f"arn:aws:glue:{context.region}:{catalog_id}:table/{table.database}/{table.name}")
    return _form("GlueViewForm" if view else "GlueTableForm", {
        "databaseName": table.database, "tableName": table.name, "tableArn": arn, "catalogId": catalog_id,
        "region": context.region, "sourceClassification": table.classification, "sourceLocation": table.location,
        "tableDescription": table.comment, "columns": _columns(table),
        **({"query": table.view_sql} if view else {})})


def system_forms(context: SourceContext, table: TableInfo, run_id: str) -> list[dict]:
    """The forms a run writes for the table: its source form, the reference to the run, its provenance."""
    forms = [source_form(context, table),
             _form(REFERENCE_FORM, {"dataSourceIdentifier": context.data_source_id, "dataSourceRunId": run_id})]
    provenance = table.extra.get("provenance")
    if isinstance(provenance, dict) and provenance:
        forms.append(_form(PROVENANCE_FORM, {key: str(value) for key, value in provenance.items()
                                             if key in ("provider", "licence", "source", "product") and value}))
    return forms


def describe(table: TableInfo) -> str | None:
    """The activity's technicalDescription: the table's own comment."""
    return table.comment[:2048] if table.comment else None
