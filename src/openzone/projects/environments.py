"""Environment blueprints, profiles and environments; provisioning in the Iceberg lake or the PostgreSQL warehouse."""

import hashlib
import json
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from openzone.config import Settings
from openzone.domains import service as domains
from openzone.errors import AccessDeniedError, ConflictError, NotFoundError, ValidationError
from openzone.events.outbox import Entity, emit
from openzone.identity.models import User
from openzone.jobs.queue import enqueue, task
from openzone.lake.access import get_warehouse
from openzone.projects import service as projects
from openzone.projects import env_credentials, warehouse_env
from openzone.projects.models import BlueprintConfiguration, Environment, EnvironmentProfile, SubscriptionTarget
from openzone.sources.models import Secret
from openzone.wire.ids import new_id

DATA_LAKE, DATA_WAREHOUSE = "DefaultDataLake", "DefaultDataWarehouse"
BLUEPRINTS = {
    DATA_LAKE: "Data lake environment: a producer and a subscription database in the embedded Iceberg "
               "warehouse, queried through openzone's Athena-compatible query service.",
    DATA_WAREHOUSE: "Data warehouse environment: a schema and login role in PostgreSQL "
                    "(Amazon Redshift's open counterpart).",
}
PROVIDER = "Amazon DataZone"
GLUE_TARGET_TYPE = "GlueSubscriptionTargetType"
REDSHIFT_TARGET_TYPE = "RedshiftSubscriptionTargetType"


def blueprint_id(domain_id: str, name: str) -> str:
    """Managed blueprints exist in every domain under a stable id derived from the domain."""
    digest = hashlib.sha256(f"{domain_id}/{name}".encode()).hexdigest()
    return format(int(digest[:20], 16), "x")[:14].rjust(14, "0")


def list_blueprints(session: Session, actor: User, domain_id: str, name: str | None,
                    managed: bool | None) -> list[tuple[str, str, str]]:
    """The managed blueprints (id, name, description) of a domain."""
    domains.require_domain_user(session, actor, domain_id)
    if managed is False:
        return []
    return [(blueprint_id(domain_id, n), n, d) for n, d in BLUEPRINTS.items() if name in (None, n)]


def resolve_blueprint(domain_id: str, identifier: str) -> str:
    """Blueprint name from its id (or name)."""
    for name in BLUEPRINTS:
        if identifier in (name, blueprint_id(domain_id, name)):
            return name
    raise NotFoundError(f"Environment blueprint {identifier} not found in domain {domain_id}.")


def put_blueprint_configuration(session: Session, actor: User, domain_id: str, identifier: str,
                                config: dict) -> BlueprintConfiguration:
    """Enable a managed blueprint in the domain (domain owners and admins)."""
    domain = domains.require_domain_user(session, actor, domain_id)
    if not domains.can_manage_domain(session, actor, domain):
        raise AccessDeniedError("Only the domain's owner or an administrator can configure blueprints.")
    bp_id = blueprint_id(domain_id, resolve_blueprint(domain_id, identifier))
    row = session.get(BlueprintConfiguration, (domain_id, bp_id))
    if row is None:
        row = BlueprintConfiguration(domain_id=domain_id, blueprint_id=bp_id, config=config)
        session.add(row)
    row.config = config
    session.flush()
    return row


def _require_enabled(session: Session, domain_id: str, bp_id: str, region: str) -> None:
    row = session.get(BlueprintConfiguration, (domain_id, bp_id))
    if row is None or region not in row.config.get("enabledRegions", []):
        raise ValidationError(f"Environment blueprint {bp_id} is not enabled in region {region} of domain "
                              f"{domain_id}; enable it with PutEnvironmentBlueprintConfiguration.")


def create_profile(session: Session, actor: User, domain_id: str, p: dict, settings: Settings) -> EnvironmentProfile:
    """Create an environment profile for a project (its owners and contributors)."""
    project = projects.require_actor(session, actor, domain_id, p["projectIdentifier"])
    bp_id = blueprint_id(domain_id, resolve_blueprint(domain_id, p["environmentBlueprintIdentifier"]))
    region = p.get("awsAccountRegion") or settings.region
    _require_enabled(session, domain_id, bp_id, region)
    if session.scalar(select(EnvironmentProfile.id).where(EnvironmentProfile.project_id == project.id,
                                                          EnvironmentProfile.name == p["name"])):
        raise ConflictError(f"An environment profile named {p['name']} already exists in this project.")
    profile = EnvironmentProfile(
        id=new_id(), domain_id=domain_id, project_id=project.id, blueprint_id=bp_id, name=p["name"],
        description=p.get("description"), aws_account_id=p.get("awsAccountId") or settings.account_id,
        region=region, user_parameters=p.get("userParameters") or [], created_by=actor.id)
    session.add(profile)
    session.flush()
    return profile


