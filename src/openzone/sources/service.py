"""Data sources: what to import into a project's inventory, from where, how often.

How a user names each source (DataZone's wire has no member for most of them, so openzone reads the
combination of `type`, `environmentIdentifier` and the connection's type):

| type      | connection                               | openzone reads                                  |
|-----------|------------------------------------------|-------------------------------------------------|
| GLUE      | none, environmentIdentifier of a data-lake environment | the embedded Iceberg catalog (the environment's databases) |
| GLUE      | IAM (props.iamProperties + awsLocation)   | a real AWS Glue Data Catalog                    |
| GLUE      | S3 (props.s3Properties.s3Uri)             | files under s3://... or a local folder          |
| GLUE      | ICEBERGRESTCATALOG glue connection        | an Iceberg REST (or SQL) catalog                |
| REDSHIFT  | REDSHIFT or POSTGRESQL                    | PostgreSQL / Redshift                           |
| MYSQL     | MYSQL glue connection                     | MySQL / MariaDB                                 |

GLUE and MYSQL sources take `configuration.glueRunConfiguration`, REDSHIFT ones `redshiftRunConfiguration`.
"""

from __future__ import annotations

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openzone.catalog import assets as catalog_assets
from openzone.config import Settings
from openzone.db.types import utcnow
from openzone.errors import ConflictError, ValidationError
from openzone.identity.models import User
from openzone.projects import service as projects
from openzone.projects.environments import DATA_LAKE
from openzone.projects.models import Environment
from openzone.sources import connections, schedule
from openzone.sources.connectors.base import GLUE, ICEBERG, MYSQL, POSTGRESQL, REDSHIFT
from openzone.sources.connections import FILES
from openzone.sources.models import Connection, DataSource, DataSourceRun
from openzone.wire.ids import new_id

RUNNING, READY = "RUNNING", "READY"
ACTIVE_RUN_STATES = ("REQUESTED", "RUNNING")
_GLUE_CONNECTION_KINDS = (GLUE, FILES, ICEBERG)
_REDSHIFT_CONNECTION_KINDS = (REDSHIFT, POSTGRESQL)


def _environment(session: Session, domain_id: str, project_id: str, environment_id: str | None) -> Environment | None:
    if not environment_id:
        return None
    environment = session.get(Environment, environment_id)
    if environment is None or environment.domain_id != domain_id or environment.project_id != project_id:
        raise ValidationError(f"environmentIdentifier: environment {environment_id} is not an environment of "
                              f"project {project_id}.")
    return environment


def _filters(run_configuration: dict, member: str) -> list[dict]:
    filters = run_configuration.get("relationalFilterConfigurations") or []
    for index, item in enumerate(filters, start=1):
        for expression in item.get("filterExpressions") or []:
            if not expression.get("expression", "").strip():
                raise ValidationError(f"{member}.relationalFilterConfigurations.{index}.filterExpressions: "
                                      f"an expression must not be empty.")
    return filters


def _kind_and_configuration(session: Session, actor: User, domain_id: str, project_id: str, p: dict,
                            environment: Environment | None, settings: Settings,
                            previous: DataSource | None = None) -> tuple[str, Connection | None, dict]:
    """openzone's connector kind, the connection, and configuration as DataZone returns it."""
    source_type = p.get("type") or previous.type
    connection_id = p.get("connectionIdentifier") if previous is None else previous.connection_id
    connection = (connections.usable_connection(session, actor, domain_id, connection_id, project_id)
                  if connection_id else None)
    given = p.get("configuration") or {}
    if previous is not None and not given:
        return previous.kind, connection, previous.configuration
    location = {"accountId": (environment.aws_account_id if environment else settings.account_id),
                "region": (environment.region if environment else settings.region)}
    if connection is not None and connection.aws_location:
        location = {"accountId": connection.aws_location.get("awsAccountId", location["accountId"]),
                    "region": connection.aws_location.get("awsRegion", location["region"])}
    if source_type in ("GLUE", "MYSQL"):
        member = "configuration.glueRunConfiguration"
        run_configuration = given.get("glueRunConfiguration")
        if run_configuration is None:
            raise ValidationError(f"{member} is required for a data source of type {source_type}.")
        if source_type == "MYSQL":
            kind = _connection_kind(connection, (MYSQL,), source_type)
        elif connection is None:
            kind = _embedded_lake(environment, run_configuration)
        else:
            kind = _connection_kind(connection, _GLUE_CONNECTION_KINDS, source_type)
        output = {"glueRunConfiguration": {**location,
                                           "relationalFilterConfigurations": _filters(run_configuration, member),
                                           **{k: run_configuration[k] for k in ("dataAccessRole", "catalogName",
                                                                                "autoImportDataQualityResult")
                                              if k in run_configuration}}}
        return kind, connection, output
    if source_type == "REDSHIFT":
        member = "configuration.redshiftRunConfiguration"
        run_configuration = given.get("redshiftRunConfiguration")
        if run_configuration is None:
            raise ValidationError(f"{member} is required for a data source of type REDSHIFT.")
        kind = _connection_kind(connection, _REDSHIFT_CONNECTION_KINDS, source_type)
        spec = connection.props["spec"]
        storage = (run_configuration.get("redshiftStorage")
                   or {"redshiftClusterSource": {"clusterName": spec.get("host") or "postgres"}})
        output = {"redshiftRunConfiguration": {
            **location, "relationalFilterConfigurations": _filters(run_configuration, member),
            "redshiftStorage": storage,
            **{k: run_configuration[k] for k in ("dataAccessRole", "redshiftCredentialConfiguration")
               if k in run_configuration}}}
        return kind, connection, output
    raise ValidationError(f"type {source_type} is not supported by openzone; use GLUE, REDSHIFT or MYSQL.")


