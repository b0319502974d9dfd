"""DataZone wire operations for projects, memberships, blueprints, profiles, environments, targets."""

from openzone.errors import ValidationError
from openzone.projects import environments as envs
from openzone.projects import profiles
from openzone.projects import service
from openzone.projects.models import Environment, EnvironmentProfile, Project, SubscriptionTarget
from openzone.wire.pagination import decode_token, page
from openzone.wire.registry import Call, datazone


def _paging(p: dict, default: int = 50) -> tuple[int, int]:
    return decode_token(p.get("nextToken")), p.get("maxResults", default)


def _project(project: Project) -> dict:
    return {"domainId": project.domain_id, "id": project.id, "name": project.name,
            "description": project.description, "projectStatus": project.status, "createdBy": project.created_by,
            "createdAt": project.created_at, "lastUpdatedAt": project.updated_at,
            "glossaryTerms": project.glossary_terms or None, "domainUnitId": project.domain_unit_id}


@datazone("CreateProject")
def create_project(call: Call, p: dict) -> dict:
    project = service.create_project(call.session, call.principal, p["domainIdentifier"], p["name"],
                                     p.get("description"), p.get("glossaryTerms"), p.get("domainUnitId"))
    return _project(project)


@datazone("GetProject")
def get_project(call: Call, p: dict) -> dict:
    return _project(service.get_project(call.session, call.principal, p["domainIdentifier"], p["identifier"]))


@datazone("ListProjects")
def list_projects(call: Call, p: dict) -> dict:
    offset, limit = _paging(p)
    rows = service.list_projects(call.session, call.principal, p["domainIdentifier"], p.get("userIdentifier"),
                                 p.get("name"), offset, limit, call.settings.account_id)
    items, token = page(rows, offset, limit)
    summaries = [{**_project(row), "updatedAt": row.updated_at, "lastUpdatedAt": None, "glossaryTerms": None}
                 for row in items]
    return {"items": summaries, "nextToken": token}


def _member_user(p: dict) -> str:
    user = p["member"].get("userIdentifier")
    if user is None:
        raise ValidationError("Group members are not supported yet; name a user with member.userIdentifier.")
    return user


@datazone("CreateProjectMembership")
def create_membership(call: Call, p: dict) -> dict:
    user = _member_user(p)
    service.add_member(call.session, call.principal, p["domainIdentifier"], p["projectIdentifier"], user,
                       p["designation"], call.settings.account_id)
    return {}


@datazone("DeleteProjectMembership")
def delete_membership(call: Call, p: dict) -> dict:
    user = _member_user(p)
    service.remove_member(call.session, call.principal, p["domainIdentifier"], p["projectIdentifier"], user,
                          call.settings.account_id)
    return {}


@datazone("ListProjectMemberships")
def list_memberships(call: Call, p: dict) -> dict:
    offset, limit = _paging(p)
    rows = service.list_members(call.session, call.principal, p["domainIdentifier"], p["projectIdentifier"],
                                p.get("sortOrder") == "DESCENDING", offset, limit)
    items, token = page(rows, offset, limit)
    return {"members": [{"memberDetails": {"user": {"userId": m.user_id}}, "designation": m.designation}
                        for m in items], "nextToken": token}


@datazone("ListEnvironmentBlueprints")
def list_blueprints(call: Call, p: dict) -> dict:
    rows = envs.list_blueprints(call.session, call.principal, p["domainIdentifier"], p.get("name"), p.get("managed"))
    return {"items": [{"id": bp_id, "name": name, "description": description, "provider": envs.PROVIDER,
                       "provisioningProperties": {"cloudFormation": {"templateUrl": f"openzone://blueprints/{name}"}}}
                      for bp_id, name, description in rows]}


@datazone("PutEnvironmentBlueprintConfiguration")
def put_blueprint_configuration(call: Call, p: dict) -> dict:
    config = {k: v for k, v in p.items() if k not in ("domainIdentifier", "environmentBlueprintIdentifier")}
    row = envs.put_blueprint_configuration(call.session, call.principal, p["domainIdentifier"],
                                           p["environmentBlueprintIdentifier"], config)
    return {"domainId": row.domain_id, "environmentBlueprintId": row.blueprint_id, **row.config,
            "createdAt": row.created_at, "updatedAt": row.updated_at}