def _lake_name(session: Session, name: str, suffix: str) -> str:
    # Glue database names: lower case letters, digits and underscores; unique across the warehouse.
    base = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")[:40] or "env"
    candidate = f"{base}_{suffix}"
    column = Environment.producer_db if suffix == "pub_db" else Environment.consumer_db
    while session.scalar(select(Environment.id).where(column == candidate)):
        candidate = f"{base}_{new_id()[:6]}_{suffix}"
    return candidate


def create_environment(session: Session, actor: User, domain_id: str, p: dict, settings: Settings) -> Environment:
    """Create an environment (CREATING); a worker provisions it and marks it ACTIVE."""
    project = projects.require_actor(session, actor, domain_id, p["projectIdentifier"])
    profile = None
    if p.get("environmentProfileIdentifier"):
        profile = session.get(EnvironmentProfile, p["environmentProfileIdentifier"])
        if profile is None or profile.domain_id != domain_id:
            raise NotFoundError(f"Environment profile {p['environmentProfileIdentifier']} not found.")
        bp_id, region, account = profile.blueprint_id, profile.region, profile.aws_account_id
    elif p.get("environmentBlueprintIdentifier"):
        bp_id = blueprint_id(domain_id, resolve_blueprint(domain_id, p["environmentBlueprintIdentifier"]))
        region = p.get("environmentAccountRegion") or settings.region
        account = p.get("environmentAccountIdentifier") or settings.account_id
        _require_enabled(session, domain_id, bp_id, region)
    else:
        raise ValidationError("Either environmentProfileIdentifier or environmentBlueprintIdentifier is required.")
    blueprint = resolve_blueprint(domain_id, bp_id)
    lake = blueprint == DATA_LAKE
    if not lake:
        warehouse_env.require_configured(settings)
    if session.scalar(select(Environment.id).where(Environment.project_id == project.id,
                                                   Environment.name == p["name"])):
        raise ConflictError(f"An environment named {p['name']} already exists in this project.")
    environment = Environment(
        id=new_id(), domain_id=domain_id, project_id=project.id, profile_id=profile.id if profile else None,
        blueprint_id=bp_id, blueprint_name=blueprint, name=p["name"], description=p.get("description"),
        aws_account_id=account, region=region,
        producer_db=_lake_name(session, p["name"], "pub_db") if lake else None,
        consumer_db=_lake_name(session, p["name"], "sub_db") if lake else None,
        user_parameters=p.get("userParameters") or [],
        glossary_terms=p.get("glossaryTerms"), created_by=actor.id,
        deployment={"deploymentId": new_id(), "deploymentType": "CREATE", "deploymentStatus": "PENDING_DEPLOYMENT"})
    session.add(environment)
    session.flush()
    _event(session, environment, actor.id, "Environment Deployment Started")
    enqueue(session, "environment.provision", {"environment_id": environment.id})
    return environment


def _event(session: Session, environment: Environment, user_id: str | None, detail_type: str) -> None:
    emit(session, detail_type=detail_type, domain_id=environment.domain_id,
         entity=Entity(environment.id, "EnvironmentEntityType", owning_project_id=environment.project_id),
         user_id=user_id, data={"environmentId": environment.id, "status": environment.status,
                                "projectId": environment.project_id})


def _provision_failed(session: Session, settings: Settings, payload: dict, error: str) -> None:
    environment = session.get(Environment, payload["environment_id"])
    if environment is None or environment.status != "CREATING":
        return
    environment.status = "CREATE_FAILED"
    environment.deployment = {**environment.deployment, "deploymentStatus": "FAILED", "isDeploymentComplete": True,
                              "failureReason": {"code": "PROVISIONING_FAILED", "message": error[:1000]}}
    session.flush()
    _event(session, environment, None, "Environment Deployment Failed")