def _connection_kind(connection: Connection | None, kinds: tuple[str, ...], source_type: str) -> str:
    if connection is None:
        raise ValidationError(f"connectionIdentifier is required for a data source of type {source_type} "
                              f"(create one with CreateConnection).")
    kind = connection.props["spec"]["kind"]
    if kind not in kinds:
        raise ValidationError(f"connectionIdentifier: connection {connection.id} ({connection.type}) cannot serve "
                              f"a data source of type {source_type}.")
    return kind


def _embedded_lake(environment: Environment | None, run_configuration: dict) -> str:
    if environment is None:
        raise ValidationError("A GLUE data source needs either a connectionIdentifier (AWS Glue, files, an Iceberg "
                              "catalog) or the environmentIdentifier of a data lake environment.")
    if environment.blueprint_name != DATA_LAKE or not environment.producer_db:
        raise ValidationError(f"environmentIdentifier: environment {environment.id} is not a data lake environment.")
    for index, item in enumerate(run_configuration.get("relationalFilterConfigurations") or [], start=1):
        if item.get("databaseName", "").casefold() != environment.producer_db.casefold():
            raise ValidationError(f"configuration.glueRunConfiguration.relationalFilterConfigurations.{index}."
                                  f"databaseName: {item.get('databaseName')} is not the producer database "
                                  f"({environment.producer_db}) of environment {environment.id}.")
    return ICEBERG


def _asset_forms(session: Session, settings: Settings, domain_id: str, project_id: str, given: list | None) -> list:
    if not given:
        return []
    try:
        return catalog_assets.unbound_forms(session, settings, domain_id, project_id, given)
    except ValidationError as error:
        raise ValidationError(f"assetFormsInput: {error.message}") from None


def create_data_source(session: Session, actor: User, domain_id: str, p: dict, settings: Settings) -> DataSource:
    """A data source of a project (its owners and contributors)."""
    project = projects.require_actor(session, actor, domain_id, p["projectIdentifier"])
    environment = _environment(session, domain_id, project.id, p.get("environmentIdentifier"))
    kind, connection, configuration = _kind_and_configuration(session, actor, domain_id, project.id, p,
                                                              environment, settings)
    if session.scalar(select(DataSource.id).where(DataSource.domain_id == domain_id,
                                                  DataSource.project_id == project.id, DataSource.name == p["name"])):
        raise ConflictError(f"A data source named {p['name']} already exists in project {project.id}.")
    plan = schedule.validate(p.get("schedule"))
    enabled = p.get("enableSetting") or "ENABLED"
    row = DataSource(
        id=new_id(), domain_id=domain_id, project_id=project.id,
        environment_id=environment.id if environment else (connection.environment_id if connection else None),
        connection_id=connection.id if connection else None, name=p["name"], description=p.get("description"),
        type=p["type"], kind=kind, configuration=configuration, recommendation=p.get("recommendation"),
        enable_setting=enabled, publish_on_import=bool(p.get("publishOnImport")),
        asset_forms=_asset_forms(session, settings, domain_id, project.id, p.get("assetFormsInput")),
        schedule=plan, next_run_at=schedule.next_run(plan, utcnow()) if enabled == "ENABLED" else None,
        status=READY, created_by=actor.id)
    try:
        session.add(row)
        session.flush()
    except IntegrityError:
        raise ConflictError(f"A data source named {p['name']} already exists in project {project.id}.") from None
    return row