def _profile(profile: EnvironmentProfile) -> dict:
    return {"id": profile.id, "domainId": profile.domain_id, "awsAccountId": profile.aws_account_id,
            "awsAccountRegion": profile.region, "createdBy": profile.created_by, "createdAt": profile.created_at,
            "updatedAt": profile.updated_at, "name": profile.name, "description": profile.description,
            "environmentBlueprintId": profile.blueprint_id, "projectId": profile.project_id,
            "userParameters": [{"keyName": u["name"], "fieldType": "String", "defaultValue": u.get("value"),
                                "isEditable": True, "isOptional": True} for u in profile.user_parameters]}


@datazone("CreateEnvironmentProfile")
def create_profile(call: Call, p: dict) -> dict:
    return _profile(envs.create_profile(call.session, call.principal, p["domainIdentifier"], p, call.settings))


@datazone("GetEnvironmentProfile")
def get_profile(call: Call, p: dict) -> dict:
    return _profile(profiles.get_profile(call.session, call.principal, p["domainIdentifier"], p["identifier"]))


@datazone("ListEnvironmentProfiles")
def list_profiles(call: Call, p: dict) -> dict:
    offset, limit = decode_token(p.get("nextToken")), p.get("maxResults", 50)
    rows, token = page(profiles.list_profiles(call.session, call.principal, p["domainIdentifier"], p, offset, limit),
                       offset, limit)
    items = []
    for row in rows:
        summary = _profile(row)
        del summary["userParameters"]  # not part of EnvironmentProfileSummary
        items.append(summary)
    return {"items": items, "nextToken": token}


def _environment(env: Environment, summary: bool = False) -> dict:
    out = {"projectId": env.project_id, "id": env.id, "domainId": env.domain_id, "createdBy": env.created_by,
           "createdAt": env.created_at, "updatedAt": env.updated_at, "name": env.name,
           "description": env.description, "environmentProfileId": env.profile_id or "",
           "awsAccountId": env.aws_account_id, "awsAccountRegion": env.region, "provider": envs.PROVIDER,
           "status": env.status}
    if summary:
        return out
    return {**out, "environmentBlueprintId": env.blueprint_id, "glossaryTerms": env.glossary_terms or None,
            "provisionedResources": env.provisioned_resources or None,
            "userParameters": [{"keyName": u["name"], "fieldType": "String", "defaultValue": u.get("value")}
                               for u in env.user_parameters] or None,
            "lastDeployment": env.deployment or None}


@datazone("CreateEnvironment")
def create_environment(call: Call, p: dict) -> dict:
    return _environment(envs.create_environment(call.session, call.principal, p["domainIdentifier"], p, call.settings))


@datazone("GetEnvironment")
def get_environment(call: Call, p: dict) -> dict:
    return _environment(envs.get_environment(call.session, call.principal, p["domainIdentifier"], p["identifier"]))


@datazone("DeleteEnvironment")
def delete_environment(call: Call, p: dict) -> dict:
    envs.delete_environment(call.session, call.principal, p["domainIdentifier"], p["identifier"])
    return {}


@datazone("GetEnvironmentCredentials")
def get_environment_credentials(call: Call, p: dict) -> dict:
    key = envs.environment_credentials(call.session, call.principal, p["domainIdentifier"], p["environmentIdentifier"])
    return {"accessKeyId": key.id, "secretAccessKey": key.secret}


@datazone("ListEnvironments")
def list_environments(call: Call, p: dict) -> dict:
    offset, limit = _paging(p)
    rows = envs.list_environments(call.session, call.principal, p["domainIdentifier"], p["projectIdentifier"],
                                  p, offset, limit)
    items, token = page(rows, offset, limit)
    return {"items": [_environment(row, summary=True) for row in items], "nextToken": token}


def target_to_wire(target: SubscriptionTarget) -> dict:
    return {"id": target.id, "authorizedPrincipals": target.authorized_principals, "domainId": target.domain_id,
            "projectId": target.project_id, "environmentId": target.environment_id, "name": target.name,
            "type": target.type, "createdBy": target.created_by, "updatedBy": target.updated_by,
            "createdAt": target.created_at, "updatedAt": target.updated_at,
            "manageAccessRole": target.manage_access_role, "applicableAssetTypes": target.applicable_asset_types,
            "subscriptionTargetConfig": target.config, "provider": target.provider,
            "subscriptionGrantCreationMode": target.creation_mode}


@datazone("ListSubscriptionTargets")
def list_targets(call: Call, p: dict) -> dict:
    offset, limit = _paging(p)
    rows = envs.list_targets(call.session, call.principal, p["domainIdentifier"], p["environmentIdentifier"],
                             p.get("sortOrder") == "DESCENDING", offset, limit)
    items, token = page(rows, offset, limit)
    return {"items": [target_to_wire(t) for t in items], "nextToken": token}
