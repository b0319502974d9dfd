"""Redshift table and view assets: a form naming databaseName, schemaName and tableName in the warehouse.

For the configured PostgreSQL warehouse the table must be in a schema of one of the project's own warehouse
environments (a project publishes only what it owns there), and its columns are read from PostgreSQL when the
form gives none. A database other than the warehouse's (an external Redshift) is recorded as given.
"""

import json

import psycopg
from sqlalchemy import select
from sqlalchemy.orm import Session

from openzone.config import Settings
from openzone.errors import ValidationError
from openzone.projects import warehouse_env
from openzone.projects.models import Environment

ASSET_TYPES = {"amazon.datazone.RedshiftTableAssetType": "RedshiftTableForm",
               "amazon.datazone.RedshiftViewAssetType": "RedshiftViewForm"}


def applies(asset_type: str, form_name: str) -> bool:
    return ASSET_TYPES.get(asset_type) == form_name


def table_content(session: Session, settings: Settings, project_id: str, form_name: str, raw: str | None) -> str:
    """The form's content, with columns, account and region filled in for a table of the warehouse."""
    try:
        content = json.loads(raw or "{}")
    except ValueError:
        raise ValidationError(f"Form {form_name} content is not valid JSON.") from None
    if not isinstance(content, dict):
        raise ValidationError(f"Form {form_name} content must be a JSON object.")
    database, schema, table = (content.get(k) for k in ("databaseName", "schemaName", "tableName"))
    if not all(isinstance(v, str) and v for v in (database, schema, table)):
        raise ValidationError(f"Form {form_name} requires the string fields databaseName, schemaName and tableName.")
    if not settings.warehouse_url or database != warehouse_env.address(settings)[2]:
        return raw or "{}"
    environment = session.scalar(select(Environment).where(
        Environment.project_id == project_id, Environment.warehouse_database == database,
        Environment.warehouse_schema == schema, Environment.status == "ACTIVE"))
    if environment is None:
        raise ValidationError(f"Schema {schema} is not the schema of a data warehouse environment of this project.")
    try:
        with warehouse_env.admin_connection(settings, database) as conn:
            columns = conn.execute(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
                "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum", (schema, table)).fetchall()
    except (psycopg.Error, warehouse_env.WarehouseError) as error:
        raise ValidationError(f"The warehouse could not describe {schema}.{table}: {error}") from None
    if not columns:
        raise ValidationError(f"Table {table} does not exist in schema {schema} of database {database}.")
    content.setdefault("accountId", environment.aws_account_id)
    content.setdefault("region", environment.region)
    if not content.get("columns"):
        content["columns"] = [{"columnName": name, "dataType": kind} for name, kind in columns]
    return json.dumps(content)