def visible_data_source(session: Session, actor: User, domain_id: str, data_source_id: str) -> DataSource:
    """A data source of a project the caller is a member of (others: ResourceNotFound)."""
    row = session.get(DataSource, data_source_id)
    return projects.project_visible(session, actor, domain_id, row, row and row.project_id,
                                    f"Data source {data_source_id}")


def writable_data_source(session: Session, actor: User, domain_id: str, data_source_id: str) -> DataSource:
    """A data source the caller may change or run (owners and contributors of its project)."""
    row = visible_data_source(session, actor, domain_id, data_source_id)
    projects.require_actor(session, actor, domain_id, row.project_id)
    return row


def update_data_source(session: Session, actor: User, domain_id: str, data_source_id: str, p: dict,
                       settings: Settings) -> DataSource:
    """Change what is given; the schedule's next run is recomputed."""
    row = writable_data_source(session, actor, domain_id, data_source_id)
    if p.get("configuration"):
        environment = session.get(Environment, row.environment_id) if row.environment_id else None
        row.kind, _, row.configuration = _kind_and_configuration(session, actor, domain_id, row.project_id, p,
                                                                 environment, settings, previous=row)
    if p.get("name") and p["name"] != row.name:
        if session.scalar(select(DataSource.id).where(DataSource.domain_id == domain_id,
                                                      DataSource.project_id == row.project_id,
                                                      DataSource.name == p["name"])):
            raise ConflictError(f"A data source named {p['name']} already exists in project {row.project_id}.")
        row.name = p["name"]
    for member, attribute in (("description", "description"), ("recommendation", "recommendation"),
                              ("enableSetting", "enable_setting")):
        if p.get(member) is not None:
            setattr(row, attribute, p[member])
    if p.get("publishOnImport") is not None:
        row.publish_on_import = p["publishOnImport"]
    if p.get("assetFormsInput") is not None:
        row.asset_forms = _asset_forms(session, settings, domain_id, row.project_id, p["assetFormsInput"])
    if p.get("schedule") is not None:
        row.schedule = schedule.validate(p["schedule"])
    row.next_run_at = schedule.next_run(row.schedule, utcnow()) if row.enable_setting == "ENABLED" else None
    session.flush()
    return row


def delete_data_source(session: Session, actor: User, domain_id: str, data_source_id: str) -> DataSource:
    """Delete a data source (its assets stay in the inventory); refused while it runs."""
    row = writable_data_source(session, actor, domain_id, data_source_id)
    if session.scalar(select(exists().where(DataSourceRun.data_source_id == row.id,
                                            DataSourceRun.status.in_(ACTIVE_RUN_STATES)))):
        raise ConflictError(f"Data source {row.id} is running; delete it when the run has finished.")
    session.delete(row)
    session.flush()
    row.status = "DELETING"
    return row


def list_data_sources(session: Session, actor: User, domain_id: str, p: dict, offset: int,
                      limit: int) -> list[DataSource]:
    """Data sources of one project the caller is a member of."""
    projects.get_project(session, actor, domain_id, p["projectIdentifier"])
    query = select(DataSource).where(DataSource.domain_id == domain_id,
                                     DataSource.project_id == p["projectIdentifier"])
    for member, column in (("environmentIdentifier", DataSource.environment_id),
                           ("connectionIdentifier", DataSource.connection_id), ("type", DataSource.type),
                           ("status", DataSource.status), ("name", DataSource.name)):
        if p.get(member):
            query = query.where(column == p[member])
    return list(session.scalars(query.order_by(DataSource.created_at.desc(), DataSource.id)
                                .offset(offset).limit(limit + 1)))


def claim_for_run(session: Session, data_source: DataSource) -> bool:
    """Mark the data source RUNNING unless it already is (one statement, so two callers cannot both win)."""
    claimed = session.execute(update(DataSource).where(DataSource.id == data_source.id, DataSource.status != RUNNING)
                              .values(status=RUNNING, updated_at=utcnow()).execution_options(synchronize_session=False))
    session.refresh(data_source)
    return claimed.rowcount == 1