@task("environment.provision", on_give_up=_provision_failed)
def provision(session: Session, settings: Settings, payload: dict) -> None:
    """Create the environment's lake databases or warehouse schema and role, and its subscription target,
    then mark it ACTIVE (CREATE_FAILED with the reason when the warehouse refuses)."""
    environment = session.get(Environment, payload["environment_id"])
    if environment is None or environment.status != "CREATING":
        return
    if environment.blueprint_name == DATA_WAREHOUSE:
        try:
            environment.provisioned_resources = warehouse_env.provision(session, settings, environment)
        except (warehouse_env.WarehouseError, ValidationError) as error:
            _provision_failed(session, settings, payload, str(error))
            return
        target_type, asset_types, config = REDSHIFT_TARGET_TYPE, ["RedshiftTableAssetType", "RedshiftViewAssetType"], {
            "formName": "RedshiftSubscriptionTargetConfigForm",
            "content": json.dumps({"databaseName": environment.warehouse_database,
                                   "schemaName": environment.warehouse_schema}, separators=(",", ":"))}
    else:
        _provision_lake(settings, environment)
        target_type, asset_types, config = GLUE_TARGET_TYPE, ["GlueTableAssetType"], {
            "formName": "GlueSubscriptionTargetConfigForm",
            "content": json.dumps({"databaseName": environment.consumer_db}, separators=(",", ":"))}
    if not session.scalar(select(SubscriptionTarget.id).where(SubscriptionTarget.environment_id == environment.id)):
        family = "glue" if target_type == GLUE_TARGET_TYPE else "redshift"
        session.add(SubscriptionTarget(
            id=new_id(), domain_id=environment.domain_id, environment_id=environment.id,
            project_id=environment.project_id, name=f"{environment.name}-{family}-target", type=target_type,
            config=[config], authorized_principals=[environment_role_arn(environment)],
            manage_access_role=environment_role_arn(environment), applicable_asset_types=asset_types,
            provider=PROVIDER, creation_mode="AUTOMATIC", created_by=environment.created_by))
    environment.status = "ACTIVE"
    environment.deployment = {**environment.deployment, "deploymentStatus": "SUCCESSFUL", "isDeploymentComplete": True}
    session.flush()
    _event(session, environment, None, "Environment Deployment Completed")


def _provision_lake(settings: Settings, environment: Environment) -> None:
    warehouse = get_warehouse(settings)
    warehouse.create_database(environment.producer_db)
    warehouse.create_database(environment.consumer_db)
    location = f"file://{settings.warehouse_dir}"
    environment.provisioned_resources = [
        {"name": "glueProducerDBName", "value": environment.producer_db, "type": "GLUE_DATABASE", "provider": "openzone"},
        {"name": "glueConsumerDBName", "value": environment.consumer_db, "type": "GLUE_DATABASE", "provider": "openzone"},
        {"name": "s3BucketPath", "value": f"{location}/{environment.producer_db}", "type": "S3_PATH", "provider": "openzone"},
        {"name": "userRoleArn", "value": environment_role_arn(environment), "type": "IAM_ROLE", "provider": "openzone"},
        {"name": "athenaWorkGroupName", "value": environment.id, "type": "ATHENA_WORKGROUP", "provider": "openzone"},
    ]


def delete_environment(session: Session, actor: User, domain_id: str, environment_id: str) -> Environment:
    """Mark an environment DELETING (project owners and contributors); a worker removes what it provisioned."""
    environment = get_environment(session, actor, domain_id, environment_id)
    projects.require_actor(session, actor, domain_id, environment.project_id)
    if environment.status in ("DELETING", "DELETED"):
        return environment
    if environment.status == "CREATING":
        raise ConflictError(f"Environment {environment_id} is still being created; delete it once it is ACTIVE.")
    environment.status = "DELETING"
    environment.deployment = {"deploymentId": new_id(), "deploymentType": "DELETE",
                              "deploymentStatus": "IN_PROGRESS"}
    session.flush()
    _event(session, environment, actor.id, "Environment Deletion Started")
    enqueue(session, "environment.delete", {"environment_id": environment.id})
    return environment


def _delete_failed(session: Session, settings: Settings, payload: dict, error: str) -> None:
    environment = session.get(Environment, payload["environment_id"])
    if environment is not None and environment.status == "DELETING":
        environment.status = "DELETE_FAILED"
        environment.deployment = {**environment.deployment, "deploymentStatus": "FAILED",
                                  "failureReason": {"code": "DELETION_FAILED", "message": error[:1000]}}


