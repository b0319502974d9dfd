"""The Glue table asset type: its form names a table in an environment's producer database."""

import json

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from openzone.config import Settings
from openzone.errors import ValidationError
from openzone.lake.access import get_warehouse
from openzone.projects.models import Environment

ASSET_TYPE = "amazon.datazone.GlueTableAssetType"
ASSET_TYPE_REVISION = "1"
FORM_NAME, FORM_TYPE, FORM_TYPE_REVISION = "GlueTableForm", "amazon.datazone.GlueTableFormType", "1"


def table_content(session: Session, settings: Settings, project_id: str, raw: str | None) -> dict:
    """The GlueTableForm for the table its content names, with its columns read from the warehouse."""
    try:
        content = json.loads(raw or "{}")
    except ValueError:
        raise ValidationError(f"Form {FORM_NAME} content is not valid JSON.") from None
    if not isinstance(content, dict):
        raise ValidationError(f"Form {FORM_NAME} content must be a JSON object.")
    database, table = content.get("databaseName"), content.get("tableName")
    if not isinstance(database, str) or not isinstance(table, str):
        raise ValidationError(f"Form {FORM_NAME} requires the string fields databaseName and tableName.")
    environment = session.scalar(select(Environment).where(
        Environment.project_id == project_id,
        or_(Environment.producer_db == database, Environment.consumer_db == database)))
    if environment is None or environment.producer_db != database:
        raise ValidationError(f"Database {database} is not the producer database of an environment of this project.")
    warehouse = get_warehouse(settings)
    try:
        columns = warehouse.columns(database, table)
    except (LookupError, ValueError):
        raise ValidationError(f"Table {table} does not exist in database {database}.") from None
    account, region = environment.aws_account_id, environment.region
    return {
        "catalogId": account, "databaseName": database, "tableName": table, "region": region,
        "tableArn": f"arn:aws:glue:{region}:{account}:table/{database}/{table}",
        "sourceClassification": "iceberg", "tableDescription": content.get("tableDescription") or "",
        "columns": [{"columnName": name, "dataType": kind} for name, kind in columns],
    }