@task("environment.delete", on_give_up=_delete_failed)
def deprovision(session: Session, settings: Settings, payload: dict) -> None:
    """Drop what the environment owns (lake databases, or warehouse schema, role and password) -> DELETED."""
    environment = session.get(Environment, payload["environment_id"])
    if environment is None or environment.status != "DELETING":
        return
    if environment.blueprint_name == DATA_WAREHOUSE:
        warehouse_env.deprovision(settings, environment)
        if environment.warehouse_secret_arn:
            secret = session.get(Secret, environment.warehouse_secret_arn)
            if secret is not None:
                session.delete(secret)
    else:
        warehouse = get_warehouse(settings)
        for database in (environment.producer_db, environment.consumer_db):
            if database:
                warehouse.drop_database(database)
    env_credentials.retire(session, environment)
    environment.status = "DELETED"
    environment.provisioned_resources = []
    environment.deployment = {**environment.deployment, "deploymentStatus": "SUCCESSFUL", "isDeploymentComplete": True}
    session.flush()
    _event(session, environment, None, "Environment Deletion Completed")


def environment_role_arn(environment: Environment) -> str:
    return f"arn:aws:iam::{environment.aws_account_id}:role/datazone_usr_{environment.id}"


def get_environment(session: Session, actor: User, domain_id: str, environment_id: str) -> Environment:
    """An environment of a project the caller is a member of."""
    environment = session.get(Environment, environment_id)
    if environment is None or environment.domain_id != domain_id:
        domains.require_domain_user(session, actor, domain_id)
        raise NotFoundError(f"Environment {environment_id} not found in domain {domain_id}.")
    projects.get_project(session, actor, domain_id, environment.project_id)
    return environment


def list_environments(session: Session, actor: User, domain_id: str, project_id: str, filters: dict,
                      offset: int, limit: int) -> list[Environment]:
    """Environments of a project the caller is a member of."""
    projects.get_project(session, actor, domain_id, project_id)
    query = select(Environment).where(Environment.project_id == project_id)
    for key, column in (("status", Environment.status), ("name", Environment.name),
                        ("environmentProfileIdentifier", Environment.profile_id),
                        ("environmentBlueprintIdentifier", Environment.blueprint_id)):
        if filters.get(key):
            query = query.where(column == filters[key])
    return list(session.scalars(query.order_by(Environment.created_at, Environment.id).offset(offset).limit(limit + 1)))


def list_targets(session: Session, actor: User, domain_id: str, environment_id: str, descending: bool,
                 offset: int, limit: int) -> list[SubscriptionTarget]:
    """Subscription targets of an environment the caller can see."""
    environment = get_environment(session, actor, domain_id, environment_id)
    order = SubscriptionTarget.created_at.desc() if descending else SubscriptionTarget.created_at
    return list(session.scalars(select(SubscriptionTarget).where(SubscriptionTarget.environment_id == environment.id)
                                .order_by(order, SubscriptionTarget.id).offset(offset).limit(limit + 1)))


def targets_of_project(session: Session, project_id: str) -> list[SubscriptionTarget]:
    """Every subscription target of the project's environments that still exist (for fulfillment)."""
    return list(session.scalars(select(SubscriptionTarget).join(Environment).where(
        SubscriptionTarget.project_id == project_id, Environment.status.not_in(("DELETING", "DELETED")))
        .order_by(SubscriptionTarget.created_at)))


def warehouse_login(session: Session, settings: Settings, actor: User, domain_id: str,
                    environment_id: str) -> warehouse_env.Login:
    """PostgreSQL login details of a warehouse environment, for members of its project only."""
    environment = get_environment(session, actor, domain_id, environment_id)
    if projects.designation_of(session, environment.project_id, actor) is None:
        raise AccessDeniedError(f"Only members of project {environment.project_id} can obtain the credentials "
                                f"of environment {environment_id}.")
    return warehouse_env.login(session, settings, environment)


def environment_credentials(session: Session, actor: User, domain_id: str, environment_id: str):
    """SDK credentials acting as the environment, for members of its project."""
    return env_credentials.credentials(session, actor, get_environment(session, actor, domain_id, environment_id))
